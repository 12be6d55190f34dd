"""Shared helpers for the leadscore Python scripts.

Everything the Rust side reads is written through this module, so each file
format lives in exactly one place:

* lead JSON lines  (`write_jsonl`, `matrix_leads`)
* features.toml    (`write_features_toml`, `numbered_features`)
* calibration.json (`calibration`, `calibration_json`, `write_json`)
* simulator outputs and the time split (`read_simulation`, `splits`, ...),
  feature CSVs (`read_features_csv`) and `leadscore score` output (`read_scores`)
* model inputs     (`feature_value`, `lead_matrix`, `dmatrix`): how a lead
  becomes a row of float32 model inputs, with the same semantics as Rust.
"""

import json
import math
import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

# The `as_of` of every lead built from a plain matrix (oracle and benchmark).
FIXED_AS_OF = "2026-10-01T12:00:00Z"


# --- Numbers and files -------------------------------------------------------


def f32(value):
    """A float32 value as a JSON-ready Python float, or None when it is NaN.

    float(np.float32(x)) is the exact value of the float32 written as a double,
    so its JSON text parses back (as f64 or as f32) to exactly the same float32.
    """
    value = np.float32(value)
    return None if np.isnan(value) else float(value)


def rfc3339(moment: datetime) -> str:
    """A UTC datetime as RFC 3339 text with whole seconds, e.g. 2026-10-01T12:00:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_json(path, value):
    """Write one JSON document (NaN is refused: it is not valid JSON)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(value, indent=2, allow_nan=False) + "\n")


def write_jsonl(path, records):
    """Write one JSON object per line."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, allow_nan=False) + "\n")


# --- features.toml -------------------------------------------------------------


def toml_value(value):
    """A Python value as TOML text (strings, numbers, booleans, lists, inline tables)."""
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"TOML cannot hold {value}")
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are valid TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{toml_key(key)} = {toml_value(item)}" for key, item in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def toml_key(key):
    """A TOML key: bare when it may be, quoted otherwise."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def write_features_toml(path, name, version, features, link=None, hot=80, cold=40):
    """Write features.toml. `features` are dicts, one per model column in order,
    whose keys (name, field, categories, activity, agg, ..., reason) are written as is.
    `link` is only needed when the saved objective does not imply it."""
    lines = ["[model]", f"name = {toml_value(name)}", f"version = {toml_value(version)}"]
    if link:
        lines.append(f"link = {toml_value(link)}")
    lines += ["", "[bands]", f"hot = {hot}", f"cold = {cold}"]
    for feature in features:
        lines += ["", "[[feature]]"]
        lines += [f"{toml_key(key)} = {toml_value(value)}" for key, value in feature.items()]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def numbered_features(count, categorical=0, categories=10):
    """Features f0..f{count-1} read from fields of the same name; the first
    `categorical` of them are categorical with categories c0..c{categories-1}."""
    features = []
    for i in range(count):
        feature = {"name": f"f{i}", "field": f"f{i}"}
        if i < categorical:
            feature["categories"] = [f"c{code}" for code in range(categories)]
        feature["reason"] = f"f{i} is {{value}}"
        features.append(feature)
    return features


# --- From leads to model inputs ----------------------------------------------


def matching_activities(lead, feature):
    """(age in days, activity) for each activity of the feature's kind that passes
    its `where` filter and lies in its window: as_of - window_days < at <= as_of
    (only at <= as_of without a window)."""
    as_of = datetime.fromisoformat(lead["as_of"])
    window = timedelta(days=feature["window_days"]) if "window_days" in feature else None
    for activity in lead["activities"]:
        if activity["kind"] != feature["activity"]:
            continue
        if any(activity.get(key) != value for key, value in feature.get("where", {}).items()):
            continue
        age = as_of - datetime.fromisoformat(activity["at"])
        if age < timedelta(0) or (window is not None and age >= window):
            continue
        yield age.total_seconds() / 86400, activity


def agg_count(matches, feature):
    """Number of matching activities (0 if none)."""
    return len(matches)


def agg_days_since_last(matches, feature):
    """Days since the latest matching activity; missing (NaN) if none."""
    return min((age for age, _ in matches), default=math.nan)


def agg_decayed_count(matches, feature):
    """Each matching activity counts 0.5 ** (age / half_life_days) (0 if none)."""
    return sum(0.5 ** (age / feature["half_life_days"]) for age, _ in matches)


def agg_sum(matches, feature):
    """Sum of the numeric `attribute` over the matching activities (0 if none)."""
    return sum(activity[feature["attribute"]] for _, activity in matches)


AGGREGATES = {
    "count": agg_count,
    "days_since_last": agg_days_since_last,
    "decayed_count": agg_decayed_count,
    "sum": agg_sum,
}


def feature_value(lead, feature):
    """One feature of one lead, as a float (NaN = missing). A categorical value
    becomes its index in `categories`; unknown text is missing."""
    if "field" in feature:
        value = lead["fields"].get(feature["field"])
        if "categories" in feature:
            if isinstance(value, bool):  # a boolean is the category "true" or "false", as in Rust
                value = "true" if value else "false"
            return feature["categories"].index(value) if value in feature["categories"] else math.nan
        return math.nan if value is None else float(value)
    matches = list(matching_activities(lead, feature))
    return AGGREGATES[feature["agg"]](matches, feature)


def lead_matrix(leads, features):
    """The feature matrix of a list of leads: one row per lead, one column per feature."""
    return np.array([[feature_value(lead, feature) for feature in features] for lead in leads])


def dmatrix(rows, features, label=None):
    """An XGBoost DMatrix of float32 inputs (NaN = missing). Categorical columns
    hold codes; they become pandas categoricals whose categories are declared in
    features.toml order, so XGBoost's category codes are the Rust side's codes."""
    columns = {}
    for column, feature in zip(np.asarray(rows).T, features):
        if "categories" in feature:
            codes = np.where(np.isnan(column), -1, column).astype(int)  # -1 = missing
            columns[feature["name"]] = pd.Categorical.from_codes(codes, categories=feature["categories"])
        else:
            columns[feature["name"]] = column.astype(np.float32)
    frame = pd.DataFrame(columns)
    return xgb.DMatrix(frame, label=label, missing=np.nan, enable_categorical=True)


def matrix_leads(prefix, rows, features):
    """Leads "<prefix>-<row>" whose fields hold the rows' values: numbers exactly
    as the float32 fed to XGBoost, categories as their text, missing as null."""
    for index, row in enumerate(np.asarray(rows, dtype=np.float32)):
        fields = {}
        for value, feature in zip(row, features):
            if "categories" in feature and not np.isnan(value):
                fields[feature["field"]] = feature["categories"][int(value)]
            else:
                fields[feature["field"]] = f32(value)
        yield {"id": f"{prefix}-{index}", "as_of": FIXED_AS_OF, "fields": fields, "activities": []}


# --- Synthetic matrix data (oracle and benchmark) ------------------------------


def synthetic_rows(rng, count, features, seen_categories=6, nan_rate=0.1):
    """`count` rows of float32 inputs for `features` and a 0/1 label (~30 % ones).

    Categorical columns hold codes below `seen_categories`. Numeric columns have
    mixed scales (0.01 .. 100) and every fourth is a whole-number count, so many
    values sit exactly on split thresholds. The label depends non-linearly on
    the inputs. Finally a fraction `nan_rate` of all values becomes NaN.
    """
    is_categorical = np.array(["categories" in feature for feature in features])
    codes = rng.integers(0, seen_categories, size=(count, is_categorical.sum()))
    z = rng.normal(size=(count, (~is_categorical).sum()))  # standardised numeric inputs

    signal = (
        np.sin(2 * z[:, 0::3]).sum(axis=1)
        + z[:, 1::3].sum(axis=1)
        + (z[:, 2::3] ** 2 - 1).sum(axis=1)
        + z[:, 0] * z[:, 1]
    ) / np.sqrt(z.shape[1])
    signal += np.cos(1.7 * codes).sum(axis=1)  # a fixed effect per category code
    label = rng.random(count) < 1 / (1 + np.exp(-(2 * signal - 1)))

    numeric = z * 10.0 ** (np.arange(z.shape[1]) % 5 - 2)
    numeric[:, 3::4] = np.round(np.exp(z[:, 3::4]) * 3)
    rows = np.empty((count, len(features)), dtype=np.float32)
    rows[:, is_categorical] = codes
    rows[:, ~is_categorical] = numeric
    rows[rng.random(rows.shape) < nan_rate] = np.nan
    return rows, label.astype(np.float32)


# --- calibration.json ------------------------------------------------------------


def calibration(booster, dtrain, labels, names):
    """calibration.json for a model, from its training rows: the percentiles of
    the margins, a monotone margin -> probability table, and each feature's
    mean |SHAP| value."""
    margins = booster.predict(dtrain, output_margin=True)
    contribs = booster.predict(dtrain, pred_contribs=True)[:, :-1]  # drop the bias column
    importance = dict(zip(names, np.abs(contribs).mean(axis=0)))
    return calibration_json(margins, margins, labels, importance)


def calibration_json(margins, table_margins, table_labels, importance=None):
    """calibration.json from margins:

    * score_quantiles: the 0th..100th percentiles of `margins` (the training population);
    * probability: margin -> conversion, Platt-scaled on (`table_margins`,
      `table_labels`) (a held-out part), tabulated at those percentiles;
    * global_importance: {feature: mean |contribution|}, if given.
    """
    margins = np.asarray(margins, dtype=np.float64)
    quantiles = np.percentile(margins, np.arange(101))
    result = {
        "score_quantiles": [float(q) for q in quantiles],
        "probability": platt_table(
            np.asarray(table_margins, dtype=np.float64), np.asarray(table_labels, dtype=np.float64), quantiles
        ),
    }
    if importance is not None:
        result["global_importance"] = {name: float(value) for name, value in importance.items()}
    return result


def platt_table(margins, labels, knots):
    """A margin -> probability table: p = sigmoid(a * margin + b), a and b
    fitted by logistic regression (Platt scaling), tabulated at `knots`.

    Two parameters fitted on a few hundred positives: smooth and stable in the
    tails, where an isotonic table of so few positives is flat and coarse
    (measured: the top decile under-predicted by a quarter). Monotone because
    a > 0, which is checked.
    """
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e6).fit(margins.reshape(-1, 1), labels)
    slope, intercept = float(fit.coef_[0][0]), float(fit.intercept_[0])
    if slope <= 0:
        raise ValueError(f"Platt scaling found no positive relation between margin and outcome (slope {slope})")
    knots = np.unique(knots)  # strictly ascending
    values = 1 / (1 + np.exp(-(slope * knots + intercept)))
    return {"margin": [float(k) for k in knots], "value": [float(v) for v in values]}


# --- Simulator outputs and the time split --------------------------------------
#
# A lead belongs to month m when its as_of lies in [start + m * MONTH, start + (m + 1) * MONTH),
# with `start` from simulation.json. The last TEST_MONTHS months are the held-out
# test set; the VALID_MONTHS before them are the validation part of the training
# months (early stopping, probability calibration); the rest is "fit".
# With 24 months: fit = months 0-14, valid = 15-17, test = 18-23.
# simulation.json may set its own: a tenant's retrain export holds out
# "test_months" and "valid_months" of its choosing (leadscore's retrain jobs).

MONTH = pd.Timedelta(days=365.25 / 12)
TEST_MONTHS = 6
VALID_MONTHS = 3


def held_out_months(simulation):
    """(test months, validation months) of a simulation.json."""
    return simulation.get("test_months", TEST_MONTHS), simulation.get("valid_months", VALID_MONTHS)


def read_simulation(path):
    """simulation.json as a dict."""
    return json.loads(Path(path).read_text())


def read_spec(path):
    """features.toml as a dict; its features are spec["feature"], in model column order."""
    with open(path, "rb") as file:
        return tomllib.load(file)


def splits(as_of, simulation):
    """"fit", "valid" or "test" for each as_of (RFC 3339 texts), as a numpy array."""
    start = pd.Timestamp(simulation["start"])
    moments = pd.to_datetime(pd.Series(list(as_of), dtype=str), utc=True, format="ISO8601")
    months = ((moments - start) // MONTH).to_numpy()
    outside = (months < 0) | (months >= simulation["months"])
    if outside.any():
        raise ValueError(
            f"{outside.sum()} leads have an as_of outside the simulated {simulation['months']} "
            f"months from {simulation['start']}, e.g. {list(as_of)[int(np.argmax(outside))]}"
        )
    test_months, valid_months = held_out_months(simulation)
    test_start = simulation["months"] - test_months
    return np.select(
        [months < test_start - valid_months, months < test_start], ["fit", "valid"], "test"
    )


def lead_splits(simulation_path):
    """{lead id: split} for SIM/leads.jsonl, the file beside SIM/simulation.json."""
    ids, as_of = [], []
    with open(Path(simulation_path).with_name("leads.jsonl"), encoding="utf-8") as leads:
        for line in leads:
            lead = json.loads(line)
            ids.append(lead["id"])
            as_of.append(lead["as_of"])
    return dict(zip(ids, splits(as_of, read_simulation(simulation_path))))


def read_outcomes(path):
    """{lead id: 1 if won, 0 if lost} from outcomes.jsonl."""
    outcomes = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["outcome"] not in ("won", "lost"):
                raise ValueError(f"{path}: unknown outcome {record['outcome']!r}")
            outcomes[record["lead_id"]] = int(record["outcome"] == "won")
    return outcomes


def labels_of(lead_ids, outcomes):
    """The 0/1 outcome of each lead id, as float32; fails if any lead has none."""
    missing = [lead_id for lead_id in lead_ids if lead_id not in outcomes]
    if missing:
        raise ValueError(f"{len(missing)} leads have no outcome, e.g. {missing[0]}")
    return np.array([outcomes[lead_id] for lead_id in lead_ids], dtype=np.float32)


def read_features_csv(path, features):
    """The CSV of `leadscore features`: lead_id, as_of, then one column per
    feature in model order (empty = missing). Numeric columns become float32
    (the exact values the model sees); categorical columns hold codes and become
    pandas categoricals with categories 0..n-1, so XGBoost's category codes are
    the indices into features.toml's `categories`."""
    names = [feature["name"] for feature in features]
    frame = pd.read_csv(
        path,
        dtype={"lead_id": str, "as_of": str} | {name: np.float64 for name in names},
        float_precision="round_trip",  # exact text -> double; the cast to float32 is then exact
        keep_default_na=False,
        na_values=[""],
    )
    if list(frame.columns) != ["lead_id", "as_of", *names]:
        raise ValueError(f"{path}: columns {list(frame.columns)}, expected lead_id, as_of, {names}")
    for feature in features:
        column = frame[feature["name"]]
        if "categories" in feature:
            count = len(feature["categories"])
            codes = column.fillna(-1).astype(int)  # -1 = missing
            if codes.max() >= count or (codes != column.fillna(-1)).any():
                raise ValueError(f"{path}: {feature['name']} has codes outside 0..{count - 1}")
            frame[feature["name"]] = pd.Categorical.from_codes(codes, categories=range(count))
        else:
            frame[feature["name"]] = column.astype(np.float32)
    return frame


def read_scores(path):
    """The JSON lines of `leadscore score`, as dicts. Fails if any line is an error."""
    with open(path, encoding="utf-8") as lines:
        scores = [json.loads(line) for line in lines if line.strip()]
    errors = [score for score in scores if "error" in score]
    if errors:
        raise ValueError(
            f"{path}: {len(errors)} of {len(scores)} leads failed to score, "
            f"e.g. {json.dumps(errors[0])}"
        )
    return scores
