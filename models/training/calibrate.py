"""Compute calibration.json from a component's scores of the training leads.

    .venv/bin/python models/training/calibrate.py --scores SIM/rules-v1-train-scores.jsonl \\
        --outcomes SIM/outcomes.jsonl --sim SIM/simulation.json \\
        --spec models/rules-v1/features.toml --out models/rules-v1/calibration.json

For models without an XGBoost booster (the rules model, whose margin is its
rule points / 100): the same calibration train.py writes, computed from the
`leadscore score` output of SIM/train.jsonl (see split.py):
    score_quantiles    percentiles of the margins of all training months
    probability        Platt-scaled margin -> probability table, fitted on the validation months
    global_importance  mean |contribution| per feature over the training months,
                       when every scored lead has `contributions`
The lead's month comes from SIM/leads.jsonl, the file beside simulation.json.
"""

import argparse
from pathlib import Path

import numpy as np

import fixtures


def mean_abs_contributions(scores, names):
    """{feature: mean |shap|} over the scored leads, in spec order; None when
    some lead has no contributions (then the component weighs features equally)."""
    if not all("contributions" in score for score in scores):
        return None
    position = {name: index for index, name in enumerate(names)}
    totals = np.zeros(len(names))
    for score in scores:
        for contribution in score["contributions"]:
            if contribution["feature"] not in position:
                raise ValueError(f"contribution of unknown feature {contribution['feature']!r}")
            totals[position[contribution["feature"]]] += abs(contribution["shap"])
    return dict(zip(names, totals / len(scores)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=Path, required=True, help="`leadscore score` output")
    parser.add_argument("--outcomes", type=Path, required=True, help="outcomes.jsonl")
    parser.add_argument("--sim", type=Path, required=True, help="simulation.json")
    parser.add_argument("--spec", type=Path, required=True, help="features.toml")
    parser.add_argument("--out", type=Path, required=True, help="calibration.json to write")
    args = parser.parse_args()

    names = [feature["name"] for feature in fixtures.read_spec(args.spec)["feature"]]
    scores = fixtures.read_scores(args.scores)
    lead_split = fixtures.lead_splits(args.sim)
    split = np.array([lead_split.get(score["lead_id"], "unknown") for score in scores])
    if (split == "unknown").any() or (split == "test").any():
        raise SystemExit(
            f"{args.scores}: {(split == 'unknown').sum()} leads not in the simulation and "
            f"{(split == 'test').sum()} from the test months; score SIM/train.jsonl"
        )
    labels = fixtures.labels_of([score["lead_id"] for score in scores],
                                fixtures.read_outcomes(args.outcomes))
    margins = np.array([score["margin"] for score in scores], dtype=np.float64)
    valid = split == "valid"

    importance = mean_abs_contributions(scores, names)
    fixtures.write_json(
        args.out, fixtures.calibration_json(margins, margins[valid], labels[valid], importance)
    )
    print(
        f"{args.out}: {len(scores)} training leads, {valid.sum()} of them validation "
        f"({int(labels[valid].sum())} won); importance "
        f"{'from contributions' if importance else 'omitted'}"
    )


if __name__ == "__main__":
    main()
