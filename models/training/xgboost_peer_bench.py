"""Time XGBoost itself on the benchmark rows, single-threaded, as the peer.

    .venv/bin/python models/training/xgboost_peer_bench.py \
        --model DIR/model/model.json --rows DIR/rows.npy [--repeats 3]

Prints one JSON object: the XGBoost version, the row count, and the median
time per row (in microseconds) of exact SHAP (pred_contribs=True) and of a
plain predict() over all rows.
"""

import argparse
import json
import statistics
import time

import numpy as np
import xgboost as xgb


def median_us_per_row(booster, rows, repeats, **predict_options):
    """Median wall time per row, in microseconds, of booster.predict(rows).

    Each run gets a fresh DMatrix, built untimed: XGBoost caches predictions
    per DMatrix, so reusing one would time the cache. The median also
    discards a slow first run.
    """
    seconds = []
    for _ in range(repeats):
        data = xgb.DMatrix(rows, missing=np.nan, feature_names=booster.feature_names, nthread=1)
        start = time.perf_counter()
        booster.predict(data, **predict_options)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) / len(rows) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model.json")
    parser.add_argument("--rows", required=True, help="rows.npy: float32 matrix, NaN = missing")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    booster = xgb.Booster(model_file=args.model)
    booster.set_param({"nthread": 1})
    rows = np.load(args.rows)

    print(json.dumps({
        "xgboost_version": xgb.__version__,
        "rows": len(rows),
        "pred_contribs_us_per_row": median_us_per_row(booster, rows, args.repeats, pred_contribs=True),
        "predict_us_per_row": median_us_per_row(booster, rows, args.repeats),
        "repeats": args.repeats,
    }))


if __name__ == "__main__":
    main()
