"""Split simulated leads by time into training and test leads.

    .venv/bin/python models/training/split.py --sim SIM

Reads SIM/leads.jsonl and SIM/simulation.json and writes
    SIM/train.jsonl  leads of the training months (validation months included)
    SIM/test.jsonl   leads of the held-out last months
Each line is copied unchanged, so the components score exactly the simulated
leads. The split itself (which months are which) lives in fixtures.splits.
"""

import argparse
import json
from pathlib import Path

import fixtures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", type=Path, required=True, help="the simulation directory")
    args = parser.parse_args()

    lines = (args.sim / "leads.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [line if line.endswith("\n") else line + "\n" for line in lines if line.strip()]
    as_of = [json.loads(line)["as_of"] for line in lines]
    split = fixtures.splits(as_of, fixtures.read_simulation(args.sim / "simulation.json"))

    is_test = split == "test"
    (args.sim / "train.jsonl").write_text(
        "".join(line for line, test in zip(lines, is_test) if not test), encoding="utf-8"
    )
    (args.sim / "test.jsonl").write_text(
        "".join(line for line, test in zip(lines, is_test) if test), encoding="utf-8"
    )
    print(
        f"{len(lines)} leads: {(~is_test).sum()} train "
        f"({(split == 'valid').sum()} of them validation), {is_test.sum()} test"
    )


if __name__ == "__main__":
    main()
