-- Imports (backfills) and the queue's lanes (same on Postgres and SQLite).
-- A request waits in its tenant's `live` lane (someone waits for it) or
-- `bulk` lane (imports, scheduled rescores: read when no live request
-- waits). An import's leads are requests with its `job_id`, recorded
-- WAITING and fed to the bulk lane at a throttled rate (then PENDING, and
-- on as any request).
ALTER TABLE score_requests ADD COLUMN lane TEXT NOT NULL DEFAULT 'live';
ALTER TABLE score_requests ADD COLUMN job_id TEXT;
-- In the feeder's order: a job's waiting leads by request id (their line).
CREATE INDEX score_requests_by_job ON score_requests (job_id, status, request_id) WHERE job_id IS NOT NULL;

CREATE TABLE import_jobs (
    job_id      TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    format      TEXT NOT NULL,             -- lead | crm
    state       TEXT NOT NULL,             -- receiving | running | done
    total       BIGINT NOT NULL DEFAULT 0, -- lines received (blank lines are not leads)
    refused     BIGINT NOT NULL DEFAULT 0, -- lines refused on arrival
    errors      TEXT NOT NULL DEFAULT '[]',-- the first refusals: [{line, lead_id, message}]
    created_at  BIGINT NOT NULL,
    started_at  BIGINT,                    -- when every line was received
    finished_at BIGINT,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX import_jobs_by_org ON import_jobs (org_id, created_at);
CREATE INDEX import_jobs_by_state ON import_jobs (state);
