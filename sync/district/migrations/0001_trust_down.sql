-- District trust renewal, key rotation and kept down bundles (package
-- sync/district). Empty on laptops.

-- Every trust file the district issued, kept byte for byte: the same
-- version is always the same file, and a laptop several versions behind
-- walks the chain one version at a time (TUF), each signed by the key the
-- previous one declared.
CREATE TABLE district_trust (
    version        INTEGER PRIMARY KEY,
    data           BLOB    NOT NULL,        -- the signed trust file
    signing_key_id TEXT    NOT NULL,        -- the district key it declares
    server_url     TEXT    NOT NULL DEFAULT '',
    issued         TEXT    NOT NULL,        -- RFC 3339, UTC
    expires        TEXT    NOT NULL,
    issued_by      TEXT    NOT NULL DEFAULT ''
);

-- The district's key pairs: the current one and earlier ones kept to open
-- bundles laptops sealed before they took the new trust file, until staff
-- retire them. Private keys live in key files (keys/<signing key id>.key),
-- never in the database.
CREATE TABLE district_keys (
    signing_key_id TEXT PRIMARY KEY,
    sealing_key_id TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL,           -- current | previous | retired
    created        TEXT NOT NULL,
    retired        TEXT NOT NULL DEFAULT '',
    retired_by     TEXT NOT NULL DEFAULT '',
    retire_reason  TEXT NOT NULL DEFAULT ''
);

-- Every down bundle sealed for a device, kept so that a lost file can be
-- sent again as exactly the same bytes.
CREATE TABLE district_down (
    device_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    hash      BLOB    NOT NULL,
    created   TEXT    NOT NULL,
    versions  INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    UNIQUE (device_id, seq)
);
