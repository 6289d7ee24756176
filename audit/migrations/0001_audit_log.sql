-- The district's audit log (package audit): every change a person or the
-- server made, who, when, what, on which record, and why. Rows are only
-- ever inserted.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,             -- RFC 3339, UTC
    actor  TEXT NOT NULL,             -- account name, or 系统 for the server itself
    action TEXT NOT NULL,             -- short English code: enroll, revoke, resolve, ...
    target TEXT NOT NULL DEFAULT '',  -- the record, device or account acted on
    detail TEXT NOT NULL,             -- what happened, in Chinese
    reason TEXT NOT NULL DEFAULT ''   -- why, as the person wrote it
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target);

-- Entries recorded before the audit log existed (the district's own log).
INSERT INTO audit_log (at, actor, action, target, detail, reason)
SELECT at, who, action, '', detail, '' FROM district_log ORDER BY rowid;
