-- The learning loop (same on Postgres and SQLite).

-- Each lead's side of the holdout experiment, decided when it is first
-- scored and never changed after (sticky even if the tenant's share changes):
-- 1 = control group (scored and logged, never shown to reps).
ALTER TABLE leads ADD COLUMN control BIGINT NOT NULL DEFAULT 0;
-- When the lead was first scored (ms), and the lead's own `as_of` then: the
-- experiment's clock and the lead's weekly cohort.
ALTER TABLE leads ADD COLUMN first_scored_at BIGINT;
ALTER TABLE leads ADD COLUMN entered_at BIGINT;
-- When a rep first touched the lead, as the CRM reports it (ms).
ALTER TABLE leads ADD COLUMN first_touch_at BIGINT;
UPDATE leads SET first_scored_at = scored_at, entered_at = scored_at;

-- 1 = a shadow version's inference: logged for comparison, never shown.
ALTER TABLE lead_scoring_logs ADD COLUMN shadow BIGINT NOT NULL DEFAULT 0;
ALTER TABLE lead_scoring_logs ADD COLUMN band TEXT;

-- Each tenant's holdout share, guardrail and drift settings (JSON), and
-- when the guardrail last tripped.
CREATE TABLE learning_settings (
    org_id               TEXT PRIMARY KEY,
    settings             TEXT NOT NULL,
    guardrail_tripped_at BIGINT,
    updated_at           BIGINT NOT NULL
);
