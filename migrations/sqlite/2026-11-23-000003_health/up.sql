-- A village's health kiosk (健康小屋). The API token is stored as a SHA-256
-- hex digest: tokens are long random strings, so a fast hash is enough.
CREATE TABLE health_stations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES places (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    hours TEXT NOT NULL,
    doctor TEXT NOT NULL,
    phone TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX health_stations_village ON health_stations (village_id);
CREATE INDEX health_stations_token ON health_stations (token_hash);

-- A person whose readings the portal keeps; the code is unique in the county.
CREATE TABLE residents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    household_id BIGINT NOT NULL REFERENCES households (id),
    name TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('M', 'F')),
    birth_year INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX residents_household ON residents (household_id);

-- One reading. Blood pressure is one row (value = systolic, value2 =
-- diastolic). The unique rule makes re-sending the same reading harmless.
CREATE TABLE observations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resident_id BIGINT NOT NULL REFERENCES residents (id),
    station_id BIGINT NOT NULL REFERENCES health_stations (id),
    code TEXT NOT NULL,
    value DOUBLE NOT NULL,
    value2 DOUBLE,
    unit TEXT NOT NULL,
    flag TEXT NOT NULL CHECK (flag IN ('N', 'H', 'HH', 'L')),
    taken_at TIMESTAMP NOT NULL,
    device TEXT,
    source TEXT NOT NULL CHECK (source IN ('api', 'csv', 'demo', 'admin')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (resident_id, code, taken_at)
);
CREATE INDEX observations_station_taken ON observations (station_id, taken_at);

-- TV PIN lockout: wrong PINs counted per household.
ALTER TABLE households ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE households ADD COLUMN pin_locked_until TIMESTAMP;
