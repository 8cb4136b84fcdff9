-- responses_student (student_id, submitted_at) duplicated the leading column
-- of responses_idempotency (student_id, idempotency_key, instrument_id):
-- every query by student (a student's results, the previous screening's
-- totals, the idempotency check) uses that one and sorts a student's few
-- rows. Each submission wrote one more random index page for it.
DROP INDEX responses_student;
