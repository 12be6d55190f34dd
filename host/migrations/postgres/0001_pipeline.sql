-- The async pipeline's state. Timestamps are milliseconds since the Unix
-- epoch and JSON is text, so that the same queries run on Postgres and on
-- the embedded SQLite (migrations/sqlite differs only in the blob type).

-- Every accepted scoring request, recorded before the 202.
CREATE TABLE score_requests (
    request_id      TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    lead_id         TEXT NOT NULL,
    idempotency_key TEXT,
    status          TEXT NOT NULL,            -- PENDING | SUCCESS | FAILED
    context         TEXT NOT NULL,            -- the lead JSON
    model_version   TEXT,                     -- overrides.model_version
    force_refresh   BIGINT NOT NULL,          -- 0 or 1 (booleans are integers: sqlx's Any driver reads no SQLite booleans)
    attempts        BIGINT NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (org_id, idempotency_key)
);
CREATE INDEX score_requests_by_status ON score_requests (status, updated_at);

-- One result per request (the brief's columns, plus what the UI shows).
CREATE TABLE lead_scores (
    request_id       TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    lead_id          TEXT NOT NULL,
    score            BIGINT NOT NULL,
    band             TEXT NOT NULL,
    probability      DOUBLE PRECISION NOT NULL,
    confidence       DOUBLE PRECISION NOT NULL,
    explanation_json TEXT NOT NULL,
    model_version    TEXT NOT NULL,
    timestamp        BIGINT NOT NULL
);
CREATE INDEX lead_scores_by_lead ON lead_scores (org_id, lead_id, timestamp);

-- Every inference, for retraining and audit: one row per request and version.
CREATE TABLE lead_scoring_logs (
    request_id    TEXT NOT NULL,
    model_version TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    lead_id       TEXT NOT NULL,
    model_sha256  TEXT NOT NULL,
    features      TEXT NOT NULL,              -- {feature: value}
    contributions TEXT NOT NULL,              -- {feature: shap}
    score         BIGINT NOT NULL,
    probability   DOUBLE PRECISION NOT NULL,
    latency_us    BIGINT NOT NULL,
    cache_hit     BIGINT NOT NULL,             -- 0 or 1
    fell_back     BIGINT NOT NULL,             -- 0 or 1
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (request_id, model_version)
);
CREATE INDEX lead_scoring_logs_by_org ON lead_scoring_logs (org_id, created_at);

-- Each lead's latest context and score: the work queue reads only this.
CREATE TABLE leads (
    org_id     TEXT NOT NULL,
    lead_id    TEXT NOT NULL,
    name       TEXT,
    company    TEXT,
    context    TEXT NOT NULL,
    score      BIGINT,
    band       TEXT,
    request_id TEXT,
    scored_at  BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, lead_id)
);
CREATE INDEX leads_by_score ON leads (org_id, score);

-- Installed components, so that every host can load them.
CREATE TABLE models (
    version      TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    component    BYTEA NOT NULL,
    installed_at BIGINT NOT NULL
);

-- The default routing (tenant '') and tenants' own.
CREATE TABLE routing (
    tenant     TEXT PRIMARY KEY,
    routing    TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
