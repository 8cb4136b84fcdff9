-- The steps of a crisis incident, their co-signatures, the guardian
-- decisions and the case reviews are append-only: a correction is a new
-- row. The code never changes them; the database refuses it too.
CREATE TRIGGER incident_steps_no_update BEFORE UPDATE ON incident_steps
BEGIN SELECT RAISE(ABORT, 'incident_steps is append-only'); END;
CREATE TRIGGER incident_steps_no_delete BEFORE DELETE ON incident_steps
BEGIN SELECT RAISE(ABORT, 'incident_steps is append-only'); END;
CREATE TRIGGER incident_cosigns_no_update BEFORE UPDATE ON incident_cosigns
BEGIN SELECT RAISE(ABORT, 'incident_cosigns is append-only'); END;
CREATE TRIGGER incident_cosigns_no_delete BEFORE DELETE ON incident_cosigns
BEGIN SELECT RAISE(ABORT, 'incident_cosigns is append-only'); END;
CREATE TRIGGER incident_guardian_no_update BEFORE UPDATE ON incident_guardian
BEGIN SELECT RAISE(ABORT, 'incident_guardian is append-only'); END;
CREATE TRIGGER incident_guardian_no_delete BEFORE DELETE ON incident_guardian
BEGIN SELECT RAISE(ABORT, 'incident_guardian is append-only'); END;
CREATE TRIGGER incident_reviews_no_update BEFORE UPDATE ON incident_reviews
BEGIN SELECT RAISE(ABORT, 'incident_reviews is append-only'); END;
CREATE TRIGGER incident_reviews_no_delete BEFORE DELETE ON incident_reviews
BEGIN SELECT RAISE(ABORT, 'incident_reviews is append-only'); END;
