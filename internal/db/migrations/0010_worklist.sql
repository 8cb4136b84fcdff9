-- Work lists read each kind of item in due order by an index range scan
-- (measured with 1,000,000 students: docs/benchmarks.md).
CREATE INDEX alerts_owner_contact ON alerts (owner_user_id, closed_at, contact_due_at, id);
CREATE INDEX escalations_to ON escalations (to_user_id, item_type, item_id, seq);
