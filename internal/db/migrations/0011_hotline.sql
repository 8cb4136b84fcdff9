-- The hotline station (热线): a contact record for every channel, saved
-- as a draft from the first keystroke and finalised explicitly; repeat
-- contacters known only by keyed hashes of their identifiers.

CREATE TABLE contacts (
    id            {{ID}},
    station_id    BIGINT  NOT NULL REFERENCES org_units(id),
    channel       TEXT    NOT NULL, -- phone, face_to_face, wechat, weibo, letter, outreach, web_chat
    state         TEXT    NOT NULL DEFAULT 'draft', -- draft, final
    counsellor_id BIGINT  NOT NULL REFERENCES users(id), -- who holds it now (a transfer moves it)
    author_id     BIGINT  NOT NULL REFERENCES users(id),
    started_at    BIGINT  NOT NULL,
    ended_at      BIGINT  NOT NULL DEFAULT 0,
    caller_type   TEXT    NOT NULL DEFAULT '', -- child_self, adult_about_child, silent, hang_up, wrong_number, prank, repeat
    age_band      TEXT    NOT NULL DEFAULT '',
    gender        TEXT    NOT NULL DEFAULT '',
    district_id   BIGINT  NOT NULL DEFAULT 0,
    categories    TEXT    NOT NULL DEFAULT '', -- taxonomy codes separated by spaces
    risk          TEXT    NOT NULL DEFAULT '', -- the risk screen's answers as codes
    risk_level    TEXT    NOT NULL DEFAULT '',
    summary       {{BLOB}},                    -- sealed
    actions       TEXT    NOT NULL DEFAULT '', -- codes
    referrals     TEXT    NOT NULL DEFAULT '', -- codes
    follow_up     INTEGER NOT NULL DEFAULT 0,
    profile_id    BIGINT  NOT NULL DEFAULT 0,
    student_id    BIGINT  NOT NULL DEFAULT 0,  -- linked explicitly, audited
    version       INTEGER NOT NULL DEFAULT 1,  -- every save: a stale save is refused
    updated_at    BIGINT  NOT NULL,
    finalised_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX contacts_station ON contacts (station_id, started_at);
CREATE INDEX contacts_counsellor ON contacts (counsellor_id, state, id);
CREATE INDEX contacts_profile ON contacts (profile_id, started_at);

-- Who may edit a contact after it is finalised: rules as data. A rule
-- gives a role (or the author, role '') an editing window in minutes
-- after finalisation (0: always).
CREATE TABLE contact_edit_rules (
    id      {{ID}},
    role    TEXT    NOT NULL, -- '' for the author
    minutes INTEGER NOT NULL
);
INSERT INTO contact_edit_rules (role, minutes) VALUES ('', 1440), ('hotline_supervisor', 0);

-- Repeat contacters: one profile per keyed hash of an identifier (a phone
-- number, a WeChat id). The identifier itself is never stored.
CREATE TABLE contact_profiles (
    id         {{ID}},
    key_hash   TEXT   NOT NULL UNIQUE, -- kind:HMAC-SHA-256 of the normalised identifier
    kind       TEXT   NOT NULL,        -- phone, wechat, weibo, email
    approach   {{BLOB}},              -- sealed: the recommended approach
    created_at BIGINT NOT NULL
);

CREATE TABLE profile_flags (
    id         {{ID}},
    profile_id BIGINT NOT NULL REFERENCES contact_profiles(id),
    flag       TEXT   NOT NULL, -- blocked, abusive, high_risk, known_to_services
    reason     {{BLOB}},        -- sealed
    until_at   BIGINT NOT NULL, -- the flag expires
    set_by     BIGINT NOT NULL,
    set_at     BIGINT NOT NULL
);
CREATE INDEX profile_flags_profile ON profile_flags (profile_id, until_at);
