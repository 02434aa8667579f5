-- Village cadres and the office duty roster (坐班值班). The roster of a day
-- is computed from the weekly pattern, the dated changes and the holiday
-- table; it is never stored per day.

-- The people of a village's committee. `phone` is private (back office
-- only); `duty_phone` is the work phone a TV may show. `user_id` is the
-- back-office account the cadre signs in for duty with.
CREATE TABLE cadres (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES places (id),
    name TEXT NOT NULL,
    post TEXT NOT NULL,
    phone TEXT NOT NULL,
    duty_phone TEXT NOT NULL,
    photo_id BIGINT REFERENCES media (id),
    user_id BIGINT REFERENCES users (id),
    active BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cadres_village ON cadres (village_id, position);
CREATE UNIQUE INDEX cadres_user ON cadres (user_id);

-- A village office's hours ("08:30-12:00,14:30-18:00"), its public phone
-- and the minute of the day (local) after which nobody signed in counts as
-- absent. No row: the defaults.
CREATE TABLE duty_offices (
    village_id BIGINT PRIMARY KEY REFERENCES places (id),
    hours TEXT NOT NULL,
    phone TEXT NOT NULL,
    absent_after INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The weekly pattern: who is on duty on which weekday (1 = Monday .. 7),
-- from and to which minute of the day. On workdays they sit in the office
-- (坐班); on weekends and holidays they are on call (值班).
CREATE TABLE duty_shifts (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES places (id),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    cadre_id BIGINT NOT NULL REFERENCES cadres (id),
    starts INTEGER NOT NULL,
    ends INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX duty_shifts_village ON duty_shifts (village_id, weekday);

-- Dated changes: `leave` and `substitute` hand the cadre's shifts of `day`
-- to `other_cadre_id`; `swap` exchanges the cadre's shifts of `day` with
-- the other cadre's of `other_day`. Days are local dates, YYYY-MM-DD.
CREATE TABLE duty_changes (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES places (id),
    kind TEXT NOT NULL CHECK (kind IN ('leave', 'substitute', 'swap')),
    day TEXT NOT NULL,
    cadre_id BIGINT NOT NULL REFERENCES cadres (id),
    other_cadre_id BIGINT NOT NULL REFERENCES cadres (id),
    other_day TEXT,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX duty_changes_village_day ON duty_changes (village_id, day);
CREATE INDEX duty_changes_village_other_day ON duty_changes (village_id, other_day);

-- Public holidays (`holiday`) and make-up workdays (`workday`), county-wide,
-- kept by admins. A day not listed follows the week.
CREATE TABLE holidays (
    day TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL
);

-- Every duty sign-in (`in`) and sign-out (`out`), with the local day.
CREATE TABLE duty_signins (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES places (id),
    cadre_id BIGINT NOT NULL REFERENCES cadres (id),
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('in', 'out')),
    at TIMESTAMP NOT NULL
);
CREATE INDEX duty_signins_village_day ON duty_signins (village_id, day);

-- The office screen's codes already used: one row per village and minute
-- window, so a code is good once.
CREATE TABLE duty_code_uses (
    village_id BIGINT NOT NULL REFERENCES places (id),
    window_no BIGINT NOT NULL,
    used_at TIMESTAMP NOT NULL,
    PRIMARY KEY (village_id, window_no)
);

-- The current year's holidays and make-up workdays (国务院办公厅 2026 年
-- 部分节假日安排); admins keep later years at /admin/roster/holidays.
INSERT INTO holidays (day, kind, name) VALUES
    ('2026-01-01', 'holiday', '元旦'), ('2026-01-02', 'holiday', '元旦'),
    ('2026-01-03', 'holiday', '元旦'), ('2026-01-04', 'workday', '元旦调休上班'),
    ('2026-02-14', 'workday', '春节调休上班'),
    ('2026-02-15', 'holiday', '春节'), ('2026-02-16', 'holiday', '春节'),
    ('2026-02-17', 'holiday', '春节'), ('2026-02-18', 'holiday', '春节'),
    ('2026-02-19', 'holiday', '春节'), ('2026-02-20', 'holiday', '春节'),
    ('2026-02-21', 'holiday', '春节'), ('2026-02-22', 'holiday', '春节'),
    ('2026-02-23', 'holiday', '春节'), ('2026-02-28', 'workday', '春节调休上班'),
    ('2026-04-04', 'holiday', '清明节'), ('2026-04-05', 'holiday', '清明节'),
    ('2026-04-06', 'holiday', '清明节'),
    ('2026-05-01', 'holiday', '劳动节'), ('2026-05-02', 'holiday', '劳动节'),
    ('2026-05-03', 'holiday', '劳动节'), ('2026-05-04', 'holiday', '劳动节'),
    ('2026-05-05', 'holiday', '劳动节'), ('2026-05-09', 'workday', '劳动节调休上班'),
    ('2026-06-19', 'holiday', '端午节'), ('2026-06-20', 'holiday', '端午节'),
    ('2026-06-21', 'holiday', '端午节'),
    ('2026-09-20', 'workday', '国庆节调休上班'),
    ('2026-09-25', 'holiday', '中秋节'), ('2026-09-26', 'holiday', '中秋节'),
    ('2026-09-27', 'holiday', '中秋节'),
    ('2026-10-01', 'holiday', '国庆节'), ('2026-10-02', 'holiday', '国庆节'),
    ('2026-10-03', 'holiday', '国庆节'), ('2026-10-04', 'holiday', '国庆节'),
    ('2026-10-05', 'holiday', '国庆节'), ('2026-10-06', 'holiday', '国庆节'),
    ('2026-10-07', 'holiday', '国庆节'), ('2026-10-10', 'workday', '国庆节调休上班');

-- A village branch's party members (党员名册): back office only, never on a TV.
CREATE TABLE party_members (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES places (id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('formal', 'probationary')),
    voting BOOLEAN NOT NULL,
    committee BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX party_members_village ON party_members (village_id, name);

-- Branch meetings (三会一课). `held_on` is the local day. Minutes are
-- sanitised HTML, like article bodies.
CREATE TABLE branch_meetings (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES places (id),
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    place TEXT NOT NULL,
    host TEXT NOT NULL,
    recorder TEXT NOT NULL,
    topics TEXT NOT NULL,
    minutes TEXT NOT NULL,
    expected INTEGER NOT NULL,
    present INTEGER NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX branch_meetings_village ON branch_meetings (village_id, kind, held_on);

-- Who of the roster was there; an absentee's reason.
CREATE TABLE meeting_attendance (
    meeting_id BIGINT NOT NULL REFERENCES branch_meetings (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES party_members (id),
    present BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);
