"""Small model files saved by one XGBoost version, with that version's own
predictions, for guest-model/tests/xgboost_versions.rs.

Run by scripts/xgboost-version-fixtures inside a venv pinned to one XGBoost
(1.0.2 … 3.x). Uses only xgboost and numpy, through the APIs every one of
those versions has (xgb.train, DMatrix, Booster.predict), so the same code
trains the same kind of model in each. Writes, under --out:

  leads.jsonl                the 20 leads every model scores (the same for all)
  <version>/                 20 boosted trees, depth 3
  <version>-forest/          a boosted random forest: 3 rounds of 4 parallel trees, depth 2
  <version>-early-stopping/  depth 2, stopped early on a validation set (best_iteration saved)

each with model.json (and model.ubj where the version writes UBJSON, >= 1.6),
features.toml and expected.jsonl: XGBoost's margin, probability,
SHAP per feature and bias for every lead, predicted by the trained booster
(as the scikit-learn wrapper does after early stopping: the best rounds
only), which the booster loaded back from each saved file must match.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import xgboost as xgb

FEATURES = ["visits", "pages", "tenure_days", "email_opens", "deal_size"]
SEED = 20240614


def version_tuple():
    return tuple(int(p) for p in xgb.__version__.split(".")[:2])


def data(rows, seed):
    """Synthetic leads: 5 numeric features, ~12 % missing, a noisy
    non-linear logistic label. Values are f32 and print exactly."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [
            rng.poisson(4, rows),
            rng.exponential(6, rows),
            rng.uniform(0, 900, rows),
            rng.poisson(2, rows),
            rng.lognormal(9, 1, rows),
        ]
    ).astype(np.float64)
    x = np.round(x, 2).astype(np.float32)
    logit = (
        0.4 * (x[:, 0] - 4)
        + 0.15 * np.minimum(x[:, 1], 15)
        - 0.002 * x[:, 2]
        + 0.5 * (x[:, 3] > 2)
        + 0.3 * (np.log(x[:, 4]) - 9)
    )
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    x[rng.uniform(size=x.shape) < 0.12] = np.nan
    return x, y


def dmatrix(x, y=None):
    return xgb.DMatrix(x, label=y, missing=np.nan, feature_names=FEATURES)


def train(kind, x, y, xv, yv):
    params = {"objective": "binary:logistic", "eta": 0.3, "max_depth": 3, "seed": 7, "nthread": 1}
    if kind == "forest":
        params.update(num_parallel_tree=4, subsample=0.8, colsample_bynode=0.8, eta=0.7, max_depth=2)
        return xgb.train(params, dmatrix(x, y), num_boost_round=3)
    if kind == "early-stopping":
        params.update(eta=0.5, max_depth=2)
        return xgb.train(
            params,
            dmatrix(x, y),
            num_boost_round=60,
            evals=[(dmatrix(xv, yv), "valid")],
            early_stopping_rounds=4,
            verbose_eval=False,
        )
    return xgb.train(params, dmatrix(x, y), num_boost_round=20)


def best_rounds(booster, parallel):
    """Predict kwargs for the best rounds, if the booster stopped early (as
    the scikit-learn wrapper predicts), else {}."""
    best = booster.attr("best_iteration")
    if best is None:
        return {}
    if version_tuple() >= (1, 4):
        return {"iteration_range": (0, int(best) + 1)}
    return {"ntree_limit": (int(best) + 1) * parallel}


def fmt(v):
    """A float as JSON (shortest repr of the f64 value)."""
    return float(v)


def write_leads(path, leads):
    """The leads as lead JSON (a missing value is left out); refuses to
    change a leads.jsonl another version wrote, since every model's
    expected.jsonl answers for those leads."""
    lines = []
    for i, row in enumerate(leads):
        fields = {n: fmt(v) for n, v in zip(FEATURES, row) if not math.isnan(v)}
        lead = {"id": f"v-{i}", "as_of": "2026-01-01T00:00:00Z", "fields": fields, "activities": []}
        lines.append(json.dumps(lead) + "\n")
    text = "".join(lines)
    if os.path.exists(path):
        with open(path) as f:
            if f.read() != text:
                sys.exit(f"{path} holds other leads than numpy {np.__version__} draws: delete it and rebuild every version")
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    version = xgb.__version__
    ubj = version_tuple() >= (1, 6)
    x, y = data(1500, SEED)
    xv, yv = data(400, SEED + 1)
    leads, _ = data(20, SEED + 2)
    leads[3, :] = np.nan  # one lead with nothing known
    write_leads(os.path.join(args.out, "leads.jsonl"), leads)
    for kind in ["boosted", "forest", "early-stopping"]:
        name = version if kind == "boosted" else f"{version}-{kind}"
        out = os.path.join(args.out, name)
        os.makedirs(out, exist_ok=True)
        trained = train(kind, x, y, xv, yv)
        files = ["model.json"] + (["model.ubj"] if ubj else [])
        for f in files:
            trained.save_model(os.path.join(out, f))
        parallel = 4 if kind == "forest" else 1
        d = dmatrix(leads)

        def predict(booster):
            extra = best_rounds(booster, parallel)
            margin = booster.predict(d, output_margin=True, **extra)
            return margin, booster.predict(d, **extra), booster.predict(d, pred_contribs=True, **extra)

        def same(a, b):
            return all(np.array_equal(x, y) for x, y in zip(a, b))

        # The trained booster's answers; each saved file loaded back must
        # give the same ones, or the README says how that version differs.
        answers = [predict(trained)]
        reloaded = [predict(xgb.Booster(model_file=os.path.join(out, f))) for f in files]
        if not all(same(reloaded[0], r) for r in reloaded[1:]):
            sys.exit(f"{name}: model.json and model.ubj predict differently")
        quirk = ""
        if not same(answers[0], reloaded[0]):
            quirk = (
                f" XGBoost {version} predicts otherwise after loading the file back (it does not save"
                " num_parallel_tree, so best_iteration + 1 rounds become that many trees); expected.jsonl"
                " holds what the trained booster predicted, with best_ntree_limit trees."
            )
            print(f"{name}: {quirk.strip()}")
        margin, probability, contribs = answers[0]
        with open(os.path.join(out, "expected.jsonl"), "w") as f:
            for i in range(len(leads)):
                line = {
                    "lead_id": f"v-{i}",
                    "margin": fmt(margin[i]),
                    "probability": fmt(probability[i]),
                    "contribs": [fmt(c) for c in contribs[i][:-1]],
                    "bias": fmt(contribs[i][-1]),
                }
                f.write(json.dumps(line) + "\n")
        with open(os.path.join(out, "features.toml"), "w") as f:
            f.write(f'[model]\nname = "xgboost-{version}"\nversion = "{kind}"\n')
            for n in FEATURES:
                f.write(f'\n[[feature]]\nname = "{n}"\nfield = "{n}"\nreason = "{n} is {{value}}"\n')
        best = trained.attr("best_iteration")
        with open(os.path.join(out, "README.md"), "w") as f:
            f.write(
                f"Saved by XGBoost {version} (Python {sys.version.split()[0]}, numpy {np.__version__}) with "
                f"`scripts/xgboost-version-fixtures {version}`: {kind}"
                + (f", best_iteration {best}" if best is not None else "")
                + f"; {', '.join(files)}.{quirk}\n"
            )
        print(f"{name}: {', '.join(files)}" + (f", best_iteration {best}" if best is not None else ""))


if __name__ == "__main__":
    main()
