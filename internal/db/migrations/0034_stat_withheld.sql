-- The figures that readers of rounded counts read as withheld
-- (internal/stats/protect.go): decided per year over every unit, grade and
-- period when the year's rollups are refreshed, in the same transaction.
CREATE TABLE stat_withheld (
    period    TEXT   NOT NULL,
    unit_id   BIGINT NOT NULL,
    indicator TEXT   NOT NULL,
    part      TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (unit_id, period, indicator, part)
);
CREATE INDEX stat_withheld_period ON stat_withheld (period);

-- When a period's withheld figures were last decided; 0: never, and
-- rounded readers then read every non-zero figure of it as withheld.
ALTER TABLE stat_periods ADD COLUMN protected_at BIGINT NOT NULL DEFAULT 0;

-- A briefing keeps the figures withheld when its figures were taken.
ALTER TABLE briefings ADD COLUMN withheld TEXT NOT NULL DEFAULT '';
