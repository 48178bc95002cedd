"""The ``cies`` case (seed 004): the four-scenario table, the Pareto front against exact points,
NSGA-III scaling with the agent count and the population, and the ``n_jobs`` speed-up.

    python benchmarks/cies.py [--periods 24] [--time-limit 900] [--pop-size 100]
        [--scaling-agents 1 5 20] [--scaling-pops 20 52 100] [--scaling-periods 24]
        [--scaling-generations 10] [--skip table front scaling jobs] [--out benchmarks/results]

Every table is written as CSV (rewritten after every row) and drawn as PNG:

* ``cies_table.csv`` — the paper's Table 3: scenarios 1–3 are the centralized welfare
  schedules under no / fixed-price / stage-feedback carbon trading, split at their
  competitive prices; scenario 4 is the game solved by ``nsga-qp`` (its chosen compromise
  point; ``--pop-size``, ``--time-limit``), and two more rows for comparison on the revenue
  objective alone: ``kkt`` (exact) and ``admm`` (McCormick). ES earnings, CCHP earnings, LA
  surplus, welfare (CNY), emissions (t), each against scenario 1 beside the paper's change.
  ``cies_s4/`` holds the nsga-qp point's plots (prices, dispatch and emissions, carbon stages).
* ``cies_front.csv`` / ``cies_front.png`` — the nsga-qp Pareto set (revenue, emissions, the
  followers' payoffs along it) and the exact ``kkt`` optima of the same weighted sums
  (:func:`gamecore.scalarise.weighted_sum`, the weights ``extra["scalarised"]`` reports), with
  the relative gap of each polished point and the normalised distance of the front to each
  exact point.
* ``cies_scaling.csv`` / ``cies_scaling.png`` — NSGA-III for ``--scaling-generations``
  generations without polish, for every agent count (operators = aggregators = N) and
  population size: wall seconds, evaluations, seconds per evaluation, front size.
* ``cies_jobs.csv`` — the same run (the largest agent count, the first population) with
  ``n_jobs`` 1 and 2 (joblib loky workers): wall seconds and the speed-up.
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
from gamecore.canonical import Response  # noqa: E402
from gamecore.cases.cies.analysis import (  # noqa: E402
    account,
    front_distance,
    plot_front,
    plot_solution,
    scenario_table,
)
from gamecore.result import Result  # noqa: E402
from gamecore.scalarise import weighted_sum  # noqa: E402


def _solve(case_or_game: Any, strategy: str, **options: Any) -> Result:
    start = time.perf_counter()
    result = gamecore.solve(case_or_game, strategy, progress=False, **options)
    name = getattr(case_or_game, "game", case_or_game).name
    print(f"  {name} {strategy}: {result.status}, objectives {result.objectives}, "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    return result


def _objectives_at(game: gamecore.Game, result: Result) -> np.ndarray:
    responses = [Response("optimal", {k: np.asarray(v) for k, v in result.outputs[f.name].items()}, 0.0, 0.0, 0)
                 for f in game.followers]
    return game.leader_objectives(result.signals, responses)


def table(periods: int, time_limit: float, pop_size: int, out: Path) -> Result:
    """The scenario table; returns the nsga-qp result (the front section reuses it)."""
    case = gamecore.make_case("cies", periods=periods)
    result = _solve(case, "nsga-qp", pop_size=pop_size, time_limit=time_limit)
    rows = scenario_table(case, result)
    extra_rows = []
    for strategy in ("kkt", "admm"):
        rcase = gamecore.make_case("cies", periods=periods, objectives="revenue")
        r = _solve(rcase, strategy, time_limit=time_limit)
        acc = account(rcase, r)
        extra_rows.append({"scenario": f"4 ({strategy}, revenue only)", "scheduling": "game", "carbon": "stage",
                           "status": r.status, "es": acc["es"], "cchp": acc["cchp_total"], "la": acc["la_total"],
                           "welfare": acc["welfare"], "emissions_t": acc["emissions_t"],
                           "leader_regret": r.certificate.leader_regret, "wall_s": r.wall_s})
    flat = []
    for row in rows + extra_rows:
        entry = {k: v for k, v in row.items() if k not in ("paper", "change", "paper_change")}
        for key in ("es", "cchp", "la", "emissions_t"):
            if "paper" in row:
                entry[f"paper_{key}"] = row["paper"][key]
                entry[f"change_{key}"] = row["change"][key]
                entry[f"paper_change_{key}"] = row["paper_change"][key]
        flat.append(entry)
    frame = pd.DataFrame(flat)
    frame.to_csv(out / "cies_table.csv", index=False)
    print(frame.to_string(), flush=True)
    plot_solution(case, result, out / "cies_s4")
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    labels = [str(r["scenario"]) for r in flat]
    for ax, key, title in zip(axes, ("es", "cchp", "la", "emissions_t"),
                              ("ES earnings (CNY)", "CCHP earnings (CNY)", "LA surplus (CNY)", "emissions (t)")):
        ax.bar(labels, [r[key] for r in flat])
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=30, labelsize=7)
    fig.tight_layout()
    fig.savefig(out / "cies_table.png", dpi=120)
    plt.close(fig)
    return result


def front(periods: int, result: Result, time_limit: float, out: Path) -> None:
    """The nsga-qp front against kkt on the same weighted sums."""
    case = gamecore.make_case("cies", periods=periods)
    game = case.game
    pareto = result.extra.get("pareto", [])
    F = np.array([p["objectives"] for p in pareto])
    exact, rows = [], []
    for entry in result.extra.get("scalarised", []):
        ref = _solve(weighted_sum(game, entry["weights"]), "kkt", time_limit=time_limit)
        point = _objectives_at(game, ref) if ref.signals else np.full(2, np.nan)
        exact.append(point)
        gap = None if ref.objective is None else (entry["value"] - ref.objective) / max(1e-9, abs(ref.objective))
        rows.append({"kind": "weighted sum", "normalised_weights": entry["normalised_weights"],
                     "nsga_value": entry["value"], "kkt_value": ref.objective, "kkt_status": ref.status,
                     "kkt_message": ref.message, "relative_gap": gap,
                     "nsga_revenue_cny": -entry["objectives"][0] * 1000, "nsga_emissions_t": entry["objectives"][1],
                     "kkt_revenue_cny": -point[0] * 1000, "kkt_emissions_t": point[1]})
    for row, point in zip(rows, exact):
        row["front_distance"] = float(front_distance(F, point[None, :])[0]) if len(F) and np.isfinite(point).all() \
            else None
    for p in pareto:
        rows.append({"kind": "pareto", "nsga_revenue_cny": -p["objectives"][0] * 1000,
                     "nsga_emissions_t": p["objectives"][1]})
    pd.DataFrame(rows).to_csv(out / "cies_front.csv", index=False)
    k = result.extra.get("chosen_index", 0)
    if len(F):
        plot_front(F, F[k], [p for p in exact if np.isfinite(p).all()], out / "cies_front.png",
                   title=f"cies {periods} periods: nsga-qp front vs exact weighted sums")
    print(pd.DataFrame([r for r in rows if r["kind"] == "weighted sum"]).to_string(), flush=True)


def scaling(agent_counts: list[int], pops: list[int], periods: int, generations: int, out: Path) -> None:
    rows = []
    for n in agent_counts:
        case = gamecore.make_case("cies", agents=n, periods=periods)
        for pop in pops:
            r = _solve(case, "nsga-qp", pop_size=pop, max_iter=generations, polish=False, tol=0.0)
            evals = r.extra.get("evaluations", 0)
            rows.append({"agents": n, "followers": 2 * n, "pop_size": pop, "generations": r.extra.get("generations"),
                         "evaluations": evals, "wall_s": r.wall_s, "solver_s": r.solver_s,
                         "s_per_evaluation": r.wall_s / max(1, evals), "front": len(r.extra.get("pareto", []))})
            pd.DataFrame(rows).to_csv(out / "cies_scaling.csv", index=False)
    frame = pd.DataFrame(rows)
    print(frame.to_string(), flush=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    for pop, part in frame.groupby("pop_size"):
        ax.plot(part["followers"], part["wall_s"], "o-", label=f"population {pop}")
    ax.set_xlabel("followers (operators + aggregators)")
    ax.set_ylabel(f"wall s ({generations} generations)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "cies_scaling.png", dpi=120)
    plt.close(fig)


def jobs(agents: int, pop: int, periods: int, generations: int, out: Path) -> None:
    case = gamecore.make_case("cies", agents=agents, periods=periods)
    rows = []
    for n_jobs in (1, 2):
        r = _solve(case, "nsga-qp", n_jobs=n_jobs, pop_size=pop, max_iter=generations, polish=False, tol=0.0,
                   seed=0)
        rows.append({"agents": agents, "pop_size": pop, "n_jobs": n_jobs, "wall_s": r.wall_s,
                     "evaluations": r.extra.get("evaluations"), "objectives": r.objectives})
    rows[1]["speedup"] = rows[0]["wall_s"] / rows[1]["wall_s"]
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "cies_jobs.csv", index=False)
    print(frame.to_string(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--time-limit", type=float, default=900.0, help="per solve, s")
    parser.add_argument("--pop-size", type=int, default=100, help="nsga-qp population of the table and the front")
    parser.add_argument("--scaling-agents", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--scaling-pops", type=int, nargs="+", default=[20, 52, 100])
    parser.add_argument("--scaling-periods", type=int, default=24)
    parser.add_argument("--scaling-generations", type=int, default=10)
    parser.add_argument("--skip", nargs="*", default=[], choices=["table", "front", "scaling", "jobs"])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result = None
    if "table" not in args.skip:
        result = table(args.periods, args.time_limit, args.pop_size, args.out)
    if "front" not in args.skip:
        if result is None:
            result = _solve(gamecore.make_case("cies", periods=args.periods), "nsga-qp", pop_size=args.pop_size,
                            time_limit=args.time_limit)
        front(args.periods, result, args.time_limit, args.out)
    if "scaling" not in args.skip:
        scaling(args.scaling_agents, args.scaling_pops, args.scaling_periods, args.scaling_generations, args.out)
    if "jobs" not in args.skip:
        jobs(max(args.scaling_agents), args.scaling_pops[0], args.scaling_periods, args.scaling_generations, args.out)


if __name__ == "__main__":
    main()
