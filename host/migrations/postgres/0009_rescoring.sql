-- Scheduled rescoring (same on Postgres and SQLite): a lead whose latest
-- score is older than its tenant's `rescore_every_hours` is rescored at
-- as_of = now. `rescore_queued_at` is the claim that keeps one host (and
-- one request) per due lead.
ALTER TABLE leads ADD COLUMN rescore_queued_at BIGINT;
CREATE INDEX leads_by_scored_at ON leads (scored_at);

-- A tenant's integration settings (`PUT /integrations/settings`).
CREATE TABLE integration_settings (
    org_id              TEXT PRIMARY KEY,
    rescore_every_hours DOUBLE PRECISION NOT NULL,   -- 0: never
    updated_at          BIGINT NOT NULL
);
