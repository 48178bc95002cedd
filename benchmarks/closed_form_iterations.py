"""Iterations, messages and wall time of every strategy on the closed-form games.

    python benchmarks/closed_form_iterations.py [--agents 10 100] [--periods 24] [--out benchmarks/results]

Writes ``closed_form_iterations.csv`` and prints one table; ratios are against the
subgradient baseline measured in the same run (market game) .
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import gamecore


def run(agents: list[int], periods: int, seed: int) -> pd.DataFrame:
    registry = gamecore.available_strategies(aliases=False)   # admm runs admm-exchange / admm-mccormick
    rows = []
    for case_name in ("analytic-market", "analytic-stackelberg"):
        for n in agents:
            case = gamecore.make_case(case_name, agents=n, periods=periods, seed=seed)
            for name in sorted(registry):
                strategy = gamecore.get_strategy(name)
                try:
                    strategy.check(case.game)
                except gamecore.StrategyError:
                    continue
                result = strategy.solve(case, progress=False, seed=seed)
                rows.append({"case": case_name, "followers": n, "periods": periods, **result.summary_row()})
    frame = pd.DataFrame(rows)
    base = frame[frame.strategy == "subgradient"].set_index(["case", "followers"])
    for key in ("iterations", "wall_s", "messages"):
        frame[f"{key}_vs_subgradient"] = [
            getattr(row, key) / base.loc[(row.case, row.followers), key] if (row.case, row.followers) in base.index else None
            for row in frame.itertuples()]
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    frame = run(args.agents, args.periods, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / "closed_form_iterations.csv", index=False)
    cols = ["case", "followers", "strategy", "status", "iterations", "messages", "wall_s", "gap_to_reference",
            "best_response_gap", "coupling_residual", "duality_gap", "leader_regret", "iterations_vs_subgradient",
            "wall_s_vs_subgradient"]
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.float_format", "{:.3g}".format):
        print(frame[cols].to_string(index=False))


if __name__ == "__main__":
    main()
