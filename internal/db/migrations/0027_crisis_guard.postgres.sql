-- The steps of a crisis incident, their co-signatures, the guardian
-- decisions and the case reviews are append-only: a correction is a new
-- row. The code never changes them; the database refuses it too.
CREATE FUNCTION crisis_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER incident_steps_no_change BEFORE UPDATE OR DELETE ON incident_steps
FOR EACH ROW EXECUTE FUNCTION crisis_append_only();
CREATE TRIGGER incident_cosigns_no_change BEFORE UPDATE OR DELETE ON incident_cosigns
FOR EACH ROW EXECUTE FUNCTION crisis_append_only();
CREATE TRIGGER incident_guardian_no_change BEFORE UPDATE OR DELETE ON incident_guardian
FOR EACH ROW EXECUTE FUNCTION crisis_append_only();
CREATE TRIGGER incident_reviews_no_change BEFORE UPDATE OR DELETE ON incident_reviews
FOR EACH ROW EXECUTE FUNCTION crisis_append_only();
