-- What became of each lead, as the CRM reports it (the learning loop's
-- labels): the latest report wins.
CREATE TABLE lead_outcomes (
    org_id      TEXT NOT NULL,
    lead_id     TEXT NOT NULL,
    outcome     TEXT NOT NULL,                -- won | lost | disqualified
    at          BIGINT NOT NULL,              -- when it happened (ms since the epoch)
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, lead_id)
);
CREATE INDEX lead_outcomes_by_time ON lead_outcomes (org_id, at);
