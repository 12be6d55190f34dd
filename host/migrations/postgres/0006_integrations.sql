-- CRM integration (same on Postgres and SQLite): each tenant's mapping from
-- its CRM's object to the lead (`PUT /integrations/mapping`).
CREATE TABLE crm_mappings (
    org_id     TEXT PRIMARY KEY,
    preset     TEXT,                 -- hubspot | salesforce, when it is one
    mapping    TEXT NOT NULL,        -- the mapping, as JSON
    updated_at BIGINT NOT NULL
);
