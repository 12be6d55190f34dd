"""Train one lead-scoring model version with XGBoost.

    .venv/bin/python models/training/train.py --spec models/v12/features.toml \\
        --features SIM/v12.csv --outcomes SIM/outcomes.jsonl --sim SIM/simulation.json \\
        --params models/v12/training.toml --out models/v12

Inputs: the feature CSV of `leadscore features` (one row per lead, the exact
float32 inputs the component computes), the outcomes and simulation.json of
`leadscore simulate`. Leads are split by time (fixtures.splits): the "fit"
months train the trees, the "valid" months (the last 3 training months) pick
the number of trees (early stopping) and calibrate probabilities, the "test"
months (the last 6) are not touched here: evaluate.py uses them.

Writes into --out (never features.toml or training.toml):
    model.json        the booster (Booster.save_model), with the spec's feature
                      names and types ("c" categorical, "float" numeric)
    calibration.json  score quantiles and global importance from all training
                      months, the probability table from the validation months
    training.json     parameters used, rows and positives per split, best
                      iteration, validation metric
    reference.json    each feature's distribution over the training months
                      (reference.py): what the service measures drift against

training.toml: every key is optional; keys may sit at the top level or in a
[training] table.
    objective = "logloss"       # binary:logistic, or "focal": binary focal loss
    focal_alpha = 0.25          # focal: weight of the positives (1 - alpha for negatives)
    focal_gamma = 2.0           # focal: focusing exponent (0 = weighted logloss)
    smote = false               # SMOTE-NC oversampling of the positives of the fit months
    smote_ratio = 0.25          # positives / negatives after oversampling
    smote_neighbors = 5
    n_estimators = 1000         # at most this many trees
    early_stopping_rounds = 100 # stop when the validation metric has not improved for this many
    eval_metric = "logloss"     # the early-stopping metric on the validation months: "logloss",
                                # "focal" (focal loss, only with objective "focal") or "auc".
                                # Default: the training loss. AUC is flat and noisy (stops
                                # early); logloss is wrong for focal models (their margins are
                                # not log-odds), so it stops them after one tree.
    seed = 0
Any other key is passed to XGBoost as is (max_depth, eta, min_child_weight,
subsample, colsample_bytree, scale_pos_weight, lambda, alpha, max_bin, ...);
DEFAULT_XGBOOST below gives the defaults. Training always uses
tree_method = "hist" with native categorical splits and 2 threads.

With the focal objective the saved model's objective is "reg:squarederror" (how
XGBoost saves custom objectives): its output is the margin itself, so
features.toml must declare link = "logistic". Note that focal Hessians are far
smaller than logloss ones, so min_child_weight usually needs to be lower.
"""

import argparse
import math
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb
from imblearn.over_sampling import SMOTENC
from sklearn.metrics import log_loss, roc_auc_score

import fixtures
import reference

# Our own settings (everything in training.toml that is not an XGBoost parameter).
DEFAULT_SETTINGS = {
    "objective": "logloss",
    "focal_alpha": 0.25,
    "focal_gamma": 2.0,
    "smote": False,
    "smote_ratio": 0.25,
    "smote_neighbors": 5,
    "n_estimators": 1000,
    "early_stopping_rounds": 100,
    "eval_metric": None,  # None: the training loss itself, "logloss" or "focal"
    "seed": 0,
}
DEFAULT_XGBOOST = {
    "max_depth": 3,
    "eta": 0.03,
    "min_child_weight": 1.0,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
}
THREADS = 2
HESSIAN_FLOOR = 1e-6  # focal Hessians can be tiny or negative; XGBoost needs them positive
IMPORTANCE_ROWS = 10_000  # mean |SHAP| is estimated on at most this many training rows


# --- Focal loss ------------------------------------------------------------------


def focal_objective(alpha, gamma):
    """The binary focal loss (Lin et al. 2017) as an XGBoost custom objective.

    With p = sigmoid(z) the predicted probability of margin z and q = 1 - p:
        positive (y = 1): loss = -alpha       * q**gamma * log(p)
        negative (y = 0): loss = -(1 - alpha) * p**gamma * log(q)
    The function returns the first and second derivatives with respect to the
    margin z (dp/dz = p q), derived by hand and checked against finite
    differences. With gamma = 0 they reduce to alpha-weighted logloss:
    gradient p - y, Hessian p q. The loss is not convex everywhere (its Hessian
    turns negative for badly misclassified rows), so the Hessian is floored at
    HESSIAN_FLOOR.
    """

    def objective(margins, dtrain):
        z = margins.astype(np.float64)
        log_p, log_q = -np.logaddexp(0, -z), -np.logaddexp(0, z)  # stable log p, log q
        p, q = np.exp(log_p), np.exp(log_q)
        positive = dtrain.get_label() > 0.5

        # Positives: d/dz of -alpha q^g log p, and its derivative.
        inner = gamma * p * log_p - q
        grad_pos = alpha * q**gamma * inner
        hess_pos = alpha * p * q**gamma * (q * (gamma * log_p + gamma + 1) - gamma * inner)
        # Negatives: the mirror image (p <-> q, z <-> -z) with weight 1 - alpha.
        inner = p - gamma * q * log_q
        grad_neg = (1 - alpha) * p**gamma * inner
        hess_neg = (1 - alpha) * q * p**gamma * (p * (gamma * log_q + gamma + 1) + gamma * inner)

        grad = np.where(positive, grad_pos, grad_neg)
        hess = np.maximum(np.where(positive, hess_pos, hess_neg), HESSIAN_FLOOR)
        return grad, hess

    return objective


def focal_loss(alpha, gamma):
    """The mean focal loss as an XGBoost custom metric (it gets margins)."""

    def metric(margins, dmatrix):
        z = margins.astype(np.float64)
        log_p, log_q = -np.logaddexp(0, -z), -np.logaddexp(0, z)
        p, q = np.exp(log_p), np.exp(log_q)
        positive = dmatrix.get_label() > 0.5
        loss = np.where(positive, -alpha * q**gamma * log_p, -(1 - alpha) * p**gamma * log_q)
        return "focal", float(loss.mean())

    return metric


def margin_logloss(margins, dmatrix):
    """Validation logloss for a custom objective, whose predictions are margins."""
    probabilities = 1 / (1 + np.exp(-margins))
    return "logloss", float(log_loss(dmatrix.get_label(), probabilities, labels=[0, 1]))


# --- SMOTE-NC ---------------------------------------------------------------------


def smote_nc(rows, labels, features, ratio, neighbors, seed):
    """Add synthetic positive rows with SMOTE-NC; returns (rows, labels) with the
    originals first and the synthetic rows after them.

    SMOTE-NC cannot handle missing values, and dropping rows that have any would
    drop most leads (e.g. days-since-last-visit is missing for every lead that
    never visited) and make synthetic leads never miss anything. So, for
    SMOTE-NC only:
    * a missing category is one more category (code -1);
    * a missing number is filled with its column's median, and "is it missing"
      becomes an extra categorical column. SMOTE-NC sets a synthetic row's
      categories by majority vote of its neighbours, so a synthetic number is
      set back to missing where its neighbours mostly miss it.
    Numbers are standardised for the neighbour search (SMOTE-NC does not scale
    them itself) and mapped back afterwards; columns of whole numbers (counts)
    are rounded back to whole numbers.
    """
    encoded, categorical, scales = pd.DataFrame(index=rows.index), [], {}
    for feature in features:
        name, column = feature["name"], rows[feature["name"]]
        if "categories" in feature:
            encoded[name] = column.cat.codes  # -1 = missing
            categorical.append(name)
            continue
        values = column.astype(np.float64)
        center, scale = values.median(), values.std() or 1.0
        scales[name] = (center, scale)
        encoded[name] = (values.fillna(center) - center) / scale
        if values.isna().any():
            encoded[name + " missing"] = values.isna().astype(int)
            categorical.append(name + " missing")

    sampler = SMOTENC(
        categorical_features=categorical,
        sampling_strategy=ratio,
        k_neighbors=neighbors,
        random_state=seed,
    )
    resampled, new_labels = sampler.fit_resample(encoded, labels.astype(int))
    synthetic = resampled.iloc[len(rows):].reset_index(drop=True)

    # Back to the model's columns and types.
    columns = {}
    for feature in features:
        name = feature["name"]
        if "categories" in feature:
            codes = synthetic[name].to_numpy().astype(int)
            columns[name] = pd.Categorical.from_codes(codes, categories=rows[name].cat.categories)
            continue
        center, scale = scales[name]
        values = synthetic[name].to_numpy() * scale + center
        known = rows[name].dropna().to_numpy()
        if np.array_equal(known, np.round(known)):
            values = np.round(values)
        if name + " missing" in synthetic:
            values[synthetic[name + " missing"].to_numpy().astype(int) == 1] = np.nan
        columns[name] = values.astype(np.float32)
    combined = pd.concat([rows, pd.DataFrame(columns)], ignore_index=True)
    return combined, new_labels.astype(np.float32)


# --- Training ----------------------------------------------------------------------


def read_settings(path):
    """(our settings, XGBoost parameters) from training.toml, defaults filled in."""
    with open(path, "rb") as file:
        document = tomllib.load(file)
    document = document.get("training", document)
    settings = {key: document.get(key, value) for key, value in DEFAULT_SETTINGS.items()}
    xgboost_params = DEFAULT_XGBOOST | {
        key: value for key, value in document.items() if key not in DEFAULT_SETTINGS
    }
    if settings["objective"] not in ("logloss", "focal"):
        raise ValueError(f"{path}: objective must be \"logloss\" or \"focal\"")
    if settings["eval_metric"] is None:
        settings["eval_metric"] = settings["objective"]
    if settings["eval_metric"] not in ("auc", "logloss", settings["objective"]):
        raise ValueError(f"{path}: eval_metric must be \"logloss\" or \"auc\" "
                         f"(or \"focal\" with the focal objective)")
    return settings, xgboost_params


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, required=True, help="features.toml")
    parser.add_argument("--features", type=Path, required=True, help="CSV of `leadscore features`")
    parser.add_argument("--outcomes", type=Path, required=True, help="outcomes.jsonl")
    parser.add_argument("--sim", type=Path, required=True, help="simulation.json")
    parser.add_argument("--params", type=Path, required=True, help="training.toml")
    parser.add_argument("--out", type=Path, required=True, help="the model directory")
    args = parser.parse_args()
    started = time.perf_counter()

    spec = fixtures.read_spec(args.spec)
    features = spec["feature"]
    names = [feature["name"] for feature in features]
    settings, xgboost_params = read_settings(args.params)
    simulation = fixtures.read_simulation(args.sim)

    frame = fixtures.read_features_csv(args.features, features)
    split = fixtures.splits(frame["as_of"], simulation)
    labels = fixtures.labels_of(frame["lead_id"], fixtures.read_outcomes(args.outcomes))
    rows = frame[names]
    fit, valid, train = split == "fit", split == "valid", split != "test"

    fit_rows, fit_labels = rows[fit].reset_index(drop=True), labels[fit]
    if settings["smote"]:
        fit_rows, fit_labels = smote_nc(
            fit_rows, fit_labels, features, settings["smote_ratio"],
            settings["smote_neighbors"], settings["seed"],
        )
    synthetic = len(fit_rows) - fit.sum()

    # Boosting starts from the prior of the rows it fits (after SMOTE-NC): for
    # logloss base_score is that probability (XGBoost takes its logit); for the
    # focal loss the saved objective has an identity link, so base_score is the
    # margin itself: the log-odds of the prior.
    prior = float(fit_labels.mean())
    log_odds = math.log(prior / (1 - prior))
    params = xgboost_params | {
        "tree_method": "hist",
        "nthread": THREADS,
        "seed": settings["seed"],
        "base_score": prior if settings["objective"] == "logloss" else log_odds,
    }
    objective, custom_metric = None, None
    if settings["objective"] == "logloss":
        params["objective"] = "binary:logistic"
    else:
        objective = focal_objective(settings["focal_alpha"], settings["focal_gamma"])
    if settings["eval_metric"] == "focal":
        custom_metric = focal_loss(settings["focal_alpha"], settings["focal_gamma"])
    elif settings["objective"] == "focal" and settings["eval_metric"] == "logloss":
        custom_metric = margin_logloss  # XGBoost's own would read margins as probabilities
    else:
        params["eval_metric"] = settings["eval_metric"]
    if custom_metric:
        params["disable_default_eval_metric"] = 1

    def matrix(part, part_labels=None):
        return xgb.DMatrix(part, label=part_labels, missing=np.nan, enable_categorical=True)

    dvalid = matrix(rows[valid], labels[valid])
    booster = xgb.train(
        params,
        matrix(fit_rows, fit_labels),
        num_boost_round=settings["n_estimators"],
        evals=[(dvalid, "valid")],
        obj=objective,
        custom_metric=custom_metric,
        maximize=settings["eval_metric"] == "auc",
        early_stopping_rounds=settings["early_stopping_rounds"],
        verbose_eval=False,
    )
    best_iteration, best_score = booster.best_iteration, booster.best_score
    booster = booster[: best_iteration + 1]  # keep only the trees up to the best round
    booster.feature_names = names
    booster.feature_types = ["c" if "categories" in feature else "float" for feature in features]
    trained = time.perf_counter()

    # Calibration: quantiles and importance over all training months (real leads
    # only, no synthetic ones), the probability table on the validation months.
    train_rows = rows[train]
    train_rows_frame = frame[train].reset_index(drop=True)
    margins = booster.predict(matrix(train_rows), output_margin=True)
    valid_margins = margins[valid[train]]
    sample = train_rows
    if len(sample) > IMPORTANCE_ROWS:
        sample = sample.sample(IMPORTANCE_ROWS, random_state=settings["seed"])
    contributions = booster.predict(matrix(sample), pred_contribs=True)[:, :-1]  # no bias column
    importance = dict(zip(names, np.abs(contributions).mean(axis=0)))
    calibration = fixtures.calibration_json(margins, valid_margins, labels[valid], importance)

    def counts(mask, mask_labels):
        return {"rows": int(mask.sum()), "positives": int(mask_labels.sum())}

    facts = {
        "model": {"name": spec["model"]["name"], "version": spec["model"]["version"]},
        "simulation": {key: simulation.get(key) for key in ("seed", "leads", "months", "start")},
        "settings": settings,
        "xgboost_params": params,
        "xgboost_version": xgb.__version__,
        "splits": {
            "fit": counts(fit, labels[fit]) | {"smote_added": int(synthetic)},
            "valid": counts(valid, labels[valid]),
            "test": counts(split == "test", labels[split == "test"]),
        },
        "best_iteration": best_iteration,
        "trees": best_iteration + 1,
        "validation": {
            f"best_{settings['eval_metric']}": float(best_score),
            "auc": float(roc_auc_score(labels[valid], valid_margins)),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    booster.save_model(args.out / "model.json")
    fixtures.write_json(args.out / "calibration.json", calibration)
    fixtures.write_json(args.out / "training.json", facts)
    fixtures.write_json(args.out / "reference.json", reference.reference(train_rows_frame, features))

    print(
        f"{spec['model']['version']}: {facts['trees']} trees, validation AUC "
        f"{facts['validation']['auc']:.4f}; fit rows {len(fit_rows)} "
        f"({synthetic} synthetic), valid {valid.sum()}; "
        f"training {trained - started:.1f} s, calibration {time.perf_counter() - trained:.1f} s"
    )


if __name__ == "__main__":
    main()
