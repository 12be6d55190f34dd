"""Write a model's training distribution: reference.json, which
`leadscore model build` puts in the manifest so that the service can
measure drift (population stability index) against it.

    .venv/bin/python models/training/reference.py --spec models/v12/features.toml \\
        --features SIM/v12.csv --sim SIM/simulation.json --out models/v12/reference.json

train.py writes it too; this script is for a model trained before it did.
The rows are the training months (fit and validation), as train.py uses them.

Format, per feature in model order:
    numeric:     {"name", "edges": [...], "shares": [...], "missing"}
                 bins (-inf, e0], (e0, e1], ..., (e_last, inf): edges are the
                 training deciles (values the data holds), ties merged
    categorical: {"name", "categories": [...], "shares": [...], "missing"}
                 one share per category, then one for any other value
shares and missing add up to 1.
"""

import argparse
from pathlib import Path

import numpy as np

import fixtures

DECILES = np.linspace(0.1, 0.9, 9)


def feature_reference(feature, column):
    """One feature's entry: its bins' shares among the rows of `column`."""
    rows = len(column)
    missing = column.isna().to_numpy()
    entry = {"name": feature["name"]}
    if "categories" in feature:
        codes = column.cat.codes.to_numpy()  # -1 = missing
        counts = np.bincount(codes[~missing], minlength=len(feature["categories"]))
        entry["categories"] = list(feature["categories"])
        entry["shares"] = [float(c / rows) for c in counts] + [0.0]
    else:
        values = column.to_numpy(dtype=np.float64)[~missing]
        edges = np.unique(np.quantile(values, DECILES, method="lower")) if len(values) else np.array([])
        # Bin i holds edges[i-1] < v <= edges[i], as the service bins them.
        counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
        entry["edges"] = [float(e) for e in edges]
        entry["shares"] = [float(c / rows) for c in counts]
    entry["missing"] = float(missing.sum() / rows)
    return entry


def reference(frame, features):
    """reference.json's content for the rows of `frame` (read_features_csv)."""
    return {
        "rows": len(frame),
        "features": [feature_reference(f, frame[f["name"]]) for f in features],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, required=True, help="features.toml")
    parser.add_argument("--features", type=Path, required=True, help="the CSV of `leadscore features`")
    parser.add_argument("--sim", type=Path, required=True, help="simulation.json (for the time split)")
    parser.add_argument("--out", type=Path, required=True, help="reference.json to write")
    args = parser.parse_args()
    features = fixtures.read_spec(args.spec)["feature"]
    frame = fixtures.read_features_csv(args.features, features)
    train = fixtures.splits(frame["as_of"], fixtures.read_simulation(args.sim)) != "test"
    fixtures.write_json(args.out, reference(frame[train].reset_index(drop=True), features))
    print(f"{args.out}: {int(train.sum())} training rows, {len(features)} features")


if __name__ == "__main__":
    main()
