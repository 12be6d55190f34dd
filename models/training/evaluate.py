"""Evaluate a model component on the held-out test months and write its model card.

    .venv/bin/python models/training/evaluate.py --scores SIM/v12-test-scores.jsonl \\
        --outcomes SIM/outcomes.jsonl --sim SIM/simulation.json \\
        --name lead-scorer --version v12 --out models/v12

--scores is the `leadscore score` output of SIM/test.jsonl (see split.py); every
scored lead must lie in the test months. Writes into --out:
    metrics.json     every number below
    model-card.md    what the model is (from training.json in --out, if there)
                     and how it did: ROC-AUC, PR-AUC, bands, top-decile lift,
                     calibration per decile of probability and per quintile of
                     confidence
    calibration.png  the reliability plot of the deciles, with 95 % intervals
The output only depends on the inputs (no timestamps).
"""

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

import fixtures  # noqa: E402

Z_95 = 1.959963984540054  # the two-sided 95 % normal quantile
BANDS = ["hot", "warm", "cold"]


def wilson_interval(successes, trials):
    """The 95 % Wilson score interval of a binomial proportion."""
    rate = successes / trials
    z2 = Z_95**2
    center = (rate + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z_95 / (1 + z2 / trials) * np.sqrt(rate * (1 - rate) / trials + z2 / (4 * trials**2))
    return float(center - half), float(center + half)


def calibration_groups(frame, key, groups):
    """Split the leads into `groups` equal-count groups by ascending `key`, and
    compare each group's mean predicted probability with its observed rate."""
    rows = []
    order = np.argsort(frame[key].to_numpy(), kind="stable")
    for number, part in enumerate(np.array_split(order, groups), start=1):
        group = frame.iloc[part]
        won, count = int(group["won"].sum()), len(group)
        low, high = wilson_interval(won, count)
        predicted = float(group["probability"].mean())
        rows.append({
            "group": number,
            "leads": count,
            f"{key}_min": float(group[key].min()),
            f"{key}_max": float(group[key].max()),
            "predicted": predicted,
            "observed": won / count,
            "won": won,
            "interval": [low, high],
            "inside": low <= predicted <= high,
        })
    return rows


def compute_metrics(frame):
    """All test-month numbers of one model, as a JSON-ready dict."""
    labels, margins = frame["won"].to_numpy(), frame["margin"].to_numpy()
    base_rate = float(labels.mean())
    bands = {}
    for band in BANDS:
        members = frame[frame["band"] == band]
        rate = float(members["won"].mean()) if len(members) else None
        bands[band] = {
            "leads": len(members),
            "share": len(members) / len(frame),
            "won": int(members["won"].sum()),
            "conversion": rate,
            "vs_base_rate": None if rate is None else rate / base_rate,
        }
    top = np.argsort(-margins, kind="stable")[: int(np.ceil(len(frame) / 10))]
    deciles = calibration_groups(frame, "probability", 10)
    return {
        "leads": len(frame),
        "won": int(labels.sum()),
        "base_rate": base_rate,
        "roc_auc": float(roc_auc_score(labels, margins)),
        "pr_auc": float(average_precision_score(labels, margins)),
        "top_decile": {
            "leads": len(top),
            "conversion": float(labels[top].mean()),
            "lift": float(labels[top].mean()) / base_rate,
        },
        "bands": bands,
        "calibration_deciles": deciles,
        "calibration_misses": sum(not row["inside"] for row in deciles),
        "confidence_quintiles": calibration_groups(frame, "confidence", 5),
    }


# --- The model card -------------------------------------------------------------------


def percent(value):
    return "n/a" if value is None else f"{100 * value:.1f} %"


def describe_training(out):
    """Markdown lines saying what the model is, from training.json and features.toml."""
    lines = []
    spec_path = out / "features.toml"
    if spec_path.exists():
        features = fixtures.read_spec(spec_path)["feature"]
        names = ", ".join(f"`{feature['name']}`" for feature in features)
        lines.append(f"- Features ({len(features)}, from `features.toml`): {names}.")
    training_path = out / "training.json"
    if not training_path.exists():
        lines.append(
            "- No `training.json`: this model was not trained by `train.py` (e.g. a rules "
            "model); its calibration comes from `calibrate.py` on the training months."
        )
        return lines
    facts = json.loads(training_path.read_text())
    settings, params, splits = facts["settings"], facts["xgboost_params"], facts["splits"]
    if settings["objective"] == "focal":
        objective = (f"binary focal loss (alpha {settings['focal_alpha']}, "
                     f"gamma {settings['focal_gamma']}), starting margin = log-odds of the prior")
    else:
        objective = "logloss (`binary:logistic`)"
    smote = (f"SMOTE-NC on the fit months: {splits['fit']['smote_added']} synthetic positives "
             f"(ratio {settings['smote_ratio']})" if settings["smote"] else "no oversampling")
    tuning = ", ".join(f"{key} {params[key]}" for key in
                       ["max_depth", "eta", "min_child_weight", "subsample", "colsample_bytree"]
                       if key in params)
    simulation = facts["simulation"]
    lines += [
        f"- XGBoost {facts['xgboost_version']} gradient-boosted trees (`hist`, native "
        f"categorical splits): {facts['trees']} trees; {tuning}.",
        f"- Objective: {objective}; {smote}.",
        f"- Trained on simulation seed {simulation['seed']} ({simulation['leads']} leads over "
        f"{simulation['months']} months from {simulation['start'][:10]}): "
        f"fit months {splits['fit']['rows']} leads ({splits['fit']['positives']} won), "
        f"validation months {splits['valid']['rows']} leads ({splits['valid']['positives']} won).",
        f"- Early stopping on the validation months by {settings['eval_metric']}; "
        f"validation ROC-AUC {facts['validation']['auc']:.4f}. Probabilities are calibrated "
        "(Platt scaling) on the validation months.",
    ]
    return lines


def model_card(name, version, metrics, test_months, training_lines):
    """model-card.md as text."""
    lines = [
        f"# {name} {version}: model card",
        "",
        "## The model",
        "",
        *training_lines,
        "",
        "## Test data",
        "",
        f"The held-out last months of the simulation ({test_months}): {metrics['leads']} leads, "
        f"{metrics['won']} won, base rate {percent(metrics['base_rate'])}. "
        "No test lead was used for training, early stopping or calibration.",
        "",
        "## Ranking",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| ROC-AUC | {metrics['roc_auc']:.4f} |",
        f"| PR-AUC (average precision; random = base rate) | {metrics['pr_auc']:.4f} |",
        f"| top decile by score: conversion | {percent(metrics['top_decile']['conversion'])} |",
        f"| top decile by score: lift over base rate | {metrics['top_decile']['lift']:.2f}x |",
        "",
        "## Bands",
        "",
        "| band | leads | share | won | conversion | vs base rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for band, row in metrics["bands"].items():
        multiple = "n/a" if row["vs_base_rate"] is None else f"{row['vs_base_rate']:.2f}x"
        lines.append(f"| {band} | {row['leads']} | {percent(row['share'])} | {row['won']} | "
                     f"{percent(row['conversion'])} | {multiple} |")
    lines += [
        "",
        "## Calibration",
        "",
        "Leads in ten equal-count groups by predicted probability: is the mean predicted "
        "probability inside the 95 % Wilson interval of the observed conversion rate? "
        f"**{10 - metrics['calibration_misses']} of 10 deciles inside.** "
        "Plot: [calibration.png](calibration.png).",
        "",
        *group_table(metrics["calibration_deciles"], "decile", "probability"),
        "",
        "The same check per quintile of `confidence` (share of the global importance carried "
        "by the features a lead has):",
        "",
        *group_table(metrics["confidence_quintiles"], "quintile", "confidence"),
    ]
    return "\n".join(lines) + "\n"


def group_table(rows, label, key):
    """A Markdown table of calibration groups."""
    lines = [f"| {label} | {key} range | leads | predicted | observed | 95 % interval | inside |",
             "| ---: | --- | ---: | ---: | ---: | --- | --- |"]
    for row in rows:
        low, high = row["interval"]
        lines.append(
            f"| {row['group']} | {row[key + '_min']:.3f} - {row[key + '_max']:.3f} | "
            f"{row['leads']} | {percent(row['predicted'])} | {percent(row['observed'])} | "
            f"{percent(low)} - {percent(high)} | {'yes' if row['inside'] else '**no**'} |"
        )
    return lines


def reliability_plot(path, deciles, title):
    """Observed conversion against mean predicted probability, one point per decile."""
    predicted = np.array([row["predicted"] for row in deciles])
    observed = np.array([row["observed"] for row in deciles])
    intervals = np.array([row["interval"] for row in deciles])
    errors = np.abs(intervals.T - observed)  # distances from the point to its interval ends
    top = 1.1 * max(predicted.max(), intervals.max())
    figure, axes = plt.subplots(figsize=(5.5, 5))
    axes.plot([0, top], [0, top], color="grey", linestyle="--", label="perfect calibration")
    axes.errorbar(predicted, observed, yerr=errors, fmt="o", capsize=3,
                  label="decile: observed rate, 95 % Wilson interval")
    axes.set(xlim=(0, top), ylim=(0, top), title=title,
             xlabel="mean predicted probability", ylabel="observed conversion rate")
    axes.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=Path, required=True, help="`leadscore score` output")
    parser.add_argument("--outcomes", type=Path, required=True, help="outcomes.jsonl")
    parser.add_argument("--sim", type=Path, required=True, help="simulation.json")
    parser.add_argument("--name", required=True, help="the model name, e.g. lead-scorer")
    parser.add_argument("--version", required=True, help="the model version, e.g. v12")
    parser.add_argument("--out", type=Path, required=True, help="the model directory")
    args = parser.parse_args()

    scores = fixtures.read_scores(args.scores)
    lead_split = fixtures.lead_splits(args.sim)
    outside = [s["lead_id"] for s in scores if lead_split.get(s["lead_id"]) != "test"]
    if outside:
        raise SystemExit(f"{args.scores}: {len(outside)} leads are not from the test months, "
                         f"e.g. {outside[0]}; score SIM/test.jsonl")
    versions = sorted({str(s.get("model_version")) for s in scores})
    if versions != [args.version]:
        print(f"warning: the scores say model_version {versions}, not {args.version}",
              file=sys.stderr)

    frame = pd.DataFrame({
        key: [score[key] for score in scores]
        for key in ["lead_id", "margin", "probability", "band", "confidence"]
    })
    frame["won"] = fixtures.labels_of(frame["lead_id"], fixtures.read_outcomes(args.outcomes))
    metrics = {"name": args.name, "version": args.version, **compute_metrics(frame)}

    simulation = fixtures.read_simulation(args.sim)
    start = pd.Timestamp(simulation["start"])
    first = simulation["months"] - fixtures.held_out_months(simulation)[0]
    test_months = (f"months {first}-{simulation['months'] - 1}, "
                   f"{(start + first * fixtures.MONTH).date()} to "
                   f"{(start + simulation['months'] * fixtures.MONTH).date()}")

    args.out.mkdir(parents=True, exist_ok=True)
    fixtures.write_json(args.out / "metrics.json", metrics)
    card = model_card(args.name, args.version, metrics, test_months, describe_training(args.out))
    (args.out / "model-card.md").write_text(card, encoding="utf-8")
    reliability_plot(args.out / "calibration.png", metrics["calibration_deciles"],
                     f"{args.name} {args.version}: calibration on the test months")
    print(f"{args.name} {args.version}: ROC-AUC {metrics['roc_auc']:.4f}, "
          f"{10 - metrics['calibration_misses']}/10 deciles calibrated; wrote {args.out}")


if __name__ == "__main__":
    main()
