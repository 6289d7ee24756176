-- Forms and the campaign the district published (record kinds 'form' and
-- 'campaign'), projected like every other record: the district writes them,
-- laptops receive them in down bundles. storage/published.go fills them.

-- Every published form version: a form record is create-only, one per
-- form id and version.
CREATE TABLE published_forms (
    id           TEXT    PRIMARY KEY, -- record id
    version_id   TEXT    NOT NULL,
    form_id      TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    published    TEXT    NOT NULL, -- RFC 3339, UTC
    published_by TEXT    NOT NULL,
    body         BLOB    NOT NULL, -- the survey.PublishedForm
    UNIQUE (form_id, version)
);

-- The campaign record's current revision (one row: its tip).
CREATE TABLE published_campaign (
    id           TEXT    PRIMARY KEY, -- record id
    version_id   TEXT    NOT NULL,
    revision     INTEGER NOT NULL,
    campaign_id  TEXT    NOT NULL,
    published    TEXT    NOT NULL,
    published_by TEXT    NOT NULL,
    body         BLOB    NOT NULL  -- the survey.PublishedCampaign
);

