-- The rollups of the indicators (internal/stats/indicators.json): one
-- value per indicator, period (2026-11, 2026-Q4, 2026) and unit (its whole
-- subtree), and at a school per grade ("g7") and class ("g7/1班"). A
-- refresh replaces a period's rows in one transaction.
CREATE TABLE stat_rollups (
    period    TEXT   NOT NULL,
    unit_id   BIGINT NOT NULL,
    indicator TEXT   NOT NULL,
    part      TEXT   NOT NULL DEFAULT '',
    value     BIGINT NOT NULL,
    PRIMARY KEY (unit_id, period, indicator, part)
);
CREATE INDEX stat_rollups_period ON stat_rollups (period);

-- When each period was last computed, and how long it took.
CREATE TABLE stat_periods (
    period       TEXT   PRIMARY KEY,
    refreshed_at BIGINT NOT NULL,
    took_ms      BIGINT NOT NULL
);
