-- Villagers' requests from the TV (12345 style): 我要反映, 一键求助 and
-- 有疑问 on village affairs, each with its due time, its steps and the
-- household's satisfaction.

CREATE TABLE voice_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES places (id),
    -- The household the box belongs to; `verified` is false when the box had
    -- no STB id and the household number was chosen on the TV.
    household_id BIGINT NOT NULL REFERENCES households (id),
    verified BOOLEAN NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('report', 'help', 'question')),
    -- Keys of the catalog (configuration); the labels are kept too, so a
    -- request reads the same after the catalog changes.
    category TEXT NOT NULL,
    category_label TEXT NOT NULL,
    reason TEXT NOT NULL,
    callback BOOLEAN NOT NULL,
    article_id BIGINT REFERENCES articles (id),
    state TEXT NOT NULL CHECK (state IN ('new', 'accepted', 'handling', 'replied', 'closed')),
    due_at TIMESTAMP NOT NULL,
    reminded_at TIMESTAMP,
    -- Past due (or reopened as 不满意): the township handles it.
    escalated_at TIMESTAMP,
    reply TEXT NOT NULL,
    replied_at TIMESTAMP,
    closed_at TIMESTAMP,
    satisfaction TEXT CHECK (satisfaction IN ('satisfied', 'basic', 'unsatisfied')),
    rated_at TIMESTAMP,
    reopened INTEGER NOT NULL,
    -- Who was told at once (一键求助): names, posts and work phones.
    notified TEXT NOT NULL,
    -- The one-time key of the TV's confirm link: a replayed confirm finds it.
    confirm_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX voice_requests_village_state ON voice_requests (village_id, state, due_at);
CREATE INDEX voice_requests_household ON voice_requests (household_id, created_at);
CREATE INDEX voice_requests_open_due ON voice_requests (state, due_at);

-- Every step of a request, for the history shown in the back office.
CREATE TABLE voice_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES voice_requests (id),
    at TIMESTAMP NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX voice_steps_request ON voice_steps (request_id, id);

-- Villages that show their resolved requests, anonymised, on the TV (办好了).
CREATE TABLE voice_boards (
    village_id BIGINT PRIMARY KEY REFERENCES places (id),
    updated_at TIMESTAMP NOT NULL
);
