"""Two-stage day-ahead / real-time workflow on ``ieh`` vs hub count, beside the paper's Table II.

    python benchmarks/ieh_two_stage.py [--hubs 10 20 50 100] [--large] [--seed 0]
        [--sg-iter 1000] [--sg-hubs 10 20 50] [--plot-hubs 10] [--out benchmarks/results]

For every hub count: ``gamecore.rolling.solve_rolling(case)`` — the ``day-ahead`` strategy
(accelerated) and real-time scalar bisection per period — then, outside its timing, the
centralized rolling reference (``solve_rolling(case, None, "centralized")``), the paper's
gradient step on the same day-ahead game (``gamecore.solve(game, "day-ahead",
method="gradient")``) and the subgradient baseline (``gamecore.solve(day-ahead game,
"subgradient")``, a budget of ``--sg-iter`` iterations) on the same day-ahead game,
compared at equal accuracy: the balance tolerance when it reaches it, otherwise the best
relative duality gap it reached, with the iterations the day-ahead variants needed to get
there (so ``sg_iter_ratio`` is a lower bound when the subgradient never reached the tolerance).

Writes ``ieh_two_stage.csv`` (one row per hub count), ``ieh_two_stage_hub_costs.csv`` (per-hub
costs of both methods for ``--plot-hubs``, like the paper's Table I) and, for ``--plot-hubs``:
``ieh_two_stage_prices.png`` (utility, day-ahead forecast, real-time clearing and centralized
rolling prices), ``ieh_two_stage_transformer.png`` (transformer power of both methods and the
limit), ``ieh_two_stage_dispatch.png`` (one hub's electric dispatch stack),
``ieh_two_stage_day_ahead.png`` (day-ahead convergence of both variants and the subgradient).
``--large`` adds 1000 hubs (≈1 h on two cores: each stage game compiles one program per hub).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import gamecore
from gamecore.options import format_vector
from gamecore.rolling import RollingResult, solve_rolling

#: the paper's Table II (day-ahead iterations; real-time iterations are 9 at every size)
PAPER_DAY_AHEAD = {10: 140, 20: 117, 50: 78, 100: 92}
PAPER_REAL_TIME = 9


def _reach(values: list[float], target: float) -> int | None:
    """First 1-based index where ``values`` ≤ target (None if never)."""
    hits = np.flatnonzero(np.asarray(values, float) <= target)
    return int(hits[0]) + 1 if hits.size else None


def subgradient_baseline(case: gamecore.Case, da: dict[str, Any], budget: int) -> dict[str, Any]:
    """Subgradient on the day-ahead game; accuracy compared with the day-ahead variants."""
    game = case.rolling.day_ahead_game()
    bound = da["centralized_bound"]
    clock = time.perf_counter()
    res = gamecore.solve(game, "subgradient", tol=da["tol"], max_iter=budget, progress=False)
    wall = time.perf_counter() - clock
    gaps = [(bound - h["dual"]) / max(1.0, abs(bound)) for h in res.history]
    residuals = [h["residual"] for h in res.history]
    out: dict[str, Any] = {"sg_status": res.status, "sg_iter": res.iterations, "sg_wall_s": wall,
                           "sg_best_residual": float(min(residuals)), "sg_best_duality_gap": float(min(gaps))}
    compare = da["compare"]
    if res.status == "converged":      # same balance tolerance reached
        out["sg_accuracy"] = f"balance {da['tol']:g}"
        for m in ("accelerated", "gradient"):
            out[f"{m}_iter_at_sg_accuracy"] = compare[m]["iterations"]
    else:                              # compare at the duality gap the subgradient reached
        target = max(float(min(gaps)), 0.0)
        out["sg_accuracy"] = f"duality gap {target:.2g} (balance tol not reached)"
        for m in ("accelerated", "gradient"):
            duals = compare[m]["duals"]
            out[f"{m}_iter_at_sg_accuracy"] = _reach([(bound - d) / max(1.0, abs(bound)) for d in duals], target)
    acc = out["accelerated_iter_at_sg_accuracy"]
    out["sg_iter_ratio"] = res.iterations / acc if acc else None
    out["sg_wall_ratio"] = wall / compare["accelerated"]["wall_s"]
    out["sg_gaps"] = gaps
    return out


def storage_check(case: gamecore.Case) -> dict[str, Any]:
    """Theorem 2 (condition (11)) at the day-ahead welfare optimum, every hub × storage × period."""
    sc = case.params["scenario"]
    sol = gamecore.solve_centralized(case.rolling.day_ahead_game())
    report = gamecore.cases.ieh.check_storage(sc, sol.signal_vector, [r.outputs["net"] for r in sol.responses],
                                              milp=True)
    return {"storage_checks": report.checks, "storage_simultaneous": report.simultaneous,
            "storage_failures": len(report.failures), "storage_milp_hubs": len(report.milp),
            "storage_max_violation": report.max_violation}


def _variant(result: gamecore.Result) -> dict[str, Any]:
    """A day-ahead run's figures (the ``day-ahead`` strategy's history)."""
    return {"iterations": result.iterations, "wall_s": result.wall_s, "converged": result.status == "converged",
            "residuals": [h["residual"] for h in result.history], "duals": [h["dual"] for h in result.history]}


Run = tuple[dict[str, Any], gamecore.Case, RollingResult, RollingResult | None, dict[str, Any] | None,
            dict[str, Any] | None]


def run_one(hubs: int, seed: int, sg_budget: int | None, compare: bool = True, n_jobs: int = 1) -> Run:
    case = gamecore.make_case("ieh", agents=hubs, seed=seed)
    result = solve_rolling(case, n_jobs=n_jobs, hindsight=False)
    if result.status == "failed" or result.day_ahead is None:   # keep its status and message
        return {"hubs": hubs, "status": result.status, "message": result.message}, case, result, None, None, None
    clock = time.perf_counter()
    reference = solve_rolling(case, None, "centralized", n_jobs=n_jobs, hindsight=False)
    ref_wall = time.perf_counter() - clock
    da = result.day_ahead
    runs = {"accelerated": _variant(da)}
    if compare:
        game = case.rolling.day_ahead_game()
        start = format_vector(game.layout.pack(case.rolling.initial_prices()))
        runs["gradient"] = _variant(gamecore.solve(game, "day-ahead", method="gradient", start=start,
                                                   n_jobs=n_jobs, progress=False))
    da_info = {"centralized_bound": da.certificate.centralized_bound, "tol": da.extra["tol"], "compare": runs}
    iters = np.asarray(result.real_time_iterations)
    hindsight = case.rolling.hindsight_cost()
    gap = (result.cost - reference.cost) / abs(reference.cost)
    row: dict[str, Any] = {
        "hubs": hubs, "status": result.status,
        "da_iter_accelerated": runs["accelerated"]["iterations"],
        "da_iter_gradient": runs.get("gradient", {}).get("iterations"),
        "paper_da_iter": PAPER_DAY_AHEAD.get(hubs),
        "rt_iter_max": int(iters.max()), "rt_iter_mean": float(iters.mean()), "rt_bound": result.stages[0].bound,
        "paper_rt_iter": PAPER_REAL_TIME,
        "gap": gap, "cost_two_stage": result.cost, "cost_centralized": reference.cost,
        "cost_hindsight": hindsight,
        "two_stage_vs_hindsight": (result.cost - hindsight) / hindsight,
        "centralized_vs_hindsight": (reference.cost - hindsight) / hindsight,
        "da_wall_accelerated_s": runs["accelerated"]["wall_s"],
        "da_wall_gradient_s": runs.get("gradient", {}).get("wall_s"),
        "rt_wall_s": result.wall_s - da.wall_s - da.certificate_s, "stage_build_s": result.compile_s,
        "wall_two_stage_s": result.wall_s, "wall_centralized_rolling_s": ref_wall,
        "compile_share": result.compile_s / result.wall_s, "solver_share": result.solver_s / result.wall_s,
        "da_duality_gap": da.certificate.duality_gap,
        "best_response_gap": max(s.certificate["best_response_gap"] for s in result.stages),
        "rt_duality_gap": max(s.certificate["duality_gap"] for s in result.stages),
        "coupling_residual": max(s.residual or 0.0 for s in result.stages),
        "max_unmixed_residual": max(s.residual_unmixed or 0.0 for s in result.stages),
        "penalty_two_stage": result.penalty, "penalty_centralized": reference.penalty,
        "transformer_max_over_cap": result.flow_ratio,
    }
    row.update(storage_check(case))
    sg = None
    if sg_budget:
        sg = subgradient_baseline(case, da_info, sg_budget)
        row.update({k: v for k, v in sg.items() if k != "sg_gaps"})
    return row, case, result, reference, da_info, sg


# ------------------------------------------------------------------------------ plots
def plot_prices(case: gamecore.Case, result: RollingResult, reference: RollingResult, path: Path) -> None:
    sc = case.params["scenario"]
    assert result.forecast is not None
    hours = np.arange(sc.periods + 1) * sc.dt
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    for values, label, style in ((sc.utility_price, "utility real-time price", "k-"),
                                 (result.forecast["price"], "day-ahead forecast (local)", "C0--"),
                                 (result.run.prices["price"], "real-time clearing (two-stage)", "C3-"),
                                 (reference.run.prices["price"], "centralized rolling (duals)", "C2:")):
        v = np.asarray(values, float)
        ax.step(hours, np.append(v, v[-1]), style, where="post", label=label, lw=1.6)
    ax.set_xlabel("hour"); ax.set_ylabel("yuan/kWh"); ax.set_xlim(0, 24); ax.set_xticks(range(0, 25, 3))
    ax.set_title(f"ieh, {len(case.game.followers)} hubs: prices"); ax.grid(alpha=0.3); ax.legend(fontsize="small")
    fig.savefig(path, dpi=110); plt.close(fig)


def plot_transformer(case: gamecore.Case, result: RollingResult, reference: RollingResult, path: Path) -> None:
    sc = case.params["scenario"]
    t = np.arange(sc.periods) * sc.dt
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    ax.bar(t + 0.1, reference.run.flows["transformer"], width=0.4, label="centralized rolling", color="C2",
           align="edge")
    ax.bar(t + 0.5, result.run.flows["transformer"], width=0.4, label="two-stage (DA + RT bisection)", color="C3",
           align="edge")
    lo, hi = result.run.limits["transformer"]
    ax.axhline(hi, color="k", ls="--", lw=1, label="transformer limit ±cap"); ax.axhline(lo, color="k", ls="--", lw=1)
    ax.set_xlabel("hour"); ax.set_ylabel("kW (import +)"); ax.set_xlim(0, 24); ax.set_xticks(range(0, 25, 3))
    ax.set_title("main transformer power"); ax.grid(alpha=0.3); ax.legend(fontsize="small")
    fig.savefig(path, dpi=110); plt.close(fig)


def plot_dispatch(case: gamecore.Case, result: RollingResult, path: Path, agent: int = 0) -> None:
    sc, details = case.params["scenario"], result.run.details
    c = {k: np.array([float(np.ravel(d[k])[agent]) for d in details]) for k in details[0]}
    disp = {"agent": case.rolling.agent_names[agent]}
    t = np.arange(sc.periods) * sc.dt + 0.5 * sc.dt
    sources = [("grid import", np.maximum(c["net"], 0)), ("CHP electricity", c["chp_electric"]),
               ("renewables used", c["renewable_used"]), ("EES discharge", c["ees_discharge"])]
    sinks = [("EES charge", c["ees_charge"]), ("grid export", np.maximum(-c["net"], 0))]
    fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
    top = np.zeros_like(t)
    for label, v in sources:
        ax.bar(t, v, bottom=top, width=0.8 * sc.dt, label=label); top = top + v
    low = np.zeros_like(t)
    for label, v in sinks:
        ax.bar(t, -v, bottom=low, width=0.8 * sc.dt, label=label); low = low - v
    load = c["elec_load"] + c["shift_e"]
    high = max(top.max(), load.max())
    span = high - low.min()
    ax.set_ylim(low.min() - 0.05 * span, high + 0.05 * span)
    ax.step(np.append(t - 0.5 * sc.dt, 24), np.append(load, load[-1]),
            "k-", where="post", lw=1.5, label="load (non-shiftable + shifted)")
    ax.step(np.append(t - 0.5 * sc.dt, 24), np.append(c["elec_load"], c["elec_load"][-1]), "k:", where="post", lw=1.2,
            label="non-shiftable load")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("hour"); ax.set_ylabel("kW"); ax.set_xlim(0, 24); ax.set_xticks(range(0, 25, 3))
    ax.set_title(f"{disp['agent']}: realised electric dispatch (two-stage)"); ax.grid(alpha=0.3)
    ax.legend(fontsize="small", ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.savefig(path, dpi=110); plt.close(fig)


def plot_day_ahead(da: dict[str, Any], sg: dict[str, Any] | None, path: Path) -> None:
    bound = da["centralized_bound"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    runs = da["compare"]
    for m, style in (("gradient", "C0-"), ("accelerated", "C3-")):
        if m not in runs:
            continue
        info = runs[m]
        left.semilogy(np.arange(1, len(info["residuals"]) + 1), info["residuals"], style,
                      label=f"{m} ({info['iterations']})")
        gaps = np.maximum((bound - np.asarray(info["duals"])) / abs(bound), 1e-12)
        right.semilogy(np.arange(1, gaps.size + 1), gaps, style, label=m)
    if sg is not None:
        right.semilogy(np.arange(1, len(sg["sg_gaps"]) + 1), np.maximum(sg["sg_gaps"], 1e-12), "C7-",
                       label=f"subgradient ({sg['sg_iter']}, {sg['sg_status']})")
    left.axhline(da["tol"], color="k", ls="--", lw=1, label="tolerance")
    left.set_title("day-ahead balance (relative)"); left.set_xlabel("iteration"); left.legend(fontsize="small")
    right.set_title("relative duality gap of the day-ahead stage"); right.set_xlabel("iteration")
    right.legend(fontsize="small")
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
    fig.savefig(path, dpi=110); plt.close(fig)


def hub_table(case: gamecore.Case, result: RollingResult, reference: RollingResult) -> pd.DataFrame:
    frame = pd.DataFrame({"hub": case.rolling.agent_names, "centralized_C": reference.run.agent_totals,
                          "two_stage_D": result.run.agent_totals})
    frame["difference"] = frame.two_stage_D - frame.centralized_C
    return frame


def stage_table(hubs: int, result: RollingResult) -> pd.DataFrame:
    """Per real-time stage: iterations, wall, time inside the solvers, compile time and their shares."""
    frame = pd.DataFrame([{"hubs": hubs, "stage": s.period, "iterations": s.iterations, "wall_s": s.wall_s,
                           "solver_s": s.solver_s, "compile_s": s.compile_s, "messages": s.messages}
                          for s in result.stages])
    frame["solver_share"] = frame.solver_s / frame.wall_s
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hubs", type=int, nargs="+", default=[10, 20, 50, 100])
    parser.add_argument("--large", action="store_true", help="add 1000 hubs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sg-iter", type=int, default=1000, help="subgradient budget (iterations)")
    parser.add_argument("--sg-hubs", type=int, nargs="*", default=[10, 20, 50],
                        help="hub counts that get the subgradient baseline")
    parser.add_argument("--plot-hubs", type=int, default=10)
    parser.add_argument("--compare-max-hubs", type=int, default=100,
                        help="run the gradient day-ahead variant too only up to this many hubs")
    parser.add_argument("--n-jobs", type=int, default=1, help="follower pool workers")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    hubs = list(args.hubs) + ([1000] if args.large else [])
    args.out.mkdir(parents=True, exist_ok=True)
    rows, stages = [], []
    for n in hubs:
        clock = time.perf_counter()
        row, case, result, reference, da, sg = run_one(n, args.seed, args.sg_iter if n in args.sg_hubs else None,
                                                       n <= args.compare_max_hubs, args.n_jobs)
        row["wall_total_s"] = time.perf_counter() - clock
        rows.append(row)
        pd.DataFrame(rows).to_csv(args.out / "ieh_two_stage.csv", index=False)   # keep partial results
        if result.stages:
            stages.append(stage_table(n, result))
            pd.concat(stages).to_csv(args.out / "ieh_two_stage_stages.csv", index=False)
        print(f"{n} hubs done in {row['wall_total_s']:.0f} s: {row['status']}, gap {row.get('gap', float('nan')):.2e}"
              + ("" if "gap" in row else f" ({row['message']})"), flush=True)
        if n == args.plot_hubs and "gap" in row and reference is not None and da is not None:
            hub_table(case, result, reference).to_csv(args.out / "ieh_two_stage_hub_costs.csv", index=False)
            plot_prices(case, result, reference, args.out / "ieh_two_stage_prices.png")
            plot_transformer(case, result, reference, args.out / "ieh_two_stage_transformer.png")
            plot_dispatch(case, result, args.out / "ieh_two_stage_dispatch.png")
            plot_day_ahead(da, sg, args.out / "ieh_two_stage_day_ahead.png")
    frame = pd.DataFrame(rows)
    cols = ["hubs", "da_iter_accelerated", "da_iter_gradient", "paper_da_iter", "rt_iter_max", "rt_bound",
            "paper_rt_iter", "gap", "two_stage_vs_hindsight", "centralized_vs_hindsight", "wall_two_stage_s",
            "wall_centralized_rolling_s", "stage_build_s", "compile_share", "solver_share", "penalty_two_stage",
            "penalty_centralized", "storage_simultaneous", "storage_failures"]
    sg_cols = [c for c in ("sg_status", "sg_iter", "sg_accuracy", "accelerated_iter_at_sg_accuracy",
                           "gradient_iter_at_sg_accuracy", "sg_iter_ratio", "sg_wall_s", "sg_wall_ratio")
               if c in frame.columns]
    with pd.option_context("display.width", 250, "display.max_columns", 40, "display.float_format", "{:.3g}".format):
        print(frame[[c for c in cols if c in frame.columns]].to_string(index=False))
        if sg_cols:
            print(frame[["hubs"] + sg_cols].to_string(index=False))


if __name__ == "__main__":
    main()
