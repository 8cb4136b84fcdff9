-- The auditor searches the trail: who read or changed this child's record
-- (object), what did this account do (actor, audit_log_actor), what
-- happened in these days (at). Migration 0033 dropped the object index
-- for the submission benchmark's sake; the search needs it, and an
-- investigation of a leak matters more than the ~4 KB of WAL it adds per
-- entry about a student (docs/benchmarks.md). seq last, so that the newest
-- entries of an object come first without a sort. Entries are appended in
-- time order, so the index on at only ever grows at its end.
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);
