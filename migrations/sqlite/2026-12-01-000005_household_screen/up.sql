-- The screen of a household's set-top box: 'hd' (1280x720) or 'sd'
-- (720x576). A box's start address (`/tv?stbid=ID&screen=sd`) wins over it.
ALTER TABLE households ADD COLUMN screen TEXT NOT NULL DEFAULT 'hd';
