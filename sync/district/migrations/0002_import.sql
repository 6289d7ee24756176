-- District import decisions across processes, revocation by key, quotas and
-- quarantine handling (package sync/district, which alone reads and writes
-- these tables).

-- The signing key id of each device (hex), filled in from the enrolment
-- request by sync/district when it opens a district: revocation is by key as
-- well as by device id, and a revoked key never enrols again.
ALTER TABLE district_devices ADD COLUMN signing_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE district_devices ADD COLUMN revoked_by TEXT NOT NULL DEFAULT '';
CREATE INDEX district_devices_key ON district_devices (signing_key_id);
CREATE INDEX district_devices_fingerprint ON district_devices (fingerprint);

-- Bytes kept for a bundle (backlog and quarantine; 0 once applied or
-- rejected): the per-device quota counts them. code is the machine-readable
-- reason next to the Chinese one. A new state 'rejected' keeps the hash of a
-- bundle staff refused for good, without its bytes.
ALTER TABLE district_bundles ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE district_bundles ADD COLUMN code TEXT NOT NULL DEFAULT '';
UPDATE district_bundles SET size = length(data) WHERE data IS NOT NULL;
CREATE INDEX district_bundles_state ON district_bundles (state, device_id, seq);
