-- A lead's score history (same on Postgres and SQLite): every scoring stays
-- in lead_scores for a bounded time (`serve --history-days`), and these say
-- what the history and "why it changed" need without reading the JSON.
-- Both are null in rows recorded before: the margin is then read from the
-- stored explanation, and `as_of` stays unknown.

-- The model's raw output (margin units).
ALTER TABLE lead_scores ADD COLUMN margin DOUBLE PRECISION;
-- The lead's `as_of` (ms): the moment the lead was scored at.
ALTER TABLE lead_scores ADD COLUMN as_of BIGINT;
