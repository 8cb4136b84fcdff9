-- The audit trail: one row per sign-in, read of identified data, write and
-- export, chained by hash. seq is assigned by the writer from audit_head so
-- that it has no gaps; the head row also serialises writers.
CREATE TABLE audit_log (
    seq           BIGINT  PRIMARY KEY,
    at            BIGINT  NOT NULL,
    actor_user_id BIGINT  NOT NULL DEFAULT 0,
    actor_role    TEXT    NOT NULL DEFAULT '',
    actor_org_id  BIGINT  NOT NULL DEFAULT 0,
    action        TEXT    NOT NULL,
    object_type   TEXT    NOT NULL DEFAULT '',
    object_id     TEXT    NOT NULL DEFAULT '',
    outcome       TEXT    NOT NULL,
    detail        TEXT    NOT NULL DEFAULT '',
    algo          TEXT    NOT NULL,
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
