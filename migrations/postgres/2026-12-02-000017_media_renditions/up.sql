-- Renditions made from a stored one the first time a page asks for them
-- (the TV grid's posters, the SD profile's smaller images), kept so they
-- are resized once.
CREATE TABLE media_renditions (
    media_id BIGINT NOT NULL REFERENCES media (id),
    kind TEXT NOT NULL,
    blob_id BIGINT NOT NULL REFERENCES blobs (id),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (media_id, kind)
);
