-- The district workbench lists and counts tens of thousands of records
-- per page view; reading JSON bodies for that (json_extract) costs seconds
-- at 100,000 responses. The few answers it sorts, filters and tallies by
-- are projected into columns of their own (storage/project.go fills them),
-- with indexes that answer the queries without touching the bodies.
ALTER TABLE visits ADD COLUMN visit_date TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN investigator TEXT NOT NULL DEFAULT '';
UPDATE visits SET
    visit_date = CASE json_type(body, '$.answers.visit_date') WHEN 'text' THEN json_extract(body, '$.answers.visit_date') ELSE '' END,
    investigator = CASE json_type(body, '$.investigator') WHEN 'text' THEN json_extract(body, '$.investigator') ELSE '' END;
DROP INDEX visits_day;
CREATE INDEX visits_date ON visits (visit_date, updated);
CREATE INDEX visits_enterprise_status ON visits (enterprise_id, status);

ALTER TABLE ledger_items ADD COLUMN urgency TEXT NOT NULL DEFAULT '';
UPDATE ledger_items SET urgency = CASE json_type(body, '$.urgency') WHEN 'text' THEN json_extract(body, '$.urgency') ELSE '' END;
CREATE INDEX ledger_items_order ON ledger_items (deadline = '', deadline, created, id);

-- The answers the campaign's four figures read (survey.Rates): awareness,
-- participated, sat_overall, rec_bargaining, rec_service. '' when not
-- answered or not text, as survey.ComputeRates counts them.
ALTER TABLE responses ADD COLUMN awareness TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN participated TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN sat_overall TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN rec_bargaining TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN rec_service TEXT NOT NULL DEFAULT '';
UPDATE responses SET
    awareness = CASE json_type(body, '$.answers.awareness') WHEN 'text' THEN json_extract(body, '$.answers.awareness') ELSE '' END,
    participated = CASE json_type(body, '$.answers.participated') WHEN 'text' THEN json_extract(body, '$.answers.participated') ELSE '' END,
    sat_overall = CASE json_type(body, '$.answers.sat_overall') WHEN 'text' THEN json_extract(body, '$.answers.sat_overall') ELSE '' END,
    rec_bargaining = CASE json_type(body, '$.answers.rec_bargaining') WHEN 'text' THEN json_extract(body, '$.answers.rec_bargaining') ELSE '' END,
    rec_service = CASE json_type(body, '$.answers.rec_service') WHEN 'text' THEN json_extract(body, '$.answers.rec_service') ELSE '' END;
CREATE INDEX responses_rates ON responses (enterprise_id, kind, awareness, participated, sat_overall, rec_bargaining, rec_service);

-- Joining visits and ledger items to their enterprise's assignment, street
-- and name (the list filters) without reading the enterprise's body.
CREATE INDEX enterprises_brief ON enterprises (id, assigned_to, street, name);

-- Deleted versions are rare (a conflict whose one side deleted the
-- record): a partial index finds them without scanning every version.
CREATE INDEX versions_deleted ON versions (record_id) WHERE deleted = 1;
