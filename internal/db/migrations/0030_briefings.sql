-- Work briefings (简报): a unit's figures for a period, taken from the
-- rollups (exact; each reader reads them as their rights allow), and the
-- author's narrative around them (JSON sections). No child's data.
CREATE TABLE briefings (
    id         {{ID}},
    unit_id    BIGINT NOT NULL REFERENCES org_units(id),
    period     TEXT   NOT NULL,
    locale     TEXT   NOT NULL,
    title      TEXT   NOT NULL,
    body       TEXT   NOT NULL, -- JSON: [{key, title, text, figures}]
    figures    TEXT   NOT NULL, -- JSON: {indicator: value}
    author_id  BIGINT NOT NULL REFERENCES users(id),
    taken_at   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX briefings_unit ON briefings (unit_id, updated_at);
