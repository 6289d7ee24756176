-- The district's reviews of visits (records of kind 'review', one per
-- visit, written by the district only), projected like every other record
-- kind. state is survey.ReviewStateOf: it depends on the visit too, so it
-- is refreshed whenever the review or its visit changes (project.go), and
-- lists filter by it.
CREATE TABLE reviews (
    id            TEXT PRIMARY KEY,
    version_id    TEXT NOT NULL,
    visit_id      TEXT NOT NULL UNIQUE,
    enterprise_id TEXT NOT NULL,
    visit_device  TEXT NOT NULL, -- the device whose root version made the visit
    decision      TEXT NOT NULL, -- survey.ReviewDecision
    visit_version TEXT NOT NULL, -- the visit version reviewed
    state         TEXT NOT NULL, -- survey.ReviewState, derived
    reviewer      TEXT NOT NULL,
    at            TEXT NOT NULL, -- RFC 3339, UTC
    conflict      INTEGER NOT NULL DEFAULT 0,
    body          BLOB NOT NULL
);
CREATE INDEX reviews_state ON reviews (state);
CREATE INDEX reviews_enterprise ON reviews (enterprise_id);
CREATE INDEX reviews_device ON reviews (visit_device);

-- The records each device created (their root versions): a down bundle
-- carries the district's versions of them (reviews, 研判) even when their
-- enterprise is not assigned to that device.
CREATE INDEX versions_roots ON versions (device_id, kind) WHERE parents = '[]';
