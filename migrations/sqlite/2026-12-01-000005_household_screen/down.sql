ALTER TABLE households DROP COLUMN screen;
