"""Write the oracle matrix: small XGBoost models with XGBoost's own answers.

    .venv/bin/python models/training/make_oracle_models.py --out DIR

For every case below this writes DIR/<case>/ with
    model.json      the saved XGBoost model (model.ubj, UBJSON, for the ubjson case)
    features.toml   features f0..f{n-1}, read from fields of the same name
    leads.jsonl     ~200 test leads "<case>-<row>" (no activities)
    expected.jsonl  per lead, in order: XGBoost's margin, probability, SHAP
                    contributions (pred_contribs) and bias
and DIR/cases.json with the case names. The Rust tests compare against these.
Everything is generated from a fixed seed, so reruns give the same files.
"""

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import xgboost as xgb

import fixtures

SEED = 2026
TRAIN_ROWS = 3000
RANDOM_TEST_ROWS = 140
THRESHOLD_PROBES = 20  # each adds 3 test rows: below, on and above a split threshold
SEEN_CATEGORIES = 6  # categorical features train on codes 0..5 and declare c0..c9
DECLARED_CATEGORIES = 10


def logistic_objective(margins, dtrain):
    """Gradient and hessian of the logistic loss, as binary:logistic has them."""
    probabilities = 1 / (1 + np.exp(-margins))
    return probabilities - dtrain.get_label(), probabilities * (1 - probabilities)


@dataclass
class Case:
    """One oracle model: its data, its training parameters and what to check."""

    name: str
    params: dict = field(default_factory=dict)  # XGBoost parameters besides the objective
    rounds: int = 100
    feature_count: int = 8
    categorical: int = 0  # the first this many features are categorical
    train_nan: float = 0.1  # fraction of missing values in training rows
    test_nan: float = 0.1  # ... and in test rows
    objective: str | None = "binary:logistic"  # None with a custom objective
    custom_objective: Callable | None = None
    link: str | None = None  # features.toml link, for objectives that do not imply it
    deeper_than: int = 0  # the model must have a root-to-leaf path longer than this
    file: str = "model.json"  # model.ubj: saved as UBJSON, XGBoost's default since 2.1
    early_stopping: int = 0  # rounds without improvement on a validation split before stopping


# Every case's label is ~30 % positive, so the estimated base_score (the
# default, as in all cases but the two with an explicit one) is not 0.5.
# Every case's test leads include rows on and next to split thresholds.
CASES = [
    Case("depth_1", {"max_depth": 1}),
    Case("depth_3", {"max_depth": 3}),
    Case("depth_6", {"max_depth": 6}),
    Case("depth_10", {"max_depth": 10}),
    Case("lossguide_deep",
         {"grow_policy": "lossguide", "max_depth": 0, "max_leaves": 256, "min_child_weight": 0.1},
         rounds=20, deeper_than=12),
    Case("one_tree", {"max_depth": 6}, rounds=1),
    Case("trees_1000", {"max_depth": 2, "eta": 0.02}, rounds=1000),
    Case("few_features", {"max_depth": 8}, feature_count=3),  # features repeat along paths
    Case("nan_unseen", {"max_depth": 6}, train_nan=0.0, test_nan=0.3),
    Case("categorical", {"max_depth": 6}, categorical=2),
    Case("base_score_03", {"max_depth": 4, "base_score": 0.3}),
    Case("scale_pos_weight", {"max_depth": 4, "scale_pos_weight": 5}),
    Case("reg_logistic", {"max_depth": 4}, objective="reg:logistic"),
    # binary:logitraw predicts margins, so the probability needs an explicit link.
    # Like reg:squarederror, it starts from base_score itself as the margin,
    # where the logistic objectives start from logit(base_score).
    Case("logitraw", {"max_depth": 4}, objective="binary:logitraw", link="logistic"),
    # A custom objective is saved as "reg:squarederror" (checked below), so the
    # model file cannot tell that margins need a logistic link: features.toml does.
    Case("custom_objective", {"max_depth": 4, "base_score": 0.2},
         objective=None, custom_objective=logistic_objective, link="logistic"),
    Case("ubjson", {"max_depth": 6}, file="model.ubj"),
    # Random-forest mode: each round grows 4 trees on row and column samples.
    Case("random_forest", {"max_depth": 5, "num_parallel_tree": 4, "subsample": 0.7,
                           "colsample_bynode": 0.7, "eta": 1.0}, rounds=6),
    # Saved with every tree grown and best_iteration: the scikit-learn wrapper,
    # and leadscore, predict with the first best_iteration + 1 rounds.
    Case("early_stopping", {"max_depth": 4, "eta": 0.3}, rounds=300, early_stopping=5),
]


def deepest_path(model):
    """The number of splits on the longest root-to-leaf path of any tree."""
    deepest = 0
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        stack = [(0, 0)]  # (node, depth)
        while stack:
            node, depth = stack.pop()
            deepest = max(deepest, depth)
            if tree["left_children"][node] != -1:
                stack += [(tree["left_children"][node], depth + 1),
                          (tree["right_children"][node], depth + 1)]
    return deepest


def threshold_rows(rng, model, base_rows):
    """Rows probing numeric split thresholds read from the saved model: for a
    sample of (feature, threshold) pairs, copies of random base rows with that
    feature set to the float32 just below, exactly on and just above it."""
    thresholds = sorted({
        (feature, np.float32(threshold))
        for tree in model["learner"]["gradient_booster"]["model"]["trees"]
        for feature, threshold, left, split_type in zip(
            tree["split_indices"], tree["split_conditions"], tree["left_children"],
            tree["split_type"])
        if left != -1 and split_type == 0  # numeric splits only (leaves have no child)
    })
    chosen = rng.choice(len(thresholds), size=min(THRESHOLD_PROBES, len(thresholds)), replace=False)
    rows = []
    for feature, threshold in (thresholds[i] for i in chosen):
        below = np.nextafter(threshold, np.float32(-np.inf))
        above = np.nextafter(threshold, np.float32(np.inf))
        for value in (below, threshold, above):
            row = base_rows[rng.integers(len(base_rows))].copy()
            row[feature] = value
            rows.append(row)
    return np.array(rows, dtype=np.float32)


def expected_records(case, booster, dtest, lead_ids):
    """XGBoost's answers for the test rows, one JSON record per lead."""
    # After early stopping, the rounds the scikit-learn wrapper predicts with.
    rounds = (0, booster.best_iteration + 1) if case.early_stopping else (0, 0)
    margins = booster.predict(dtest, output_margin=True, iteration_range=rounds)
    contribs = booster.predict(dtest, pred_contribs=True, iteration_range=rounds)
    if case.link:  # the logistic link, in float64 from the float32 margin
        probabilities = 1 / (1 + np.exp(-margins.astype(np.float64)))
    else:
        probabilities = booster.predict(dtest, iteration_range=rounds)
    # SHAP is exact: contributions plus bias add up to the margin.
    assert np.allclose(contribs.astype(np.float64).sum(axis=1), margins, rtol=0, atol=1e-4), case.name
    for lead_id, margin, probability, row in zip(lead_ids, margins, probabilities, contribs):
        yield {
            "lead_id": lead_id,
            "margin": fixtures.f32(margin),
            "probability": float(probability),
            "contribs": [fixtures.f32(value) for value in row[:-1]],
            "bias": fixtures.f32(row[-1]),
        }


def write_case(out, index, case):
    """Train one case's model and write its directory."""
    rng = np.random.default_rng([SEED, index])
    features = fixtures.numbered_features(case.feature_count, case.categorical, DECLARED_CATEGORIES)
    train_rows, labels = fixtures.synthetic_rows(rng, TRAIN_ROWS, features,
                                                 SEEN_CATEGORIES, case.train_nan)
    params = {"nthread": 2, "seed": SEED, **case.params}
    if case.objective:
        params["objective"] = case.objective
    if case.early_stopping:
        cut = TRAIN_ROWS * 4 // 5
        valid = fixtures.dmatrix(train_rows[cut:], features, labels[cut:])
        booster = xgb.train(params, fixtures.dmatrix(train_rows[:cut], features, labels[:cut]), case.rounds,
                            evals=[(valid, "valid")], early_stopping_rounds=case.early_stopping,
                            verbose_eval=False)
        assert booster.num_boosted_rounds() > booster.best_iteration + 1, f"{case.name}: nothing after the best"
    else:
        booster = xgb.train(params, fixtures.dmatrix(train_rows, features, labels), case.rounds,
                            obj=case.custom_objective)

    directory = out / case.name
    directory.mkdir(parents=True, exist_ok=True)
    booster.save_model(directory / "model.json")
    model = json.loads((directory / "model.json").read_text())
    if case.file != "model.json":
        booster.save_model(directory / case.file)
        (directory / "model.json").unlink()
    assert model["learner"]["objective"]["name"] == (case.objective or "reg:squarederror")
    assert deepest_path(model) > case.deeper_than, f"{case.name}: no path deeper than {case.deeper_than}"

    # Test rows may hold the unseen codes 6..9 of categorical features.
    random_rows, _ = fixtures.synthetic_rows(rng, RANDOM_TEST_ROWS, features,
                                             DECLARED_CATEGORIES, case.test_nan)
    test_rows = np.vstack([random_rows, threshold_rows(rng, model, random_rows)])
    leads = list(fixtures.matrix_leads(case.name, test_rows, features))

    fixtures.write_features_toml(directory / "features.toml", "oracle", case.name, features,
                                 link=case.link)
    fixtures.write_jsonl(directory / "leads.jsonl", leads)
    fixtures.write_jsonl(directory / "expected.jsonl", expected_records(
        case, booster, fixtures.dmatrix(test_rows, features), [lead["id"] for lead in leads]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args()
    for index, case in enumerate(CASES):
        write_case(args.out, index, case)
    fixtures.write_json(args.out / "cases.json", [case.name for case in CASES])


if __name__ == "__main__":
    main()
