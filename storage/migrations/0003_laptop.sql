-- Laptop side of sync (package sync/laptop).

-- Up bundles this laptop sealed, one per seq. The sealed bytes are kept until
-- a verified receipt acknowledges the bundle, so exactly the same file is
-- re-sent for a seq (sealing is randomised; a seq is never sealed twice).
CREATE TABLE laptop_bundles (
    seq          INTEGER PRIMARY KEY,        -- per-device up stream seq, from 1
    hash         TEXT    NOT NULL UNIQUE,    -- SHA-256 of the whole file (hex)
    prev         TEXT    NOT NULL,           -- hash of the previous bundle, zeros for seq 1
    path         TEXT    NOT NULL,           -- file under <data>/outbox/
    first_outbox INTEGER NOT NULL,           -- local version seqs covered (inclusive)
    last_outbox  INTEGER NOT NULL,
    versions     INTEGER NOT NULL,
    attachments  INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    created      TEXT    NOT NULL,           -- RFC 3339, UTC
    handed_at    TEXT,                       -- first copied to a USB stick or uploaded
    handed_via   TEXT    NOT NULL DEFAULT '',-- 'usb' or 'http'
    delivered_at TEXT,                       -- verified receipt arrived
    receipt      BLOB,                       -- the receipt file that acknowledged it
    data         BLOB                        -- sealed bytes; NULL once delivered
);

-- Down bundles from the district that were applied here.
CREATE TABLE laptop_down (
    seq        INTEGER PRIMARY KEY,
    hash       TEXT    NOT NULL UNIQUE,
    prev       TEXT    NOT NULL,
    received   TEXT    NOT NULL,
    versions   INTEGER NOT NULL,
    applied    INTEGER NOT NULL,
    duplicate  INTEGER NOT NULL,
    backlogged INTEGER NOT NULL
);
