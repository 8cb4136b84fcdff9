-- The workforce (docs/workforce.md): the counsellor registry, certification
-- levels as data, certifications with expiry, per-unit settings (the lapse
-- rule and the warning window) and the record of expiry notices sent.

-- Certification levels: seeded with senior and intermediate; more are added
-- by workforce.manage at the root of the network.
CREATE TABLE cert_levels (
    code       TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,            -- Chinese
    name_en    TEXT    NOT NULL DEFAULT '',
    seniority  INTEGER NOT NULL DEFAULT 0,  -- higher is more senior
    created_at BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO cert_levels (code, name, name_en, seniority) VALUES ('senior', '高级', 'Senior', 20);
INSERT INTO cert_levels (code, name, name_en, seniority) VALUES ('intermediate', '中级', 'Intermediate', 10);

-- One row per person who counsels, in the unit they work for.
CREATE TABLE workforce_people (
    id             {{ID}},
    org_unit_id    BIGINT  NOT NULL REFERENCES org_units(id),
    name           TEXT    NOT NULL,
    kind           TEXT    NOT NULL, -- psych_teacher_full, psych_teacher_part, centre_staff, hotline_counsellor, expert, volunteer, peer_supporter
    tier           TEXT    NOT NULL DEFAULT 'none', -- core, expert, volunteer, none
    user_id        BIGINT  REFERENCES users(id),    -- the linked staff account, or NULL
    qualifications TEXT    NOT NULL DEFAULT '',     -- one per line
    active         INTEGER NOT NULL DEFAULT 1,
    created_by     BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
CREATE UNIQUE INDEX workforce_people_user ON workforce_people (user_id);
CREATE INDEX workforce_people_unit ON workforce_people (org_unit_id, active);

-- Certifications. Dates are days: issued_on and expires_on hold the start
-- of the day (China Standard Time); a certification is valid through the
-- whole of its expiry day.
CREATE TABLE workforce_certs (
    id         {{ID}},
    person_id  BIGINT NOT NULL REFERENCES workforce_people(id),
    level      TEXT   NOT NULL REFERENCES cert_levels(code),
    body       TEXT   NOT NULL, -- the issuing body
    issued_on  BIGINT NOT NULL,
    expires_on BIGINT NOT NULL,
    ended_at   BIGINT NOT NULL DEFAULT 0, -- withdrawn early
    ended_by   BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX workforce_certs_person ON workforce_certs (person_id);
CREATE INDEX workforce_certs_expiry ON workforce_certs (expires_on);

-- Per-unit settings, inherited down the subtree: the lapse rule (on at a
-- unit or above: on) and the warning window (the nearest unit's).
CREATE TABLE workforce_settings (
    org_unit_id BIGINT  PRIMARY KEY REFERENCES org_units(id),
    bar_lapsed  INTEGER NOT NULL DEFAULT 0,
    warn_days   INTEGER NOT NULL DEFAULT 90,
    updated_by  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

-- Expiry notices sent: once per certification per threshold (expiring,
-- lapsed), whatever number of times the daily check runs.
CREATE TABLE workforce_cert_notices (
    cert_id   BIGINT NOT NULL REFERENCES workforce_certs(id),
    threshold TEXT   NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (cert_id, threshold)
);
