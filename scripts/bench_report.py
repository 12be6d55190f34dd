"""Turn one bench-scoring run into the Markdown table of docs/benchmarks.md.

    .venv/bin/python scripts/bench_report.py target/bench-scoring
"""

import json
import platform
import subprocess
import sys
from pathlib import Path

CRITERION = Path("target/criterion")


def per_lead_us(group, name, leads=1):
    """Criterion's mean time per iteration, in µs per lead."""
    estimates = json.loads((CRITERION / group / name / "new" / "estimates.json").read_text())
    return estimates["mean"]["point_estimate"] / 1000 / leads


def cpu():
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    run = Path(sys.argv[1])
    peer = json.loads((run / "xgboost.json").read_text())
    leads = peer["rows"]
    native = per_lead_us("score_and_explain", "native", leads)
    component = per_lead_us("score_and_explain", "component", leads)
    xgboost = peer["pred_contribs_us_per_row"]
    quadrature = per_lead_us("shap", "quadrature", leads)
    reference = per_lead_us("shap", "reference", leads)
    instantiate = per_lead_us("component", "instantiate")
    one_lead = per_lead_us("component", "one_lead_fresh_instance/1")
    size_kib = (run / "component.wasm").stat().st_size / 1024

    print(f"Machine: {cpu()}, {leads} leads, XGBoost {peer['xgboost_version']} (nthread=1).\n")
    print("| what (per lead: score + full explanation) | µs/lead | vs XGBoost pred_contribs |")
    print("| --- | ---: | ---: |")
    print(f"| XGBoost `pred_contribs=True`, 1 thread | {xgboost:.1f} | 1 |")
    print(f"| native Rust (`guest-model`) | {native:.1f} | 1/{xgboost / native:.0f} |")
    print(f"| component through wasmtime (batch of {leads}) | {component:.1f} | 1/{xgboost / component:.0f} |")
    print(f"\ncomponent / native = {component / native:.2f}\n")
    print("| SHAP only (same rows, features precomputed) | µs/lead |")
    print("| --- | ---: |")
    print(f"| quadrature TreeSHAP (default) | {quadrature:.1f} |")
    print(f"| reference TreeSHAP (Lundberg Alg. 2) | {reference:.1f} |")
    print(f"\nreference / quadrature = {reference / quadrature:.1f}\n")
    print("| component | value |")
    print("| --- | ---: |")
    print(f"| size | {size_kib:.0f} KiB |")
    print(f"| fresh instance | {instantiate:.1f} µs |")
    print(f"| one lead in a fresh instance | {one_lead:.1f} µs |")
    print(f"| XGBoost plain `predict`, for scale | {peer['predict_us_per_row']:.1f} µs/row |")
    baseline = run / "baseline.wasm"
    if baseline.exists():
        print("\n| this component against the baseline's (same model, same run) | this | baseline | this / baseline |")
        print("| --- | ---: | ---: | ---: |")
        rows = [
            ("score + explanation, µs/lead (batch)", component, per_lead_us("score_and_explain", "baseline", leads)),
            ("fresh instance, µs", instantiate, per_lead_us("component", "baseline_instantiate")),
            ("one lead in a fresh instance, µs", one_lead, per_lead_us("component", "baseline_one_lead_fresh_instance/1")),
            ("size, KiB", size_kib, baseline.stat().st_size / 1024),
        ]
        for what, this, base in rows:
            print(f"| {what} | {this:.1f} | {base:.1f} | {this / base:.2f} |")


if __name__ == "__main__":
    main()
