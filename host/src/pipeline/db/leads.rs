//! Leads: the work queue reps see, a lead's latest state and its reported outcome.

use anyhow::Result;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Db, Flag, now_ms};

/// A lead in the work queue.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct LeadRow {
    /// The lead.
    pub lead_id: String,
    /// Contact name.
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Latest score (null for a control-group lead).
    pub score: Option<i64>,
    /// Latest band (null for a control-group lead).
    #[schema(pattern = "^(hot|warm|cold)$")]
    pub band: Option<String>,
    /// When it was scored (ms).
    pub scored_at: Option<i64>,
    /// In the control group: scored, but `score` and `band` are withheld.
    #[schema(value_type = bool)]
    pub control_group: Flag,
}

/// Filters of the work queue.
#[derive(Clone, Debug, Default)]
pub struct LeadQuery {
    /// Only this band.
    pub band: Option<String>,
    /// Name or company contains this (case-insensitive).
    pub search: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
    /// The tenant's own thresholds (hot, cold): bands are read from the
    /// scores with them instead of as the model recorded them.
    pub bands: Option<(u8, u8)>,
}

/// A lead's latest lead JSON and its group.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LeadRecord {
    /// The lead JSON it was last scored with, as the CRM sent it.
    pub context: String,
    /// In the control group.
    pub control: Flag,
}

/// A reported outcome.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct OutcomeRow {
    /// won, lost or disqualified.
    #[schema(pattern = "^(won|lost|disqualified)$")]
    pub outcome: String,
    /// When it happened (ms since the epoch).
    pub at: i64,
}

impl Db {
    /// The tenant's work queue: scored leads, hottest first; and the total.
    pub async fn leads(&self, org_id: &str, q: &LeadQuery) -> Result<(Vec<LeadRow>, i64)> {
        // The search text is matched literally: LIKE's wildcards in it are escaped.
        let literal = |s: &str| s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = q.search.as_deref().map(|s| format!("%{}%", literal(s)));
        // The band shown: by the tenant's thresholds when it has its own.
        let band = "COALESCE(CASE WHEN $4 >= 0 THEN CASE WHEN score > $4 THEN 'hot' WHEN score < $5 THEN 'cold' \
                    ELSE 'warm' END END, band)";
        // Control leads have no band to filter by: their reps see none.
        let filter = format!(
            "WHERE org_id = $1 AND ($2 IS NULL OR ({band} = $2 AND control = 0)) \
             AND ($3 IS NULL OR lower(name) LIKE $3 ESCAPE '\\' OR lower(company) LIKE $3 ESCAPE '\\')"
        );
        let (hot, cold) = q.bands.map_or((-1, -1), |(hot, cold)| (i64::from(hot), i64::from(cold)));
        // A control lead's score is recorded for the lift report, never shown.
        let leads = sqlx::query_as(&format!(
            "SELECT lead_id, name, company, CASE WHEN control = 0 THEN score END AS score, \
             CASE WHEN control = 0 THEN {band} END AS band, scored_at, control AS control_group FROM leads {filter} \
             ORDER BY control, score * (1 - control) DESC, scored_at DESC, lead_id LIMIT $6 OFFSET $7"
        ))
        .bind(org_id)
        .bind(&q.band)
        .bind(&pattern)
        .bind(hot)
        .bind(cold)
        .bind(q.limit)
        .bind(q.offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM leads {filter}"))
            .bind(org_id)
            .bind(&q.band)
            .bind(&pattern)
            .bind(hot)
            .bind(cold)
            .fetch_one(&self.pool)
            .await?;
        Ok((leads, total))
    }

    /// How many of the tenant's leads have a latest score in each tenth
    /// of 0–100 (`[0, 10)`, …, `[90, 100]`).
    pub async fn score_distribution(&self, org_id: &str) -> Result<Vec<i64>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT CASE WHEN score >= 100 THEN 9 ELSE score / 10 END AS bin, COUNT(*) FROM leads \
             WHERE org_id = $1 AND score IS NOT NULL GROUP BY 1",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        let mut bins = vec![0; 10];
        for (bin, count) in rows {
            bins[bin.clamp(0, 9) as usize] += count;
        }
        Ok(bins)
    }

    /// A tenant's lead: its latest lead JSON, and whether it is in the control group.
    pub async fn lead(&self, org_id: &str, lead_id: &str) -> Result<Option<LeadRecord>> {
        Ok(sqlx::query_as("SELECT context, control FROM leads WHERE org_id = $1 AND lead_id = $2")
            .bind(org_id)
            .bind(lead_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Records what became of a lead (the latest report wins).
    pub async fn record_outcome(&self, org_id: &str, lead_id: &str, outcome: &str, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO lead_outcomes (org_id, lead_id, outcome, at, recorded_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, lead_id) DO UPDATE SET outcome = excluded.outcome, at = excluded.at, \
             recorded_at = excluded.recorded_at",
        )
        .bind(org_id)
        .bind(lead_id)
        .bind(outcome)
        .bind(at)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A lead's reported outcome.
    pub async fn outcome(&self, org_id: &str, lead_id: &str) -> Result<Option<OutcomeRow>> {
        Ok(sqlx::query_as("SELECT outcome, at FROM lead_outcomes WHERE org_id = $1 AND lead_id = $2")
            .bind(org_id)
            .bind(lead_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}
