-- One record per student (一人一档). The record belongs to the student's
-- current school; its scope is that school's place in the network.
CREATE TABLE students (
    id            {{ID}},
    student_no    TEXT    NOT NULL UNIQUE,     -- 学籍号, the national student number
    name          TEXT    NOT NULL,
    name_initials TEXT    NOT NULL DEFAULT '', -- pinyin initials, lower case ("zsf" for 张三丰)
    gender        TEXT    NOT NULL,            -- female, male, other, unknown
    birth_date    TEXT    NOT NULL,            -- YYYY-MM-DD
    school_id     BIGINT  NOT NULL REFERENCES org_units(id),
    grade         INTEGER NOT NULL,            -- 1..12 (primary 1-6, junior 7-9, senior 10-12)
    class_name    TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'active', -- active, graduated, archived
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX students_school ON students (school_id, grade, class_name);
CREATE INDEX students_initials ON students (name_initials);
CREATE INDEX students_name ON students (name);

CREATE TABLE guardians (
    id         {{ID}},
    student_id BIGINT  NOT NULL REFERENCES students(id),
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    relation   TEXT    NOT NULL, -- mother, father, grandparent, other
    phone      TEXT    NOT NULL DEFAULT '',
    UNIQUE (student_id, position)
);

-- Risk factors (重点摸排): kinds from the glossary; the note is sealed.
CREATE TABLE risk_factors (
    id          {{ID}},
    student_id  BIGINT NOT NULL REFERENCES students(id),
    kind        TEXT   NOT NULL,
    note        {{BLOB}},
    since       TEXT   NOT NULL DEFAULT '',
    recorded_by BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    ended_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX risk_factors_student ON risk_factors (student_id);

-- The record's timeline: every event that later steps of the loop add
-- (screenings, alerts, plans, contacts, referrals). Codes only; details
-- live in their own tables.
CREATE TABLE student_events (
    id            {{ID}},
    student_id    BIGINT NOT NULL REFERENCES students(id),
    at            BIGINT NOT NULL,
    kind          TEXT   NOT NULL,
    actor_user_id BIGINT NOT NULL DEFAULT 0,
    org_unit_id   BIGINT NOT NULL DEFAULT 0,
    detail        TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX student_events_student ON student_events (student_id, at);

-- The classes a head teacher (班主任) is responsible for.
CREATE TABLE class_assignments (
    id         {{ID}},
    user_id    BIGINT  NOT NULL REFERENCES users(id),
    school_id  BIGINT  NOT NULL REFERENCES org_units(id),
    grade      INTEGER NOT NULL,
    class_name TEXT    NOT NULL,
    UNIQUE (user_id, school_id, grade, class_name)
);
