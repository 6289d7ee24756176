-- How many records and attachments each received bundle carried (from its
-- signed header), for the workbench's list of bundles. Bundles received
-- before this column existed show 0.
ALTER TABLE district_bundles ADD COLUMN records INTEGER NOT NULL DEFAULT 0;
ALTER TABLE district_bundles ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0;
CREATE INDEX district_bundles_received ON district_bundles (received);
