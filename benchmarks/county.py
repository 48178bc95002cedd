"""The ``county`` case (seed 000): two-stage workflow vs the subgradient baseline vs centralized.

    python benchmarks/county.py [--agents 3 10 100] [--seed 0] [--n-jobs 1] [--prune]
        [--sweep-max-iter 1000] [--out benchmarks/results]

For every IES count N (the case's generator scales the three typical IES to N):

* ``two-stage`` — ``gamecore.rolling.solve_rolling(case)``: the ``day-ahead`` price iteration,
  then real-time scalar bisection of the current price per period (single-variable search);
* ``centralized`` — the centralized rolling reference, ``solve_rolling(case, None,
  "centralized")`` (every stage's welfare problem solved centrally, same stage games);
* ``subgradient`` — :func:`gamecore.baseline.rolling_baseline`: a step-size sweep of
  ``subgradient`` on the day-ahead game (constant steps on a two-decade grid around the scale
  Polyak's step settles at, the diminishing rule at the grid's upper steps, Polyak's step with
  the known optimum), then the day with ``subgradient`` in both stages at the sweep winner
  (real-time stages at the best constant/diminishing row when Polyak won: it needs each
  stage's own optimum). Relative coupling residual 1e-4 everywhere.

Writes ``county.csv`` (columns: agents, method, iterations, messages, cost, gap (to the
centralized rolling cost), transformer_max_ratio, renewable_accommodation, wall_s, status,
rule, step, real_time_rule, real_time_step, day_ahead_iterations, real_time_iterations_max,
sweep_wall_s) and ``county_sweep.csv`` (agents, rule, step, status, iterations, messages,
wall_s, residual, winner), rewritten after every N so a long run keeps what it finished.
``--prune`` stops sweep runs that have used more iterations than the best so far (time on
large N; those rows then read ``beaten``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd

import gamecore
from gamecore.baseline import rolling_baseline
from gamecore.rolling import RollingResult, solve_rolling

COLUMNS = ["agents", "method", "iterations", "messages", "cost", "gap", "transformer_max_ratio",
           "renewable_accommodation", "wall_s", "status", "rule", "step", "real_time_rule", "real_time_step",
           "day_ahead_iterations", "real_time_iterations_max", "sweep_wall_s"]


def _row(agents: int, method: str, res: RollingResult, ref_cost: float | None) -> dict[str, Any]:
    cost = res.cost if res.status != "failed" else None
    rt = res.real_time_iterations
    return {"agents": agents, "method": method, "iterations": res.iterations, "messages": res.messages,
            "cost": cost, "gap": (cost - ref_cost) / abs(ref_cost) if cost is not None and ref_cost else None,
            "transformer_max_ratio": res.flow_ratio, "renewable_accommodation": res.run.renewable_accommodation,
            "wall_s": res.wall_s, "status": res.status, "day_ahead_iterations": res.day_ahead_iterations,
            "real_time_iterations_max": max(rt) if rt else None}


def run(agents: int, seed: int, n_jobs: int, prune: bool, sweep_max_iter: int) -> tuple[list[dict], list[dict]]:
    """The three methods on ``county`` with ``agents`` IES: (table rows, sweep rows)."""
    case = gamecore.make_case("county", agents=agents, seed=seed)
    clock = time.perf_counter()
    two = solve_rolling(case, n_jobs=n_jobs, progress=False, hindsight=False)
    print(f"[{agents}] two-stage: {two.status}, {two.iterations} iterations, {two.wall_s:.1f} s", flush=True)
    ref = solve_rolling(case, None, "centralized", n_jobs=n_jobs, progress=False, hindsight=False)
    ref_cost = ref.cost if ref.status != "failed" else None
    print(f"[{agents}] centralized rolling: {ref.status}, cost {ref.cost:.2f}, {ref.wall_s:.1f} s", flush=True)
    base = rolling_baseline(case, n_jobs=n_jobs, prune=prune, max_iter=sweep_max_iter, progress=False)
    summary = base.summary(ref_cost)
    print(f"[{agents}] subgradient: sweep {base.sweep.wall_s:.1f} s (winner "
          f"{summary['rule']} {summary['step']}), day {summary['status']}, {summary['iterations']} iterations, "
          f"{summary['wall_s'] if summary['wall_s'] is not None else float('nan'):.1f} s "
          f"(total {time.perf_counter() - clock:.0f} s)", flush=True)
    rows = [_row(agents, "two-stage", two, ref_cost), _row(agents, "centralized", ref, ref_cost)]
    if base.result is not None:
        sg = _row(agents, "subgradient", base.result, ref_cost)
    else:
        sg = {"agents": agents, "method": "subgradient", "status": "failed"}
    sg.update({k: summary[k] for k in ("rule", "step", "real_time_rule", "real_time_step")})
    sg["sweep_wall_s"] = base.sweep.wall_s
    rows.append(sg)
    sweep = [{"agents": agents, **r} for r in base.sweep.to_rows()]
    return rows, sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[3, 10, 100], help="IES counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1, help="follower pool workers")
    parser.add_argument("--prune", action="store_true", help="stop sweep runs beaten by the best so far")
    parser.add_argument("--sweep-max-iter", type=int, default=1000, help="iterations of each sweep run and stage")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table: list[dict] = []
    sweeps: list[dict] = []
    for n in args.agents:
        rows, sweep = run(n, args.seed, args.n_jobs, args.prune, args.sweep_max_iter)
        table += rows
        sweeps += sweep
        pd.DataFrame(table).reindex(columns=COLUMNS).to_csv(args.out / "county.csv", index=False)
        pd.DataFrame(sweeps).to_csv(args.out / "county_sweep.csv", index=False)
    frame = pd.DataFrame(table).reindex(columns=COLUMNS)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(frame[["agents", "method", "iterations", "messages", "cost", "gap", "transformer_max_ratio",
                     "renewable_accommodation", "wall_s", "status", "rule", "step"]].to_string(index=False))
    print(f"wrote {args.out / 'county.csv'} and {args.out / 'county_sweep.csv'}")


if __name__ == "__main__":
    main()
