"""Stackelberg strategies on ``analytic-stackelberg`` across follower counts: time and regret.

    python benchmarks/stackelberg_scaling.py [--agents 2 10 50] [--periods 24]
                                             [--strategies kkt admm nsga-qp] [--time-limit 600]

One row per (followers, strategy): status, leader regret against the closed form (the
case's reference), gap to it, iterations, wall time, time inside solvers, and the wall-time
ratio to ``kkt`` at the same size (measured in the same run). ``kkt`` gets ``--time-limit``
seconds; a strategy that raises gets a row with its error. Writes
``stackelberg_scaling.csv`` to ``--out``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import gamecore


def run(agents: list[int], periods: int, strategies: list[str], time_limit: float, seed: int) -> pd.DataFrame:
    rows = []
    for n in agents:
        case = gamecore.make_case("analytic-stackelberg", agents=n, periods=periods, seed=seed)
        for name in strategies:
            options = {"time_limit": time_limit} if name == "kkt" else {}
            start = time.perf_counter()
            try:
                result = gamecore.solve(case, name, progress=False, seed=seed, **options)
            except Exception as err:  # a crashing strategy is a row, not a crashed benchmark
                rows.append({"followers": n, "periods": periods, "strategy": name, "status": "error",
                             "message": f"{type(err).__name__}: {err}", "wall_s": time.perf_counter() - start})
                continue
            rows.append({"followers": n, "periods": periods, "strategy": name, "status": result.status,
                         "certified": result.certificate.certified, "leader_regret": result.certificate.leader_regret,
                         "gap_to_reference": result.gap_to_reference, "iterations": result.iterations,
                         "wall_s": result.wall_s, "solver_s": result.solver_s, "message": result.message})
            print(f"{n} followers, {name}: {result.status}, regret {result.certificate.leader_regret}, "
                  f"wall {result.wall_s:.1f} s", flush=True)
    frame = pd.DataFrame(rows)
    kkt = frame[frame.strategy == "kkt"].set_index("followers")["wall_s"] if "kkt" in strategies else None
    if kkt is not None:
        frame["wall_vs_kkt"] = [row.wall_s / kkt.get(row.followers, float("nan")) for row in frame.itertuples()]
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[2, 10, 50])
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--strategies", nargs="+", default=["kkt", "admm", "nsga-qp"])
    parser.add_argument("--time-limit", type=float, default=600.0, help="kkt's time limit (s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    frame = run(args.agents, args.periods, args.strategies, args.time_limit, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / "stackelberg_scaling.csv", index=False)
    cols = [c for c in ("followers", "strategy", "status", "certified", "leader_regret", "gap_to_reference",
                        "iterations", "wall_s", "solver_s", "wall_vs_kkt") if c in frame]
    with pd.option_context("display.width", 200, "display.float_format", "{:.3g}".format):
        print(frame[cols].to_string(index=False))


if __name__ == "__main__":
    main()
