-- What TV pages show changes by place: each county, township and village
-- has a generation, raised in the transaction of every change its TVs show
-- (src/changes.rs). A kept page remembers the generations of its village,
-- township and county. No row means generation 0.
CREATE TABLE place_generations (
    place_id BIGINT PRIMARY KEY NOT NULL,
    generation BIGINT NOT NULL
);
-- The county-wide stamp it replaces.
DELETE FROM settings WHERE key = 'content_generation';
