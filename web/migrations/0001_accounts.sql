-- The district workbench's own tables (package web): accounts, sessions,
-- login attempts, used form tokens, its settings and the laptops' last
-- HTTP contact. Nothing else reads or writes them.

CREATE TABLE web_users (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,      -- login name, as typed (may be Chinese)
    role        TEXT    NOT NULL,             -- admin | reviewer | readonly
    password    TEXT    NOT NULL,             -- argon2id, PHC string
    must_change INTEGER NOT NULL DEFAULT 0,   -- 1: a generated password, change at next login
    disabled    TEXT    NOT NULL DEFAULT '',  -- time the account was disabled, '' while active
    created     TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    last_login  TEXT    NOT NULL DEFAULT '',
    rev         INTEGER NOT NULL DEFAULT 1    -- grows on every change: stale-page check
);

-- Server-side sessions. Only the SHA-256 of the random token is stored: a
-- copy of the database does not let anyone log in.
CREATE TABLE web_sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES web_users (id),
    created    TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL,
    addr       TEXT    NOT NULL DEFAULT '',
    agent      TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- Every login attempt: failures throttle by name and by address; a success
-- or an administrator's unlock starts the count again.
CREATE TABLE web_login_attempts (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    name    TEXT NOT NULL,
    addr    TEXT NOT NULL,
    outcome TEXT NOT NULL -- fail | ok | unlock
);
CREATE INDEX web_login_attempts_name ON web_login_attempts (name, at);
CREATE INDEX web_login_attempts_addr ON web_login_attempts (addr, at);

-- One-time tokens of submitted forms: a form posted twice (double click,
-- reload, back button) is recognised and changes nothing the second time.
CREATE TABLE web_form_tokens (
    token   TEXT    PRIMARY KEY,
    user_id INTEGER NOT NULL,
    used    TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE web_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The laptops' last upload over HTTP and the program version they named.
CREATE TABLE web_device_contacts (
    device_id TEXT PRIMARY KEY,
    at        TEXT NOT NULL,
    agent     TEXT NOT NULL,
    addr      TEXT NOT NULL
) WITHOUT ROWID;
