-- The org network: a tree of units with a materialized path ("/1/5/23/")
-- so that a subtree is one indexed range scan on both engines.
CREATE TABLE org_units (
    id          {{ID}},
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    name_en     TEXT    NOT NULL DEFAULT '',
    code        TEXT    NOT NULL DEFAULT '',
    parent_id   BIGINT  REFERENCES org_units(id),
    path        {{PATH}} NOT NULL DEFAULT '',
    depth       INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX org_units_path ON org_units (path);
CREATE INDEX org_units_parent ON org_units (parent_id);

-- Every rename, move, (de)activation of a unit, kept for ever.
CREATE TABLE org_unit_history (
    id            {{ID}},
    org_unit_id   BIGINT NOT NULL REFERENCES org_units(id),
    at            BIGINT NOT NULL,
    actor_user_id BIGINT,
    change        TEXT   NOT NULL,
    old_value     TEXT   NOT NULL DEFAULT '',
    new_value     TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX org_unit_history_unit ON org_unit_history (org_unit_id, at);
