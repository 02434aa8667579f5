-- A meeting record's photo (from the village's media library) and the
-- township's confirmation: only confirmed records are shown on TVs.
ALTER TABLE branch_meetings ADD COLUMN photo_id BIGINT REFERENCES media (id);
ALTER TABLE branch_meetings ADD COLUMN confirmed_by BIGINT REFERENCES users (id);
ALTER TABLE branch_meetings ADD COLUMN confirmed_at TIMESTAMP;
-- The TV tab lists a village's confirmed records, newest first.
CREATE INDEX branch_meetings_confirmed ON branch_meetings (village_id, confirmed_at, held_on);
