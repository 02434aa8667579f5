-- What TV lists ask for (a village's, its township's and its county's
-- articles on air in a section, counted and paged), answered from the index
-- alone: at county scale a village sees ~800 articles on air, and reading
-- each row to test its times made a list page cost ~4 ms of SQLite.
CREATE INDEX articles_on_air ON articles (
    place_id, section, archived, live_revision_id, publish_at, expire_at,
    category, pinned, published_at
);
