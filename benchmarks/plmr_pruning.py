"""Step time of PLMR with pruned tokens dropped, against the paper's dense PLMR and a plain step.

Usage (from the project root):

    .venv/bin/python benchmarks/plmr_pruning.py [--encoder minilm] [--sparsity 0.4 0.2] [--repeats 7]

What is measured and how: ``ratlib/experiments/pruning_cost.py``. One torch
thread; the result is stored in ``results/benchmarks/`` (chapter 3 reads the
default configuration's).
"""
from __future__ import annotations

import argparse


def main() -> int:
    from ratlib.experiments.pruning_cost import benchmark_need
    from ratlib.results import load_result

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--encoder", default="minilm")
    p.add_argument("--dataset", default="hatexplain")
    p.add_argument("--sparsity", type=float, nargs="+", default=[0.4, 0.2], help="PLMR's alpha values")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--batch", type=int, default=32)
    args = p.parse_args()
    need = benchmark_need(args.encoder, args.dataset, tuple(args.sparsity), args.repeats, args.batch)
    stored = load_result(need.kind, need.config)
    result = need.get()
    for row in result["rows"]:
        print(f"alpha {row['alpha']}: {row['step']:<30} {row['median s']:.3f} s  ({row['x plain step']:.2f}x plain)")
    print(("read from" if stored else "stored:"), f"results/{need.kind}/{need.key}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
