"""The ``ries`` case (seed 001): strategy table, five-scenario ablation, ADMM scaling with the LA count.

    python benchmarks/ries.py [--periods 24] [--time-limit 900] [--scaling 3 10 50]
        [--scaling-periods 24] [--scaling-time-limit 300] [--skip strategies ablation scaling]
        [--out benchmarks/results]

Three tables, each written as CSV (rewritten after every row, so a long run keeps what it
finished) and drawn as PNG:

* ``ries_strategies.csv`` — the 3-LA case solved by ``kkt``, ``admm`` and ``nsga-qp`` (each
  with ``--time-limit``): status, EGO revenue (its profit, CNY), each LA's cost (CNY),
  emissions (kg), leader objective, the kkt bound (SCIP's proven dual bound; the optimum
  when kkt proves it), leader regret against it ``(F − bound)/max(1, |bound|)``, certified,
  iterations, wall and solver seconds, message. ``ries_s1_<strategy>.png``: prices vs TOU, dispatch,
  comfort, emissions, ADMM residuals.
* ``ries_ablation.csv`` / ``ries_ablation.png`` — the five scenarios by ``kkt``: ours (status,
  kkt bound and its gap), the welfare optimum, the paper's figures, every change relative to
  scenario 1 (ours and the paper's).
* ``ries_scaling.csv`` / ``ries_scaling.png`` — ``admm`` on 3 / 10 / 50 LAs (``--scaling``,
  ``--scaling-periods``, each solve limited to ``--scaling-time-limit``): ADMM iterations,
  rounds, branch-and-bound nodes, wall and solver seconds, status, leader objective and the
  kkt bound of the same instance (kkt with the same time limit) with the regret against it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import gamecore  # noqa: E402
from gamecore.case import Case  # noqa: E402
from gamecore.cases.ries.analysis import ablation, account, plot_solution  # noqa: E402
from gamecore.result import Result  # noqa: E402

STRATEGIES = ("kkt", "admm", "nsga-qp")


def kkt_bound(result: Result) -> float | None:
    """SCIP's proven dual bound (minimisation form) of a kkt result, or None."""
    bound = result.extra.get("leader_bound")
    return float(bound["value"]) if isinstance(bound, dict) and bound.get("value") is not None else None


def regret(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not np.isfinite(objective):
        return None
    return (objective - bound) / max(1.0, abs(bound))


def solve(case: Case, strategy: str, time_limit: float) -> Result:
    start = time.perf_counter()
    result = gamecore.solve(case, strategy, progress=False, time_limit=time_limit)
    print(f"  {case.game.name} {strategy}: {result.status}, objective {result.objective}, "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    return result


def strategy_row(case: Case, strategy: str, result: Result, bound: float | None) -> dict[str, Any]:
    acc = account(case, result)
    row: dict[str, Any] = {"strategy": strategy, "status": result.status, "ego_revenue": acc["ego_revenue"],
                           "emissions_kg": acc["emissions_kg"], "objective": result.objective, "kkt_bound": bound,
                           "leader_regret": regret(result.objective, bound),
                           "certified": result.certificate.within(), "iterations": result.iterations,
                           "wall_s": result.wall_s, "solver_s": result.solver_s, "message": result.message}
    row.update({f"cost_{name}": value for name, value in acc["la_costs"].items()})
    return row


def strategies_table(periods: int, time_limit: float, out: Path) -> None:
    case = gamecore.make_case("ries", periods=periods)
    rows, bound = [], None
    for strategy in STRATEGIES:
        result = solve(case, strategy, time_limit)
        if strategy == "kkt":
            bound = kkt_bound(result)
        rows.append(strategy_row(case, strategy, result, bound))
        pd.DataFrame(rows).to_csv(out / "ries_strategies.csv", index=False)
        if result.status != "failed":
            plot_solution(case, result, out / f"ries_s1_{strategy}.png")


def ablation_table(periods: int, time_limit: float, out: Path) -> None:
    results = {}
    for k in range(1, 6):
        case = gamecore.make_case("ries", periods=periods, scenario=k)
        results[k] = (case, solve(case, "kkt", time_limit))
    rows = ablation(results)
    for row in rows:
        result = results[row["scenario"]][1]
        row["kkt_bound"] = kkt_bound(result)
        row["kkt_gap"] = regret(result.objective, row["kkt_bound"])
        row["wall_s"] = result.wall_s
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "ries_ablation.csv", index=False)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    x = frame["scenario"].to_numpy()
    for ax, key, title in zip(axes, ("ego_revenue", "la_cost_total", "emissions_kg"),
                              ("EGO revenue", "LA total cost", "RIES emissions")):
        ax.bar(x - 0.2, 100 * frame[f"d_{key}"], width=0.4, label="ours")
        ax.bar(x + 0.2, 100 * frame[f"d_paper_{key}"], width=0.4, label="paper")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set(title=f"{title}: change vs scenario 1", xlabel="scenario", ylabel="%")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ries_ablation.png", dpi=110)
    plt.close(fig)


def scaling_table(agent_counts: list[int], periods: int, time_limit: float, out: Path) -> None:
    rows = []
    for n in agent_counts:
        case = gamecore.make_case("ries", agents=n, periods=periods)
        exact = solve(case, "kkt", time_limit)
        bound = kkt_bound(exact)
        result = solve(case, "admm", time_limit)
        rows.append({"agents": n, "periods": periods, "status": result.status, "iterations": result.iterations,
                     "rounds": result.extra.get("rounds"), "branch_nodes": result.extra.get("branch_nodes"),
                     "wall_s": result.wall_s, "solver_s": result.solver_s, "objective": result.objective,
                     "kkt_status": exact.status, "kkt_objective": exact.objective, "kkt_bound": bound,
                     "kkt_wall_s": exact.wall_s, "leader_regret": regret(result.objective, bound),
                     "certified": result.certificate.within()})
        pd.DataFrame(rows).to_csv(out / "ries_scaling.csv", index=False)
    frame = pd.DataFrame(rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].plot(frame["agents"], frame["iterations"], "o-")
    axes[0].set(xscale="log", title="admm iterations", xlabel="load aggregators")
    axes[1].plot(frame["agents"], frame["wall_s"], "o-", label="admm")
    axes[1].plot(frame["agents"], frame["kkt_wall_s"], "s--", label="kkt")
    axes[1].set(xscale="log", yscale="log", title="wall time", xlabel="load aggregators", ylabel="s")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(out / "ries_scaling.png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--time-limit", type=float, default=900.0, help="per solve, s")
    parser.add_argument("--scaling", type=int, nargs="+", default=[3, 10, 50])
    parser.add_argument("--scaling-periods", type=int, default=24)
    parser.add_argument("--scaling-time-limit", type=float, default=300.0, help="per solve of the scaling, s")
    parser.add_argument("--skip", nargs="*", default=[], choices=["strategies", "ablation", "scaling"])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if "strategies" not in args.skip:
        strategies_table(args.periods, args.time_limit, args.out)
    if "ablation" not in args.skip:
        ablation_table(args.periods, args.time_limit, args.out)
    if "scaling" not in args.skip:
        scaling_table(args.scaling, args.scaling_periods, args.scaling_time_limit, args.out)


if __name__ == "__main__":
    main()
