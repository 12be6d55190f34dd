"""Train the demo lead-scoring model on synthetic leads.

    .venv/bin/python models/demo/train.py [--seed 7]

Writes the committed demo files: models/demo/{model.json, features.toml,
calibration.json} and models/demo/sample-leads.jsonl. The output only depends on
the seed.

Each synthetic lead has firmographic fields and an activity history, both
driven by a hidden "intent"; intent also drives whether the lead converts
(~7 %). The model never sees intent: it learns from the features below,
computed from the lead JSON exactly as the Rust side computes them.
"""

import argparse
import math
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import xgboost as xgb

MODELS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(MODELS / "training"))  # for the shared fixtures module
import fixtures  # noqa: E402

INDUSTRIES = ["software", "finance", "retail", "healthcare", "manufacturing"]
SOURCES = ["web", "referral", "event", "outbound"]
PAGES = ["/pricing", "/docs", "/blog", "/careers"]
CAMPAIGNS = ["spring-launch", "product-newsletter", "webinar-invite", "customer-stories"]
FORMS = ["contact-us", "whitepaper", "newsletter-signup"]

FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
               "Kara", "Luis", "Maya", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sam", "Tariq"]
LAST_NAMES = ["Alvarez", "Brooks", "Chen", "Dubois", "Eriksen", "Fischer", "Gupta", "Hughes",
              "Ito", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel"]
COMPANY_WORDS = ["Northwind", "Bluepeak", "Larkspur", "Ironbridge", "Cedar", "Brightline",
                 "Harbor", "Summit", "Juniper", "Copperleaf", "Redwood", "Silverline"]
COMPANY_KINDS = ["Labs", "Analytics", "Logistics", "Health", "Retail", "Capital", "Systems",
                 "Foods", "Manufacturing", "Software"]

# The model features, in column order, exactly as written to features.toml.
FEATURES = [
    {"name": "employees", "field": "employees", "label": "Employees", "format": "integer",
     "unit": "employees", "unit_one": "employee",
     "reason": "Company has {value} employees", "reason_one": "Company has a single employee",
     "reason_zero": "Company reports no employees", "reason_missing": "Company size unknown"},
    {"name": "industry", "field": "industry", "categories": INDUSTRIES, "label": "Industry",
     "reason": "Works in {value}", "reason_missing": "Industry unknown"},
    {"name": "lead_source", "field": "lead_source", "categories": SOURCES, "label": "Lead source",
     "display": {"web": "website", "outbound": "outbound sales"},
     "reason": "Came in through the {value} channel", "reason_missing": "Lead source unknown"},
    {"name": "pricing_views_7d", "activity": "page_view", "where": {"page": "/pricing"},
     "window_days": 7, "agg": "count", "label": "Pricing page views, last 7 days",
     "reason": "Viewed the pricing page {value} times in the last 7 days",
     "reason_one": "Viewed the pricing page once in the last 7 days",
     "reason_zero": "Has not viewed the pricing page in the last 7 days"},
    {"name": "docs_views_30d", "activity": "page_view", "where": {"page": "/docs"},
     "window_days": 30, "agg": "count", "label": "Documentation views, last 30 days",
     "reason": "Read the docs {value} times in the last 30 days",
     "reason_one": "Read the docs once in the last 30 days",
     "reason_zero": "Has not read the docs in the last 30 days"},
    {"name": "email_clicks_30d", "activity": "email_click", "window_days": 30, "agg": "count",
     "label": "Marketing emails clicked, last 30 days",
     "reason": "Clicked {value} marketing emails in the last 30 days",
     "reason_one": "Clicked 1 marketing email in the last 30 days",
     "reason_zero": "Has not clicked any marketing emails in the last 30 days"},
    {"name": "demo_requests_90d", "activity": "demo_request", "window_days": 90, "agg": "count",
     "label": "Demo requests, last 90 days",
     "reason": "Requested a demo {value} times in the last 90 days",
     "reason_one": "Requested a demo in the last 90 days",
     "reason_zero": "Has not requested a demo in the last 90 days"},
    {"name": "days_since_last_visit", "activity": "page_view", "agg": "days_since_last",
     "label": "Last website visit", "format": "days_ago",
     "reason": "Last visited the website {value}", "reason_missing": "Has never visited the website"},
    {"name": "form_fills_decayed", "activity": "form_fill", "agg": "decayed_count",
     "half_life_days": 14, "label": "Recent form fills", "format": "integer",
     "reason": "About {value} recent form fills (older ones count less)",
     "reason_one": "About 1 recent form fill (older ones count less)",
     "reason_zero": "No recent form fills"},
    {"name": "webinar_minutes_90d", "activity": "webinar", "window_days": 90, "agg": "sum",
     "attribute": "minutes", "label": "Webinar minutes, last 90 days", "format": "integer",
     "unit": "minutes", "unit_one": "minute",
     "reason": "Watched {value} minutes of webinars in the last 90 days",
     "reason_one": "Watched 1 minute of webinars in the last 90 days",
     "reason_zero": "Has not watched any webinars in the last 90 days"},
]

TRAINING_LEADS = 5000
SAMPLE_AS_OF = datetime(2026, 10, 1, 12, tzinfo=timezone.utc)
HISTORY_DAYS = 120  # activities go back this far before as_of
PARAMS = {"objective": "binary:logistic", "max_depth": 4, "eta": 0.15, "nthread": 2,
          "eval_metric": "auc"}
ROUNDS = 60


def pick(rng, options, weights=None):
    """One of `options` (as a plain str), optionally weighted."""
    weights = None if weights is None else np.asarray(weights) / np.sum(weights)
    return str(rng.choice(options, p=weights))


def make_lead(rng, lead_id, as_of, intent):
    """One synthetic lead and whether it converts. Higher `intent` means more,
    more recent and more purchase-minded activity, and likelier conversion."""
    employees = max(1, round(10 ** rng.normal(2.2, 0.8)))
    industry = pick(rng, INDUSTRIES, [30, 20, 20, 15, 15])
    source = pick(rng, SOURCES, [45, 15, 15, 25])
    fields = {
        "name": f"{pick(rng, FIRST_NAMES)} {pick(rng, LAST_NAMES)}",
        "company": f"{pick(rng, COMPANY_WORDS)} {pick(rng, COMPANY_KINDS)}",
        "employees": employees,
        "industry": industry,
        "lead_source": source,
    }
    # CRM records are often incomplete.
    for key, rate in [("employees", 0.08), ("industry", 0.05), ("lead_source", 0.03)]:
        if rng.random() < rate:
            fields[key] = None

    engagement = math.exp(0.8 * intent)  # multiplies every activity rate
    recency = math.exp(0.5 * intent)  # > 1 pulls activity towards as_of

    def when():
        """A time before as_of (recent ones likelier with high intent); 3 % fall
        after as_of, which feature computation must ignore."""
        if rng.random() < 0.03:
            age_days = -rng.uniform(0, 10)
        else:
            age_days = HISTORY_DAYS * rng.random() ** recency
        return fixtures.rfc3339(as_of - timedelta(seconds=int(age_days * 86400)))

    page_weights = [0.1 * math.exp(0.9 * intent), 0.25 * math.exp(0.4 * intent), 0.5, 0.15]
    activities = (
        [{"kind": "page_view", "at": when(), "page": pick(rng, PAGES, page_weights)}
         for _ in range(rng.poisson(6 * engagement))]
        + [{"kind": "email_click", "at": when(), "campaign": pick(rng, CAMPAIGNS)}
           for _ in range(rng.poisson(1.5 * engagement ** 0.7))]
        + [{"kind": "form_fill", "at": when(), "form": pick(rng, FORMS)}
           for _ in range(rng.poisson(0.4 * engagement))]
        + [{"kind": "demo_request", "at": when()}
           for _ in range(rng.poisson(0.08 * engagement ** 2))]
        + [{"kind": "webinar", "at": when(), "minutes": int(rng.integers(5, 61))}
           for _ in range(rng.poisson(0.3 * engagement))]
    )
    activities.sort(key=lambda activity: activity["at"])

    logit = (-3.9 + 1.6 * intent + 0.35 * (math.log10(employees) - 2.2)
             + {"web": 0.0, "referral": 0.6, "event": 0.3, "outbound": -0.4}[source]
             + {"software": 0.4, "finance": 0.2, "retail": -0.3}.get(industry, 0.0))
    converted = rng.random() < 1 / (1 + math.exp(-logit))
    lead = {"id": lead_id, "as_of": fixtures.rfc3339(as_of), "fields": fields,
            "activities": activities}
    return lead, converted


def training_leads(rng):
    """The synthetic training set: leads scored at various times during 2026."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    leads, labels = [], []
    for i in range(TRAINING_LEADS):
        as_of = start + timedelta(seconds=int(rng.integers(0, 270 * 86400)))
        lead, converted = make_lead(rng, f"train-{i:05d}", as_of, rng.normal())
        leads.append(lead)
        labels.append(converted)
    return leads, np.array(labels, dtype=np.float32)


def sample_leads(rng, booster):
    """12 sample leads spanning cold to hot: candidates are ranked by the model
    and picked at evenly spaced ranks, then shuffled and renamed lead-0001.. .
    Three middling ones get the missing-data cases the Rust side must handle."""
    candidates = [make_lead(rng, "candidate", SAMPLE_AS_OF, 1.2 * rng.normal())[0]
                  for _ in range(300)]
    margins = booster.predict(fixtures.dmatrix(fixtures.lead_matrix(candidates, FEATURES),
                                               FEATURES), output_margin=True)
    ranked = np.argsort(margins, kind="stable")
    picks = ranked[np.linspace(0, len(ranked) - 1, 12).round().astype(int)]
    samples = [candidates[i] for i in picks]
    samples[4]["fields"]["employees"] = None  # null field
    samples[5]["fields"]["industry"] = "education"  # text outside the categories
    del samples[6]["fields"]["lead_source"]  # absent field
    rng.shuffle(samples)
    for number, lead in enumerate(samples, start=1):
        lead["id"] = f"lead-{number:04d}"
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    leads, labels = training_leads(rng)
    dtrain = fixtures.dmatrix(fixtures.lead_matrix(leads, FEATURES), FEATURES, labels)
    booster = xgb.train({**PARAMS, "seed": args.seed}, dtrain, ROUNDS)
    auc = float(booster.eval(dtrain).split(":")[1])  # the text is "[0]\teval-auc:<value>"
    print(f"{len(leads)} leads, {labels.mean():.1%} converted, training AUC {auc:.3f}")

    demo = MODELS / "demo"
    booster.save_model(demo / "model.json")
    fixtures.write_features_toml(demo / "features.toml", "lead-scorer", "demo", FEATURES)
    names = [feature["name"] for feature in FEATURES]
    fixtures.write_json(demo / "calibration.json",
                        fixtures.calibration(booster, dtrain, labels, names))
    fixtures.write_jsonl(MODELS / "demo" / "sample-leads.jsonl", sample_leads(rng, booster))


if __name__ == "__main__":
    main()
