-- Village cameras (雪亮监控). Where a camera's picture comes from (addresses
-- and credentials) is sealed with a key derived from the portal secret: the
-- database alone does not give it away. `sources` names the kinds set
-- ("rtsp,snapshot,hls") so pages can say what a camera has without opening it.
CREATE TABLE cameras (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES places (id),
    name TEXT NOT NULL,
    spot TEXT NOT NULL,
    position INTEGER NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'officials')),
    source_sealed BYTEA NOT NULL,
    sources TEXT NOT NULL,
    privacy TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('unknown', 'online', 'offline')),
    status_since TIMESTAMP NOT NULL,
    status_reason TEXT NOT NULL,
    failures INTEGER NOT NULL,
    snapshot_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cameras_village ON cameras (village_id, position);

-- The latest picture of each camera, at the TV's sizes (one row a camera,
-- overwritten by each grab, so several instances share it).
CREATE TABLE camera_snapshots (
    camera_id BIGINT PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
    taken_at TIMESTAMP NOT NULL,
    large BYTEA NOT NULL,
    small BYTEA NOT NULL
);

-- Each status change: when, to what, why.
CREATE TABLE camera_events (
    id BIGSERIAL PRIMARY KEY,
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX camera_events_camera ON camera_events (camera_id, at);

-- Who does a camera's work (`grab`: snapshots; `live`: the live stream)
-- until when. An instance renews its leases while it works; one that dies
-- loses them when they run out.
CREATE TABLE camera_leases (
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (camera_id, kind)
);

-- A live view in progress: the playlist its holder last wrote and when a
-- box last asked for it (the holder stops the stream when nobody does).
CREATE TABLE camera_live (
    camera_id BIGINT PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
    playlist TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    viewed_at TIMESTAMP NOT NULL
);

-- The live stream's MPEG-TS segments, in the database so that every
-- instance behind the load balancer can serve them.
CREATE TABLE camera_segments (
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (camera_id, name)
);

-- Camera systems (a GB28181 platform, a media server) that report status
-- over the API for the cameras of one place (a township, or the county).
-- Tokens are long random strings stored as SHA-256 digests.
CREATE TABLE camera_systems (
    id BIGSERIAL PRIMARY KEY,
    place_id BIGINT NOT NULL REFERENCES places (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX camera_systems_token ON camera_systems (token_hash);

-- Lectures (点播) the portal serves itself as HLS: each file of a stream.
CREATE TABLE video_files (
    stream TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (stream, name)
);

-- An uploaded lecture being turned into HLS in the background.
CREATE TABLE video_jobs (
    id BIGSERIAL PRIMARY KEY,
    place_id BIGINT NOT NULL REFERENCES places (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    progress INTEGER NOT NULL,
    error TEXT NOT NULL,
    stream TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX video_jobs_place ON video_jobs (place_id, created_at);
