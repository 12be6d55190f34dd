"""Write the benchmark fixture: a mid-sized model and the leads to score with it.

    .venv/bin/python models/training/make_bench_model.py --out DIR

Writes
    DIR/model/model.json     300 trees of depth 6 over 23 numeric features
    DIR/model/features.toml  features f0..f22, read from fields of the same name
    DIR/leads.jsonl          4,000 leads "bench-<row>", ~10 % of the fields null
    DIR/rows.npy             the same 4,000 rows as a float32 matrix (NaN = null),
                             for xgboost_peer_bench.py
"""

import argparse
from pathlib import Path

import numpy as np
import xgboost as xgb

import fixtures

SEED = 2026
FEATURES = 23
TRAIN_ROWS = 20_000
BENCH_ROWS = 4_000
PARAMS = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "nthread": 2, "seed": SEED}
ROUNDS = 300


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    features = fixtures.numbered_features(FEATURES)

    train_rows, labels = fixtures.synthetic_rows(rng, TRAIN_ROWS, features)
    booster = xgb.train(PARAMS, fixtures.dmatrix(train_rows, features, labels), ROUNDS)
    (args.out / "model").mkdir(parents=True, exist_ok=True)
    booster.save_model(args.out / "model" / "model.json")
    fixtures.write_features_toml(args.out / "model" / "features.toml", "bench", "bench", features)

    bench_rows, _ = fixtures.synthetic_rows(rng, BENCH_ROWS, features)
    fixtures.write_jsonl(args.out / "leads.jsonl", fixtures.matrix_leads("bench", bench_rows, features))
    np.save(args.out / "rows.npy", bench_rows)


if __name__ == "__main__":
    main()
