-- A duty shift is for one of two things: owning new alerts out of school
-- hours (alerts), or answering the hotline (hotline: a station's roster of
-- counsellors, supervisors and volunteers). Only alert shifts make owners.
ALTER TABLE duty_shifts ADD COLUMN purpose TEXT NOT NULL DEFAULT 'alerts';
CREATE INDEX duty_shifts_purpose ON duty_shifts (purpose, starts_at, ends_at);
