-- A unit's whole-unit figures (part ''), apart from its grades and classes:
-- a district's dashboard reads its ~90 children's whole figures, which the
-- primary key (unit_id, period, indicator, part) keeps among ~30 school
-- parts each (a year of a district: 3,354 of 65,208 index entries, 1,677
-- rows on 2,276 heap pages instead of 1,151 with this index). Used by the
-- children's read with "AND part = ''" (docs/benchmarks.md, dashboards).
CREATE INDEX stat_rollups_whole ON stat_rollups (unit_id, period) WHERE part = '';
