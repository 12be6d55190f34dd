"""Pick the sample leads `make run` scores: a dozen held-out leads spread
evenly over the score range of the default model.

    .venv/bin/python models/training/pick_samples.py --scores SIM/v12-test-scores.jsonl \
        --leads SIM/test.jsonl --out models/sample-leads.jsonl [--count 12]
"""

import argparse
import json


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", required=True, help="leadscore score output for --leads")
    parser.add_argument("--leads", required=True, help="lead JSON lines")
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=12)
    args = parser.parse_args()

    with open(args.scores) as f:
        scores = {s["lead_id"]: s["final_score"] for s in map(json.loads, f) if "error" not in s}
    with open(args.leads) as f:
        leads = [line for line in f if line.strip()]
    ranked = sorted(leads, key=lambda line: (scores[json.loads(line)["id"]], json.loads(line)["id"]))
    # Evenly spaced ranks, from the coldest to the hottest lead.
    step = (len(ranked) - 1) / (args.count - 1)
    picked = [ranked[round(i * step)] for i in range(args.count)]
    with open(args.out, "w") as f:
        f.writelines(line if line.endswith("\n") else line + "\n" for line in picked)


if __name__ == "__main__":
    main()
