-- A meeting record's photos (会场, 签到表 ...), in order; the first is the
-- record's cover (branch_meetings.photo_id), which the TV shows.
CREATE TABLE meeting_photos (
    meeting_id BIGINT NOT NULL REFERENCES branch_meetings (id),
    media_id BIGINT NOT NULL REFERENCES media (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, media_id)
);
INSERT INTO meeting_photos (meeting_id, media_id, position)
    SELECT id, photo_id, 0 FROM branch_meetings WHERE photo_id IS NOT NULL;
