-- The stored lead (same on Postgres and SQLite): what the CRM told us about a
-- lead through activity events (`POST /leads/{id}/activities`), field updates
-- (`PATCH /leads/{id}`) and CRM objects, as lead JSON. Rescoring reads it.
-- `leads.context` stays the context of the latest scoring (what the score
-- on screen was computed from).
CREATE TABLE stored_leads (
    org_id         TEXT NOT NULL,
    lead_id        TEXT NOT NULL,
    context        TEXT NOT NULL,       -- lead JSON
    updated_at     BIGINT NOT NULL,
    rescore_due_at BIGINT,              -- a debounced rescore is due then (ms)
    PRIMARY KEY (org_id, lead_id)
);
CREATE INDEX stored_leads_rescore_due ON stored_leads (rescore_due_at);

-- Every activity event received, by its id: a redelivered event is ignored.
CREATE TABLE lead_events (
    org_id      TEXT NOT NULL,
    lead_id     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, lead_id, event_id)
);
