-- Identifying an anonymous child (crisis.Identify) answers whether a name
-- matches at a school: the failed tries are counted and capped per
-- incident, and each is audited, so the form cannot be used to probe
-- which children attend a school.
ALTER TABLE incidents ADD COLUMN identify_tries INTEGER NOT NULL DEFAULT 0;
