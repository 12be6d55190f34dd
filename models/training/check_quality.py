"""Check the quality gates of a candidate model against its fallbacks.

    .venv/bin/python models/training/check_quality.py models/v11 models/v12 models/rules-v1

Arguments: the previous model, the candidate, the rules model (in that order),
each a directory with the metrics.json that evaluate.py wrote. Prints a table
and exits non-zero, saying which gate failed, unless the candidate:
* beats the previous model's test ROC-AUC by at least 0.02 and the rules
  model's by at least 0.05;
* converts at least 3x the base rate in its Hot band and at most 0.5x in its
  Cold band;
* is calibrated: each decile's mean predicted probability lies inside the 95 %
  interval of its observed rate (one miss in ten is allowed, and reported:
  with ten 95 % intervals even a perfectly calibrated model misses at least one
  about 40 % of the time, and two or more about 9 % of the time).
"""

import argparse
import json
import sys
from pathlib import Path

MIN_GAIN_OVER_PREVIOUS = 0.02
MIN_GAIN_OVER_RULES = 0.05
MIN_HOT_MULTIPLE = 3.0
MAX_COLD_MULTIPLE = 0.5
MAX_CALIBRATION_MISSES = 1


def multiple(metrics, band):
    """A band's conversion as a multiple of the base rate (None for an empty band)."""
    return metrics["bands"][band]["vs_base_rate"]


def show(value, digits=2, suffix=""):
    return "n/a" if value is None else f"{value:.{digits}f}{suffix}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("previous", type=Path, help="the previous model's directory (e.g. v11)")
    parser.add_argument("candidate", type=Path, help="the candidate's directory (e.g. v12)")
    parser.add_argument("rules", type=Path, help="the rules model's directory (e.g. rules-v1)")
    args = parser.parse_args()
    models = {role: json.loads((getattr(args, role) / "metrics.json").read_text())
              for role in ("previous", "candidate", "rules")}

    print(f"{'model':<12} {'ROC-AUC':>8} {'PR-AUC':>8} {'Hot':>7} {'Cold':>7} {'calibrated':>11}")
    for metrics in models.values():
        print(f"{metrics['version']:<12} {metrics['roc_auc']:>8.4f} {metrics['pr_auc']:>8.4f} "
              f"{show(multiple(metrics, 'hot'), suffix='x'):>7} "
              f"{show(multiple(metrics, 'cold'), suffix='x'):>7} "
              f"{10 - metrics['calibration_misses']:>8}/10")
    print("(Hot, Cold: band conversion as a multiple of the base rate; calibrated: deciles "
          "whose predicted mean lies inside the 95 % interval of the observed rate)\n")

    candidate, previous, rules = models["candidate"], models["previous"], models["rules"]
    name = candidate["version"]
    hot, cold = multiple(candidate, "hot"), multiple(candidate, "cold")
    misses = candidate["calibration_misses"]
    gates = [
        (candidate["roc_auc"] >= previous["roc_auc"] + MIN_GAIN_OVER_PREVIOUS,
         f"{name} ROC-AUC {candidate['roc_auc']:.4f} >= {previous['version']} "
         f"{previous['roc_auc']:.4f} + {MIN_GAIN_OVER_PREVIOUS}"),
        (candidate["roc_auc"] >= rules["roc_auc"] + MIN_GAIN_OVER_RULES,
         f"{name} ROC-AUC {candidate['roc_auc']:.4f} >= {rules['version']} "
         f"{rules['roc_auc']:.4f} + {MIN_GAIN_OVER_RULES}"),
        (hot is not None and hot >= MIN_HOT_MULTIPLE,
         f"{name} Hot band converts {show(hot)}x the base rate (>= {MIN_HOT_MULTIPLE}x)"),
        (cold is not None and cold <= MAX_COLD_MULTIPLE,
         f"{name} Cold band converts {show(cold)}x the base rate (<= {MAX_COLD_MULTIPLE}x)"),
        (misses <= MAX_CALIBRATION_MISSES,
         f"{name} calibration: {10 - misses} of 10 deciles inside their 95 % interval "
         f"(at least {10 - MAX_CALIBRATION_MISSES})"),
    ]
    for passed, text in gates:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    if misses == 1:
        missed = [row["group"] for row in candidate["calibration_deciles"] if not row["inside"]]
        print(f"note: {name} decile {missed[0]} lies outside its interval (one miss is allowed)")

    failed = sum(not passed for passed, _ in gates)
    if failed:
        sys.exit(f"\n{failed} quality gate(s) failed for {name}")
    print(f"\nall quality gates passed for {name}")


if __name__ == "__main__":
    main()
