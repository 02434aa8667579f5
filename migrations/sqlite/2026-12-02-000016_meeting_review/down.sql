DROP INDEX branch_meetings_confirmed;
ALTER TABLE branch_meetings DROP COLUMN confirmed_at;
ALTER TABLE branch_meetings DROP COLUMN confirmed_by;
ALTER TABLE branch_meetings DROP COLUMN photo_id;
