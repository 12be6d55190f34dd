//! The stored lead: what the CRM told us about a lead, as lead JSON, kept
//! current by activity events (each applied once, by its id), field updates
//! and CRM objects; and the debounced rescores it asks for.

use anyhow::Result;

use super::{Db, Kind, now_ms};

/// What a change to a stored lead did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// Events new to the lead (the rest were seen before and ignored), by
    /// their position in the request.
    pub new_events: Vec<usize>,
    /// Whether the stored lead changed.
    pub changed: bool,
    /// When the lead's pending rescore is due (ms), if one is.
    pub rescore_due_at: Option<i64>,
    /// The stored lead's JSON after the change.
    pub context: String,
}

/// A stored lead whose debounced rescore is due.
#[derive(Debug, sqlx::FromRow)]
pub struct DueRescore {
    /// The tenant.
    pub org_id: String,
    /// The lead.
    pub lead_id: String,
    /// Its lead JSON.
    pub context: String,
    /// When it was due (ms): the claim is on this value.
    pub rescore_due_at: i64,
}

impl Db {
    /// The stored lead's JSON; else the context of its latest scoring; else
    /// `None` (the lead is unknown to the tenant).
    pub async fn stored_lead(&self, org_id: &str, lead_id: &str) -> Result<Option<String>> {
        let stored: Option<(String,)> =
            sqlx::query_as("SELECT context FROM stored_leads WHERE org_id = $1 AND lead_id = $2")
                .bind(org_id)
                .bind(lead_id)
                .fetch_optional(&self.pool)
                .await?;
        if let Some((context,)) = stored {
            return Ok(Some(context));
        }
        Ok(self.lead(org_id, lead_id).await?.map(|r| r.context))
    }

    /// Changes a stored lead in one transaction: records `event_ids` (those
    /// seen before are not new), reads the stored lead (or `seed`, when the
    /// lead has none yet: a new lead or the context of its latest scoring),
    /// and writes what `change` makes of it, given the positions of the new
    /// events. `change` returns `Ok(None)` for "nothing to change" and
    /// `Err` to refuse (nothing is written: the events stay unseen).
    /// With `rescore_after` (ms), a rescore becomes due that long from now,
    /// unless one is already pending (the burst's first event sets it: a
    /// debounce with a bounded wait). Concurrent changes to one lead wait
    /// for each other (a row lock on Postgres, the write lock on SQLite).
    pub async fn change_stored_lead<E>(
        &self,
        org_id: &str,
        lead_id: &str,
        event_ids: &[&str],
        seed: &str,
        rescore_after: Option<i64>,
        change: impl Fn(&str, &[usize]) -> Result<Option<String>, E>,
    ) -> Result<Result<Stored, E>> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // A write first: on SQLite the transaction holds the write lock from here on.
        let mut new_events = Vec::new();
        for (i, event_id) in event_ids.iter().enumerate() {
            let inserted = sqlx::query(
                "INSERT INTO lead_events (org_id, lead_id, event_id, received_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(org_id)
            .bind(lead_id)
            .bind(*event_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                new_events.push(i);
            }
        }
        sqlx::query(
            "INSERT INTO stored_leads (org_id, lead_id, context, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(org_id)
        .bind(lead_id)
        .bind(seed)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let lock = if self.kind == Kind::Postgres { " FOR UPDATE" } else { "" };
        let (context, due): (String, Option<i64>) = sqlx::query_as(&format!(
            "SELECT context, rescore_due_at FROM stored_leads WHERE org_id = $1 AND lead_id = $2{lock}"
        ))
        .bind(org_id)
        .bind(lead_id)
        .fetch_one(&mut *tx)
        .await?;
        let changed = match change(&context, &new_events) {
            Ok(changed) => changed,
            Err(refused) => {
                tx.rollback().await?;
                return Ok(Err(refused));
            }
        };
        let rescore_due_at = match (changed.is_some(), rescore_after, due) {
            (_, _, Some(due)) => Some(due),
            (true, Some(after), None) => Some(now + after),
            _ => None,
        };
        if let Some(context) = &changed {
            sqlx::query(
                "UPDATE stored_leads SET context = $3, updated_at = $4, rescore_due_at = $5 \
                 WHERE org_id = $1 AND lead_id = $2",
            )
            .bind(org_id)
            .bind(lead_id)
            .bind(context)
            .bind(now)
            .bind(rescore_due_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(Stored { new_events, changed: changed.is_some(), rescore_due_at, context: changed.unwrap_or(context) }))
    }

    /// Replaces the stored lead with `context` (a whole lead JSON the CRM
    /// sent), if the lead has one; a lead without one keeps none.
    pub async fn replace_stored_lead(&self, org_id: &str, lead_id: &str, context: &str) -> Result<()> {
        sqlx::query("UPDATE stored_leads SET context = $3, updated_at = $4 WHERE org_id = $1 AND lead_id = $2")
            .bind(org_id)
            .bind(lead_id)
            .bind(context)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stored leads whose rescore is due, oldest first.
    pub async fn due_rescores(&self, limit: i64) -> Result<Vec<DueRescore>> {
        Ok(sqlx::query_as(
            "SELECT org_id, lead_id, context, rescore_due_at FROM stored_leads \
             WHERE rescore_due_at IS NOT NULL AND rescore_due_at <= $1 ORDER BY rescore_due_at LIMIT $2",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims a due rescore: true for exactly one caller across all hosts
    /// (it clears the due time it read).
    pub async fn claim_rescore(&self, due: &DueRescore) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE stored_leads SET rescore_due_at = NULL \
             WHERE org_id = $1 AND lead_id = $2 AND rescore_due_at = $3",
        )
        .bind(&due.org_id)
        .bind(&due.lead_id)
        .bind(due.rescore_due_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Leads whose latest score is older than their tenant's rescore period
    /// (`default_every_hours` for tenants that set none; 0 is never) and
    /// that no host has queued for rescoring since (or did so over an hour
    /// ago, and the rescore never landed), oldest score first.
    pub async fn stale_leads(&self, default_every_hours: f64, limit: i64) -> Result<Vec<(String, String)>> {
        let now = now_ms();
        Ok(sqlx::query_as(
            "SELECT l.org_id, l.lead_id FROM leads l LEFT JOIN integration_settings s ON s.org_id = l.org_id \
             WHERE l.scored_at IS NOT NULL AND COALESCE(s.rescore_every_hours, $1) > 0 \
             AND l.scored_at < $2 - COALESCE(s.rescore_every_hours, $1) * 3600000 \
             AND (l.rescore_queued_at IS NULL OR l.rescore_queued_at < l.scored_at OR l.rescore_queued_at < $2 - 3600000) \
             ORDER BY l.scored_at LIMIT $3",
        )
        .bind(default_every_hours)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims a stale lead's scheduled rescore: true for exactly one caller
    /// across all hosts.
    pub async fn claim_scheduled_rescore(&self, org_id: &str, lead_id: &str) -> Result<bool> {
        let now = now_ms();
        let claimed = sqlx::query(
            "UPDATE leads SET rescore_queued_at = $3 WHERE org_id = $1 AND lead_id = $2 \
             AND (rescore_queued_at IS NULL OR rescore_queued_at < scored_at OR rescore_queued_at < $3 - 3600000)",
        )
        .bind(org_id)
        .bind(lead_id)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }
}
