-- Household access ends server-side: 退出 and a PIN change bump the version
-- every access grant of the household carries.
ALTER TABLE households ADD COLUMN access_version INTEGER NOT NULL DEFAULT 0;

-- Media: an unguessable address, and public only once live content uses it.
ALTER TABLE media ADD COLUMN token TEXT NOT NULL DEFAULT '';
UPDATE media SET token = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX media_token ON media (token);
ALTER TABLE media ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT 0;
-- What live content shows already stays public (under its old address too).
UPDATE media SET is_public = 1
WHERE id IN (
        SELECT r.poster_media_id FROM articles a
        JOIN article_revisions r ON r.id = a.live_revision_id
        WHERE r.poster_media_id IS NOT NULL)
   OR EXISTS (
        SELECT 1 FROM articles a
        JOIN article_revisions r ON r.id = a.live_revision_id
        WHERE r.body LIKE '%/media/' || media.id || '/%');

-- Authors are shown by their display name (耿井村文书), not their login.
UPDATE article_revisions SET author_name = (
    SELECT display_name FROM users WHERE users.id = article_revisions.author_id)
WHERE author_id IS NOT NULL;
