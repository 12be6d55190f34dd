-- Signed webhooks (same on Postgres and SQLite): the endpoints tenants
-- register, and the outbox of deliveries, written in the transaction that
-- records the score, delivered at least once with a stable id.
CREATE TABLE webhook_endpoints (
    id         TEXT PRIMARY KEY,     -- ep_ and 32 hex digits
    org_id     TEXT NOT NULL,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,        -- JSON list of event types
    secret     TEXT NOT NULL,        -- whsec_<base64>: the HMAC key, needed to sign
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints (org_id);

CREATE TABLE webhook_deliveries (
    delivery_id     TEXT PRIMARY KEY, -- msg_ and 32 hex digits: the webhook-id header
    endpoint_id     TEXT NOT NULL,
    org_id          TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,    -- the JSON body, signed as it is
    status          TEXT NOT NULL,    -- pending | delivered | dead
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,  -- ms; a claimed delivery's lease ends here
    last_status     BIGINT,           -- the endpoint's last HTTP status
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);
