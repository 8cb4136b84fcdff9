-- Exports: a table asked for by a user, built by a durable job as that
-- user (scoped and audited as theirs), kept sealed for a week, downloaded
-- only by them.
CREATE TABLE exports (
    id          {{ID}},
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    kind        TEXT    NOT NULL,
    locale      TEXT    NOT NULL,
    filters     TEXT    NOT NULL DEFAULT '', -- URL-encoded
    state       TEXT    NOT NULL,            -- queued, running, ready, failed
    done        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    filename    TEXT    NOT NULL DEFAULT '',
    file        {{BLOB}},
    created_at  BIGINT  NOT NULL,
    finished_at BIGINT  NOT NULL DEFAULT 0,
    expires_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX exports_user ON exports (user_id, id);
