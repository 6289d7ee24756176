-- Down requests laptops made over HTTP (POST /v1/devices/{id}/down), kept
-- for as long as their time is inside the window the district accepts
-- (sync.DownRequestWindow), so the same request sent twice is refused
-- (package sync/district, downfetch.go).
CREATE TABLE district_down_nonces (
    device_id TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    expires   TEXT NOT NULL, -- RFC 3339, UTC: the request's time + the window
    PRIMARY KEY (device_id, nonce)
) WITHOUT ROWID;
CREATE INDEX district_down_nonces_expires ON district_down_nonces (expires);
