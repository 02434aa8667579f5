-- Bytes of media renditions, in the database so every instance shares them.
CREATE TABLE blobs (
    id BIGSERIAL PRIMARY KEY,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX blobs_sha256 ON blobs (sha256);

-- An uploaded image of a place's media library, with its TV renditions.
CREATE TABLE media (
    id BIGSERIAL PRIMARY KEY,
    place_id BIGINT NOT NULL REFERENCES places (id),
    uploaded_by BIGINT REFERENCES users (id),
    original_name TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    full_blob_id BIGINT NOT NULL REFERENCES blobs (id),
    full_width INTEGER NOT NULL,
    full_height INTEGER NOT NULL,
    tile_blob_id BIGINT NOT NULL REFERENCES blobs (id),
    tile_width INTEGER NOT NULL,
    tile_height INTEGER NOT NULL,
    page_blob_id BIGINT NOT NULL REFERENCES blobs (id),
    page_width INTEGER NOT NULL,
    page_height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_place ON media (place_id, created_at);

-- An article: what the TV shows is its live revision; edits go to the head
-- revision until approved. The live revision's listing fields are copied here
-- so TV lists need no join.
CREATE TABLE articles (
    id BIGSERIAL PRIMARY KEY,
    place_id BIGINT NOT NULL REFERENCES places (id),
    scope TEXT NOT NULL CHECK (scope IN ('village', 'township', 'county')),
    section TEXT NOT NULL,
    version INTEGER NOT NULL,
    head_revision_id BIGINT,
    live_revision_id BIGINT,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    title TEXT NOT NULL,
    category TEXT,
    publish_at TIMESTAMP,
    expire_at TIMESTAMP,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    urgent BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TIMESTAMP,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX articles_place_live ON articles (place_id, section, published_at);

CREATE TABLE article_revisions (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id),
    number INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'pending', 'published', 'rejected', 'superseded')),
    section TEXT NOT NULL,
    category TEXT,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    video_url TEXT,
    poster_media_id BIGINT REFERENCES media (id),
    duration_seconds INTEGER,
    publish_at TIMESTAMP,
    expire_at TIMESTAMP,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    urgent BOOLEAN NOT NULL DEFAULT FALSE,
    author_id BIGINT REFERENCES users (id),
    author_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    reviewer_name TEXT,
    reviewed_at TIMESTAMP,
    reason TEXT,
    UNIQUE (article_id, number)
);
CREATE INDEX article_revisions_state ON article_revisions (state, updated_at);

-- Emergency broadcasts: live between starts_at and ends_at (or ended_at).
CREATE TABLE alerts (
    id BIGSERIAL PRIMARY KEY,
    place_id BIGINT NOT NULL REFERENCES places (id),
    level TEXT NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    text TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX alerts_time ON alerts (starts_at, ends_at);

-- Villages an alert targets when it is narrower than its place.
CREATE TABLE alert_villages (
    alert_id BIGINT NOT NULL REFERENCES alerts (id),
    village_id BIGINT NOT NULL REFERENCES places (id),
    PRIMARY KEY (alert_id, village_id)
);
