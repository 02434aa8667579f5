DROP INDEX media_token;
ALTER TABLE media DROP COLUMN is_public;
ALTER TABLE media DROP COLUMN token;
ALTER TABLE households DROP COLUMN access_version;
