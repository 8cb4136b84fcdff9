-- The parent portal (internal/family): guardians sign in with a phone
-- number and a one-time code; they are not staff accounts.

-- One-time codes, by the keyed hash of the phone (a row is written for any
-- well-formed number, known or not, so that limits and answers are alike).
CREATE TABLE family_codes (
    id         {{ID}},
    phone_hash TEXT    NOT NULL,
    code_hash  TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    used_at    BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX family_codes_phone ON family_codes (phone_hash, created_at);

-- A guardian's session: the SHA-256 of a random token; the phone names the
-- guardian rows (of the schools' rosters) it reaches.
CREATE TABLE family_sessions (
    id          {{ID}},
    token_hash  TEXT   NOT NULL UNIQUE,
    phone       TEXT   NOT NULL,
    guardian_id BIGINT NOT NULL, -- the first guardian row at sign-in (for the audit trail)
    created_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    ended_at    BIGINT NOT NULL DEFAULT 0
);

-- A guardian's concern about their child; it raises an alert at the school
-- through the warning rules (source 'concern'). The description is sealed.
CREATE TABLE family_concerns (
    id            {{ID}},
    student_id    BIGINT NOT NULL REFERENCES students(id),
    guardian_id   BIGINT NOT NULL,
    relation      TEXT   NOT NULL,
    signs         TEXT   NOT NULL,
    urgency       TEXT   NOT NULL, -- routine, soon, urgent
    description   {{BLOB}},
    alert_id      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX family_concerns_student ON family_concerns (student_id, created_at);

-- Consultation slots published by staff holding family.consult, at a school
-- (its counsellors) or a guidance centre (the family-education service).
CREATE TABLE consult_slots (
    id           {{ID}},
    unit_id      BIGINT  NOT NULL REFERENCES org_units(id),
    staff_id     BIGINT  NOT NULL REFERENCES users(id),
    starts_at    BIGINT  NOT NULL,
    minutes      INTEGER NOT NULL,
    mode         TEXT    NOT NULL, -- in_person, phone, online
    place        TEXT    NOT NULL DEFAULT '',
    cancelled_at BIGINT  NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX consult_slots_unit ON consult_slots (unit_id, starts_at);
CREATE INDEX consult_slots_staff ON consult_slots (staff_id, starts_at);

-- A guardian's booking of a slot; the topic is sealed. One live booking per
-- slot: the partial unique index refuses a second one in any transaction.
CREATE TABLE consult_bookings (
    id            {{ID}},
    slot_id       BIGINT NOT NULL REFERENCES consult_slots(id),
    student_id    BIGINT NOT NULL REFERENCES students(id),
    phone         TEXT   NOT NULL, -- the guardian's phone (guardian rows are replaced by roster imports)
    guardian_name TEXT   NOT NULL,
    relation      TEXT   NOT NULL,
    topic         {{BLOB}},
    state         TEXT   NOT NULL DEFAULT 'requested', -- requested, confirmed, cancelled
    live          INTEGER NOT NULL DEFAULT 1,          -- 0 once cancelled
    cancel_reason TEXT   NOT NULL DEFAULT '',
    cancelled_by  TEXT   NOT NULL DEFAULT '',          -- guardian, staff
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX consult_bookings_live ON consult_bookings (slot_id) WHERE live = 1;
CREATE INDEX consult_bookings_phone ON consult_bookings (phone, created_at);

-- Guidance content the centres publish to families: articles and event
-- announcements, zh-CN and optionally English, targeted to units (each
-- target reaches its subtree).
CREATE TABLE guidance_items (
    id           {{ID}},
    unit_id      BIGINT NOT NULL REFERENCES org_units(id), -- the publishing unit
    kind         TEXT   NOT NULL, -- article, event
    title_zh     TEXT   NOT NULL,
    title_en     TEXT   NOT NULL DEFAULT '',
    body_zh      TEXT   NOT NULL,
    body_en      TEXT   NOT NULL DEFAULT '',
    event_at     BIGINT NOT NULL DEFAULT 0,
    place        TEXT   NOT NULL DEFAULT '',
    state        TEXT   NOT NULL DEFAULT 'draft', -- draft, published, withdrawn
    created_by   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    published_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX guidance_items_unit ON guidance_items (unit_id, updated_at);

CREATE TABLE guidance_targets (
    item_id BIGINT NOT NULL REFERENCES guidance_items(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (item_id, unit_id)
);
