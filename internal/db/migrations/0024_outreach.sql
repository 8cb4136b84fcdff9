-- Outreach and venues (issue 7, points 5 and 6): activities that reach the
-- public (awareness events, lectures, parent classes, group activities,
-- media items) in named series, their photos and materials (sealed), the
-- venues of the network, and the yearly rating of venues with its ranking.
-- Activities are never about an identified child: no student links.

-- A named series of activities of one unit (e.g. 栀子花讲堂).
CREATE TABLE outreach_series (
    id          {{ID}},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    name        TEXT   NOT NULL,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_unit_id, name)
);

-- A venue: a school counselling room, a guidance centre, a youth-care room
-- or a civic practice centre, kept by the unit it belongs to.
CREATE TABLE venues (
    id            {{ID}},
    org_unit_id   BIGINT  NOT NULL REFERENCES org_units(id),
    kind          TEXT    NOT NULL, -- counselling_room, guidance_centre, youth_care_room, civic_practice_centre
    name          TEXT    NOT NULL,
    address       TEXT    NOT NULL DEFAULT '',
    facilities    TEXT    NOT NULL DEFAULT '', -- one facility a line
    opening_hours TEXT    NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created_by    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX venues_unit ON venues (org_unit_id, kind);

-- An outreach activity of an organising unit.
CREATE TABLE outreach_activities (
    id          {{ID}},
    org_unit_id BIGINT  NOT NULL REFERENCES org_units(id),
    kind        TEXT    NOT NULL, -- awareness_event, lecture, touring_talk, parent_class, group_activity, media
    title       TEXT    NOT NULL,
    starts_at   BIGINT  NOT NULL,
    venue_id    BIGINT  NOT NULL DEFAULT 0, -- a venue, or 0 with the place as text
    place       TEXT    NOT NULL DEFAULT '',
    audiences   TEXT    NOT NULL, -- codes separated by spaces: students parents teachers public
    attendance  INTEGER NOT NULL DEFAULT 0, -- person-times
    series_id   BIGINT  NOT NULL DEFAULT 0,
    created_by  BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX outreach_activities_unit ON outreach_activities (org_unit_id, starts_at);
CREATE INDEX outreach_activities_starts ON outreach_activities (starts_at);

-- Photos and materials of an activity. They may show children: name and
-- body are sealed, bound to the row.
CREATE TABLE outreach_attachments (
    id           {{ID}},
    activity_id  BIGINT   NOT NULL REFERENCES outreach_activities(id),
    name         {{BLOB}} NOT NULL,
    content_type TEXT     NOT NULL,
    bytes        BIGINT   NOT NULL,
    body         {{BLOB}} NOT NULL,
    added_by     BIGINT   NOT NULL,
    added_at     BIGINT   NOT NULL
);
CREATE INDEX outreach_attachments_activity ON outreach_attachments (activity_id);

-- A yearly rating of the venues of one kind in a unit's subtree.
CREATE TABLE venue_ratings (
    id           {{ID}},
    org_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    year         INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    created_by   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    published_at BIGINT  NOT NULL DEFAULT 0, -- publishing freezes the scores
    published_by BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (org_unit_id, year, kind)
);

-- The criteria of a rating, as data.
CREATE TABLE venue_criteria (
    id        {{ID}},
    rating_id BIGINT  NOT NULL REFERENCES venue_ratings(id),
    position  INTEGER NOT NULL,
    name_zh   TEXT    NOT NULL,
    name_en   TEXT    NOT NULL DEFAULT '',
    weight    INTEGER NOT NULL,
    max_score INTEGER NOT NULL
);
CREATE INDEX venue_criteria_rating ON venue_criteria (rating_id, position);

-- A venue's score on one criterion.
CREATE TABLE venue_scores (
    rating_id    BIGINT  NOT NULL REFERENCES venue_ratings(id),
    venue_id     BIGINT  NOT NULL REFERENCES venues(id),
    criterion_id BIGINT  NOT NULL REFERENCES venue_criteria(id),
    score        INTEGER NOT NULL,
    scored_by    BIGINT  NOT NULL,
    scored_at    BIGINT  NOT NULL,
    PRIMARY KEY (venue_id, criterion_id)
);
CREATE INDEX venue_scores_rating ON venue_scores (rating_id);
