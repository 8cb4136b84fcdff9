-- Training of the workforce: courses offered by a unit, their sessions,
-- enrolment and attendance, credited hours and eligibility for a
-- certification level. Trainees are staff accounts (users).

CREATE TABLE training_courses (
    id                {{ID}},
    org_unit_id       BIGINT  NOT NULL REFERENCES org_units(id), -- the offering unit
    title             TEXT    NOT NULL,
    title_en          TEXT    NOT NULL DEFAULT '',
    kind              TEXT    NOT NULL, -- crisis, supervision, certification, general
    level             TEXT    NOT NULL DEFAULT '', -- certification level it leads to, e.g. intermediate
    required_sessions INTEGER NOT NULL DEFAULT 0,  -- attended sessions that make a person eligible for level
    minutes           INTEGER NOT NULL,            -- default credit of a session, in minutes
    active            INTEGER NOT NULL DEFAULT 1,
    created_by        BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL
);
CREATE INDEX training_courses_unit ON training_courses (org_unit_id);

-- The roles that must take a course, within the offering unit's subtree.
CREATE TABLE training_required_roles (
    course_id BIGINT NOT NULL REFERENCES training_courses(id),
    role      TEXT   NOT NULL,
    PRIMARY KEY (course_id, role)
);
CREATE INDEX training_required_roles_role ON training_required_roles (role);

CREATE TABLE training_sessions (
    id           {{ID}},
    course_id    BIGINT  NOT NULL REFERENCES training_courses(id),
    starts_at    BIGINT  NOT NULL,
    ends_at      BIGINT  NOT NULL,
    place        TEXT    NOT NULL DEFAULT '',
    online_url   TEXT    NOT NULL DEFAULT '',
    trainers     TEXT    NOT NULL DEFAULT '',
    capacity     INTEGER NOT NULL,
    enrolled     INTEGER NOT NULL DEFAULT 0, -- places taken; capacity is enforced on this count
    minutes      INTEGER NOT NULL,           -- credited to each attendee
    cancelled_at BIGINT  NOT NULL DEFAULT 0,
    created_by   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX training_sessions_course ON training_sessions (course_id, starts_at);
CREATE INDEX training_sessions_start ON training_sessions (starts_at);

-- Check-in codes shown as a QR code at the door; only the SHA-256 of the
-- random token is kept.
CREATE TABLE training_checkin_codes (
    id          {{ID}},
    session_id  BIGINT NOT NULL REFERENCES training_sessions(id),
    token_hash  TEXT   NOT NULL UNIQUE,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX training_checkin_codes_session ON training_checkin_codes (session_id);

-- One person in one session: enrolled (self, assigned, walk_in, import)
-- and, once present, attended with the minutes credited. org_unit_id is the
-- trainee's unit at enrolment, under which the reports count them.
CREATE TABLE training_enrolments (
    session_id   BIGINT  NOT NULL REFERENCES training_sessions(id),
    user_id      BIGINT  NOT NULL REFERENCES users(id),
    org_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    how          TEXT    NOT NULL,
    enrolled_by  BIGINT  NOT NULL,
    enrolled_at  BIGINT  NOT NULL,
    attended     INTEGER NOT NULL DEFAULT 0,
    attended_at  BIGINT  NOT NULL DEFAULT 0,
    attended_how TEXT    NOT NULL DEFAULT '', -- list, qr, import
    recorded_by  BIGINT  NOT NULL DEFAULT 0,
    minutes      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX training_enrolments_user ON training_enrolments (user_id, attended);
CREATE INDEX training_enrolments_unit ON training_enrolments (org_unit_id, attended);

-- Eligibility for a certification level, earned by attending a
-- certification course's required sessions.
CREATE TABLE training_eligibility (
    user_id     BIGINT NOT NULL REFERENCES users(id),
    course_id   BIGINT NOT NULL REFERENCES training_courses(id),
    level       TEXT   NOT NULL,
    eligible_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, course_id)
);
