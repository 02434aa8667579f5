-- The village office's sign-in screens (issue 13): only a screen the
-- township registered shows the duty sign-in code. An unregistered screen
-- asks to be registered: it holds a random secret in its cookie, and shows
-- an 8-digit number derived from it; a township official (or an admin)
-- types the number into the village's duty page. Only hashes are stored:
-- of the secret (SHA-256) and of the number (keyed with the portal secret).

-- A screen waiting to be registered; good for 15 minutes, then forgotten
-- (kept a day longer to tell an expired number from a wrong one).
CREATE TABLE office_pairings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES places (id),
    secret_hash TEXT NOT NULL,
    number_hash TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX office_pairings_secret ON office_pairings (secret_hash);
CREATE INDEX office_pairings_number ON office_pairings (number_hash);
CREATE INDEX office_pairings_village ON office_pairings (village_id, created_at);

-- A registered screen. `token_hash` is the SHA-256 of the token in its
-- HttpOnly cookie; `issued` is false until the screen has traded its
-- pairing secret for a fresh token (on its first visit after registration).
-- A revoked screen keeps its row (who registered and revoked it, when).
CREATE TABLE office_screens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES places (id),
    token_hash TEXT NOT NULL,
    issued BOOLEAN NOT NULL,
    device TEXT NOT NULL,
    approved_by BIGINT REFERENCES users (id),
    approved_by_name TEXT NOT NULL,
    approved_at TIMESTAMP NOT NULL,
    last_seen TIMESTAMP,
    revoked_at TIMESTAMP,
    revoked_by_name TEXT
);
CREATE UNIQUE INDEX office_screens_token ON office_screens (token_hash);
CREATE INDEX office_screens_village ON office_screens (village_id);
