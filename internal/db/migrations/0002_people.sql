-- Staff accounts. Passwords are argon2id hashes; the TOTP secret is sealed.
CREATE TABLE users (
    id                   {{ID}},
    username             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    email                TEXT    NOT NULL DEFAULT '',
    locale               TEXT    NOT NULL DEFAULT 'zh-CN',
    password_hash        TEXT    NOT NULL,
    password_changed_at  BIGINT  NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    totp_secret          {{BLOB}},
    totp_enabled         INTEGER NOT NULL DEFAULT 0,
    totp_last_step       BIGINT  NOT NULL DEFAULT 0,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         BIGINT  NOT NULL DEFAULT 0,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           BIGINT  NOT NULL
);

-- A user's role in a unit; the role's scope is that unit's subtree.
CREATE TABLE memberships (
    id          {{ID}},
    user_id     BIGINT NOT NULL REFERENCES users(id),
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    role        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (user_id, org_unit_id, role)
);
CREATE INDEX memberships_org ON memberships (org_unit_id);

-- Server-side sessions, stored by the SHA-256 of their token. stage is
-- 'password' after the first factor and 'full' after the second.
CREATE TABLE sessions (
    id           {{ID}},
    token_hash   TEXT   NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    stage        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Personal API tokens: hashed, scoped to a list of permissions, revocable.
CREATE TABLE api_tokens (
    id           {{ID}},
    user_id      BIGINT NOT NULL REFERENCES users(id),
    name         TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL UNIQUE,
    permissions  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    revoked_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
