-- The district's figures (survey.FigureRules) are counted per enterprise
-- in a table kept current by triggers on responses, in the same
-- transaction as every change of a response (ratecounts.go).
-- Its columns and triggers are generated from the rules; this table holds
-- the fingerprint of the generated SQL, so that a release with other rules
-- rebuilds them once at open. The covering index that a full count of
-- every response read is no longer used.
CREATE TABLE rate_counts_schema (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    rules       TEXT NOT NULL
);
DROP INDEX responses_rates;

-- 统计 also counts the responses per questionnaire version (DB.
-- ResponseVersionsAfter); from scratch that read every version row with
-- its payload (110-120 ms over 250,000 versions), this index of the
-- response versions only answers it in about 20 ms.
CREATE INDEX versions_response_forms ON versions (form_id, form_version) WHERE kind = 'response';
