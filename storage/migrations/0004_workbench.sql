-- Indexes for the district workbench's lists and figures (web/): filters
-- by street, team (assigned device), status and date, and the overview's
-- per-device progress, over 100,000 enterprises and tens of thousands of
-- visits and ledger items. Laptops carry them too; they are small.
CREATE INDEX enterprises_assigned ON enterprises (assigned_to);
CREATE INDEX enterprises_street ON enterprises (street);
CREATE INDEX visits_status ON visits (status);
CREATE INDEX visits_day ON visits (json_extract(body, '$.answers.visit_date'));
CREATE INDEX ledger_items_status ON ledger_items (status, deadline);
CREATE INDEX responses_kind ON responses (kind);
-- Records in conflict, counted on every overview: partial indexes hold
-- only the flagged rows.
CREATE INDEX enterprises_conflict ON enterprises (id) WHERE conflict = 1;
CREATE INDEX visits_conflict ON visits (id) WHERE conflict = 1;
CREATE INDEX ledger_items_conflict ON ledger_items (id) WHERE conflict = 1;
