-- District server state (package sync/district). Empty on laptops.

CREATE TABLE district_devices (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    investigator  TEXT NOT NULL,
    request       BLOB NOT NULL,           -- the signed enrolment request (public keys)
    fingerprint   TEXT NOT NULL,
    enrolled      TEXT NOT NULL,
    revoked       TEXT NOT NULL DEFAULT '', -- time of revocation, '' while active
    revoke_reason TEXT NOT NULL DEFAULT '',
    seq           INTEGER NOT NULL DEFAULT 0, -- highest contiguous up seq applied
    head          BLOB,                       -- its bundle hash
    down_seq      INTEGER NOT NULL DEFAULT 0,
    down_prev     BLOB
);

-- Every up bundle kept: applied (hash only), backlog and quarantined (with bytes).
CREATE TABLE district_bundles (
    device_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    hash      BLOB    NOT NULL,
    state     TEXT    NOT NULL, -- applied | backlog | quarantined
    reason    TEXT    NOT NULL DEFAULT '',
    received  TEXT    NOT NULL,
    data      BLOB,
    PRIMARY KEY (device_id, seq, hash)
) WITHOUT ROWID;

-- Versions already sent down to a device.
CREATE TABLE district_sent (
    device_id  TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (device_id, version_id)
) WITHOUT ROWID;

-- Decisions of district staff: who, what, why, when.
CREATE TABLE district_log (
    at     TEXT NOT NULL,
    who    TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
