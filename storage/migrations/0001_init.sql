-- Records are immutable versions; every other record table is a projection
-- of the current tip of each record and can be rebuilt from versions.

CREATE TABLE versions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- local arrival order
    version_id   TEXT    NOT NULL UNIQUE,
    record_id    TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    parents      TEXT    NOT NULL DEFAULT '[]',     -- JSON array of version ids
    form_id      TEXT    NOT NULL DEFAULT '',
    form_version INTEGER NOT NULL DEFAULT 0,
    author       TEXT    NOT NULL DEFAULT '',
    device_id    TEXT    NOT NULL DEFAULT '',
    created      TEXT    NOT NULL,                  -- RFC 3339, UTC
    deleted      INTEGER NOT NULL DEFAULT 0,
    payload      BLOB    NOT NULL,
    local        INTEGER NOT NULL                   -- 1: created in this database, 0: received
);
CREATE INDEX versions_record ON versions (record_id);
-- Outbox reads local versions by seq: a range scan of the primary key.

-- The tips of every record: one row normally, several while in conflict.
CREATE TABLE heads (
    record_id  TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (record_id, version_id)
) WITHOUT ROWID;

-- Received versions whose parent has not arrived yet.
CREATE TABLE backlog (
    version_id TEXT PRIMARY KEY,
    missing    TEXT NOT NULL, -- a parent version id that is not here yet
    version    BLOB NOT NULL  -- the survey.Version as JSON
);
CREATE INDEX backlog_missing ON backlog (missing);

CREATE TABLE enterprises (
    id          TEXT PRIMARY KEY,
    version_id  TEXT NOT NULL,
    uscc        TEXT NOT NULL,
    name        TEXT NOT NULL,
    district    TEXT NOT NULL,
    street      TEXT NOT NULL,
    industry    TEXT NOT NULL,
    assigned_to TEXT NOT NULL,
    py_full     TEXT NOT NULL, -- pinyin without tones or spaces: "haixindianqi"
    py_initials TEXT NOT NULL, -- "hxdq"
    sort_key    BLOB NOT NULL, -- golang.org/x/text/collate key (Chinese pinyin order)
    conflict    INTEGER NOT NULL DEFAULT 0,
    body        BLOB NOT NULL
);
CREATE INDEX enterprises_uscc ON enterprises (uscc);

CREATE TABLE visits (
    id            TEXT PRIMARY KEY,
    version_id    TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    status        TEXT NOT NULL,
    updated       TEXT NOT NULL,
    conflict      INTEGER NOT NULL DEFAULT 0,
    body          BLOB NOT NULL
);
CREATE INDEX visits_enterprise ON visits (enterprise_id);

CREATE TABLE responses (
    id            TEXT PRIMARY KEY,
    version_id    TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    visit_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    day           TEXT NOT NULL,
    body          BLOB NOT NULL
);
CREATE INDEX responses_visit ON responses (visit_id);
CREATE INDEX responses_enterprise ON responses (enterprise_id);

CREATE TABLE ledger_items (
    id            TEXT PRIMARY KEY,
    version_id    TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    visit_id      TEXT NOT NULL,
    demand_index  INTEGER NOT NULL,
    status        TEXT NOT NULL,
    deadline      TEXT NOT NULL,
    created       TEXT NOT NULL,
    conflict      INTEGER NOT NULL DEFAULT 0,
    body          BLOB NOT NULL
);
CREATE INDEX ledger_items_enterprise ON ledger_items (enterprise_id);
CREATE INDEX ledger_items_visit ON ledger_items (visit_id, demand_index);

-- The follow-up log of each ledger item, projected from the item's tip.
CREATE TABLE ledger_follow_ups (
    item_id TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    at      TEXT    NOT NULL,
    by      TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    note    TEXT    NOT NULL,
    PRIMARY KEY (item_id, n)
) WITHOUT ROWID;

CREATE TABLE attachments (
    id         TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    data       BLOB NOT NULL,
    created    TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
