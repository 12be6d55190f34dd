-- The closed loop (same on Postgres and SQLite): each tenant's retrain
-- policy, its retrain jobs, and every step they took with its figures.

CREATE TABLE retrain_policies (
    org_id     TEXT PRIMARY KEY,
    policy     TEXT NOT NULL,                -- RetrainPolicy JSON
    updated_at BIGINT NOT NULL
);

CREATE TABLE retrain_jobs (
    job_id            TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL,
    state             TEXT NOT NULL,         -- queued | running | gated_out | shadowing | promoted | retired | failed
    reason            TEXT NOT NULL,         -- schedule | manual
    candidate_version TEXT NOT NULL,         -- <tenant>-v<n>, reserved when the job is made
    active_version    TEXT,                  -- what the candidate is compared with
    metrics           TEXT NOT NULL DEFAULT '{}',
    message           TEXT NOT NULL DEFAULT '',
    log               TEXT NOT NULL DEFAULT '', -- the trainer's output (its end)
    attempts          BIGINT NOT NULL DEFAULT 0, -- times a host took it
    lease_owner       TEXT,                  -- the host running it, while running
    lease_until       BIGINT,                -- ...which renews this; past it, another host may take the job
    created_at        BIGINT NOT NULL,
    started_at        BIGINT,
    shadow_from       BIGINT,                -- when the candidate entered the shadow
    finished_at       BIGINT,
    updated_at        BIGINT NOT NULL
);
-- One open job per tenant, across every host.
CREATE UNIQUE INDEX retrain_jobs_one_open ON retrain_jobs (org_id) WHERE state IN ('queued', 'running', 'shadowing');
CREATE INDEX retrain_jobs_by_org ON retrain_jobs (org_id, created_at);
CREATE INDEX retrain_jobs_by_state ON retrain_jobs (state);

CREATE TABLE retrain_history (
    job_id  TEXT NOT NULL,
    org_id  TEXT NOT NULL,
    at      BIGINT NOT NULL,
    step    TEXT NOT NULL,                   -- queued | started | shadowing | gated_out | promoted | retired | failed
    message TEXT NOT NULL,
    figures TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX retrain_history_by_org ON retrain_history (org_id, at);
