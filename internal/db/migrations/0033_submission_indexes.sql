-- Fewer random index pages per questionnaire submission (issue 3, point 14):
-- students submit in any order, so every index keyed by student gets one
-- more page written (to the WAL, then to the file) per submission.
--
-- outbox_student (student_id, kind, ref_id) served one query only: whether
-- a student already had a "screening.critical" event in a campaign. A
-- partial index of those rows answers it, and a submission that is not
-- critical (~97%) no longer writes to it.
DROP INDEX outbox_student;
CREATE INDEX outbox_critical ON outbox (student_id, ref_id) WHERE kind = 'screening.critical';
-- audit_log_object (object_type, object_id) served no query: the auditor's
-- page reads by seq, the one search by actor uses audit_log_actor. Each
-- entry about a student wrote a random page of it (twice per submission:
-- the code check and the answers). An audit search by object, if one is
-- added, needs an index again.
DROP INDEX audit_log_object;
