-- Early warning (监测预警): rules as data, alerts with an owner at once,
-- deadlines that escalate, and decisions that close them.

-- A warning rule belongs to a unit and applies to the students of its
-- subtree. Rules only add alerts: a district or school may add stricter
-- rules, never weaken the city's. Every saved change is a new version.
CREATE TABLE warning_rules (
    id          {{ID}},
    org_unit_id BIGINT  NOT NULL REFERENCES org_units(id),
    name        TEXT    NOT NULL,           -- stable name, e.g. "phq-item9"
    version     INTEGER NOT NULL,           -- the version in force
    active      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_unit_id, name)
);

CREATE TABLE warning_rule_versions (
    id          {{ID}},
    rule_id     BIGINT  NOT NULL REFERENCES warning_rules(id),
    version     INTEGER NOT NULL,
    expression  TEXT    NOT NULL,           -- CEL, compiled on save
    level       TEXT    NOT NULL,           -- red, orange, yellow
    title_zh    TEXT    NOT NULL,
    title_en    TEXT    NOT NULL,
    source      TEXT    NOT NULL DEFAULT '', -- the clinical source of the rule
    author_id   BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    UNIQUE (rule_id, version)
);

-- Deadlines per level, set by the city (minutes).
CREATE TABLE alert_deadlines (
    level           TEXT    PRIMARY KEY,
    ack_minutes     INTEGER NOT NULL,
    contact_minutes INTEGER NOT NULL
);
INSERT INTO alert_deadlines (level, ack_minutes, contact_minutes) VALUES
    ('red', 15, 120), ('orange', 1440, 2880), ('yellow', 10080, 20160);

-- An alert: one open alert per student at a time; later signals join it
-- (alert_signals) and may raise its level. owner_user_id is never 0.
CREATE TABLE alerts (
    id               {{ID}},
    student_id       BIGINT  NOT NULL REFERENCES students(id),
    school_id        BIGINT  NOT NULL REFERENCES org_units(id), -- the school when raised
    level            TEXT    NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'open', -- open, acknowledged, contacted, closed
    owner_user_id    BIGINT  NOT NULL REFERENCES users(id),
    owner_org_id     BIGINT  NOT NULL REFERENCES org_units(id),
    step             INTEGER NOT NULL DEFAULT 0, -- 0 first owner, 1 school leader, 2 district centre, 3 city centre
    seq              INTEGER NOT NULL DEFAULT 0, -- deadline generation: timers carry it
    signal_at        BIGINT  NOT NULL,           -- when the first signal happened
    raised_at        BIGINT  NOT NULL,
    ack_due_at       BIGINT  NOT NULL,
    contact_due_at   BIGINT  NOT NULL,
    acknowledged_at  BIGINT  NOT NULL DEFAULT 0,
    acknowledged_by  BIGINT  NOT NULL DEFAULT 0,
    first_contact_at BIGINT  NOT NULL DEFAULT 0,
    closed_at        BIGINT  NOT NULL DEFAULT 0,
    closed_by        BIGINT  NOT NULL DEFAULT 0,
    decision         TEXT    NOT NULL DEFAULT '', -- case, in_care, false_positive, referred
    decision_note    {{BLOB}},                    -- sealed
    case_id          BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX alerts_owner ON alerts (owner_user_id, closed_at, ack_due_at, id);
CREATE INDEX alerts_student ON alerts (student_id, closed_at);
CREATE UNIQUE INDEX alerts_one_open ON alerts (student_id) WHERE closed_at = 0;
CREATE INDEX alerts_school ON alerts (school_id, raised_at);
CREATE INDEX alerts_open ON alerts (closed_at, level, raised_at);

-- Every signal that raised or joined an alert: codes only (rule names and
-- versions, item ids, factor kinds), never answers or notes.
CREATE TABLE alert_signals (
    id        {{ID}},
    alert_id  BIGINT NOT NULL REFERENCES alerts(id),
    at        BIGINT NOT NULL,
    source    TEXT   NOT NULL, -- screening, draft, concern, contact
    source_id BIGINT NOT NULL DEFAULT 0,
    level     TEXT   NOT NULL,
    reason    TEXT   NOT NULL
);
CREATE INDEX alert_signals_alert ON alert_signals (alert_id, at);

-- A passed deadline, escalated once: the unique key makes a timer that
-- runs twice escalate once. item_type is alert or follow_up.
CREATE TABLE escalations (
    id          {{ID}},
    item_type   TEXT    NOT NULL,
    item_id     BIGINT  NOT NULL,
    seq         INTEGER NOT NULL,
    deadline    TEXT    NOT NULL, -- ack, contact, due
    due_at      BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    step        INTEGER NOT NULL,
    to_user_id  BIGINT  NOT NULL,
    to_org_id   BIGINT  NOT NULL,
    UNIQUE (item_type, item_id, seq)
);

-- In-app notifications; e-mail and SMS carry the same codes and a link,
-- never a child's name.
CREATE TABLE notifications (
    id        {{ID}},
    user_id   BIGINT NOT NULL REFERENCES users(id),
    at        BIGINT NOT NULL,
    kind      TEXT   NOT NULL, -- alert.raised, alert.escalated, follow_up.overdue, ...
    ref_type  TEXT   NOT NULL,
    ref_id    BIGINT NOT NULL,
    level     TEXT   NOT NULL DEFAULT '',
    read_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);

-- Who is on duty (the hotline station or a centre) when a school has no
-- counsellor or it is outside school hours.
CREATE TABLE duty_shifts (
    id          {{ID}},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL
);
CREATE INDEX duty_shifts_time ON duty_shifts (starts_at, ends_at);

-- Concern reports (重点摸排): what a head teacher, community worker or
-- counsellor observed. The description is sealed; signs are codes.
CREATE TABLE concern_reports (
    id          {{ID}},
    student_id  BIGINT NOT NULL REFERENCES students(id),
    reporter_id BIGINT NOT NULL REFERENCES users(id),
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id), -- the reporter's unit
    signs       TEXT   NOT NULL,  -- codes separated by spaces
    since       TEXT   NOT NULL DEFAULT '', -- YYYY-MM-DD
    factors     TEXT   NOT NULL DEFAULT '', -- risk factor kinds separated by spaces
    description {{BLOB}},
    created_at  BIGINT NOT NULL
);
CREATE INDEX concern_reports_student ON concern_reports (student_id, created_at);

-- A mobile number for SMS notifications (codes and a link only).
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
