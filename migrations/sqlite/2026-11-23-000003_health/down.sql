ALTER TABLE households DROP COLUMN pin_locked_until;
ALTER TABLE households DROP COLUMN pin_failures;
DROP TABLE observations;
DROP TABLE residents;
DROP TABLE health_stations;
