"""Two-stage day-ahead / real-time strategy on ``ieh`` vs hub count, beside the paper's Table II.

    python benchmarks/ieh_two_stage.py [--hubs 10 20 50 100] [--large] [--seed 0]
        [--sg-iter 1000] [--sg-hubs 10 20 50] [--plot-hubs 10] [--out benchmarks/results]

For every hub count: ``gamecore.solve(case, "bisection", da_compare=True)`` — day-ahead price
iteration (accelerated and the paper's gradient step), real-time rolling bisection, and the
centralized rolling reference — then the subgradient baseline (``gamecore.solve(day-ahead
game, "subgradient")``, a budget of ``--sg-iter`` iterations) on the same day-ahead game,
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

#: the paper's Table II (day-ahead iterations; real-time iterations are 9 at every size)
PAPER_DAY_AHEAD = {10: 140, 20: 117, 50: 78, 100: 92}
PAPER_REAL_TIME = 9


def _reach(values: list[float], target: float) -> int | None:
    """First 1-based index where ``values`` ≤ target (None if never)."""
    hits = np.flatnonzero(np.asarray(values, float) <= target)
    return int(hits[0]) + 1 if hits.size else None


def subgradient_baseline(case: gamecore.Case, da: dict[str, Any], budget: int) -> dict[str, Any]:
    """Subgradient on the day-ahead game; accuracy compared with the day-ahead variants."""
    game = case.game.rolling.day_ahead_game()
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
    sol = gamecore.solve_centralized(case.game.rolling.day_ahead_game())
    report = gamecore.cases.ieh.check_storage(sc, sol.signal_vector, [r.outputs["net"] for r in sol.responses],
                                              milp=True)
    return {"storage_checks": report.checks, "storage_simultaneous": report.simultaneous,
            "storage_failures": len(report.failures), "storage_milp_hubs": len(report.milp),
            "storage_max_violation": report.max_violation}


def run_one(hubs: int, seed: int, sg_budget: int | None, compare: bool = True, n_jobs: int = 1
            ) -> tuple[dict[str, Any], gamecore.Case, gamecore.Result, dict[str, Any] | None]:
    case = gamecore.make_case("ieh", agents=hubs, seed=seed)
    result = gamecore.solve(case, "bisection", da_compare=compare, progress=False, n_jobs=n_jobs)
    ex = result.extra
    if "day_ahead" not in ex or "real_time" not in ex:     # the strategy failed: keep its status and message
        return {"hubs": hubs, "status": result.status, "message": result.message}, case, result, None
    da, rt = ex["day_ahead"], ex["real_time"]
    iters = np.asarray(rt["iterations"])
    runs = da.get("compare", {da["method"]: da})
    hindsight = case.game.rolling.hindsight_cost()
    row: dict[str, Any] = {
        "hubs": hubs, "status": result.status,
        "da_iter_accelerated": runs.get("accelerated", {}).get("iterations"),
        "da_iter_gradient": runs.get("gradient", {}).get("iterations"),
        "paper_da_iter": PAPER_DAY_AHEAD.get(hubs),
        "rt_iter_max": int(iters.max()), "rt_iter_mean": float(iters.mean()), "rt_bound": rt["bound"],
        "paper_rt_iter": PAPER_REAL_TIME,
        "gap": result.gap_to_reference, "cost_two_stage": result.objective, "cost_centralized": result.reference_objective,
        "cost_hindsight": hindsight,
        "two_stage_vs_hindsight": (result.objective - hindsight) / hindsight,
        "centralized_vs_hindsight": (result.reference_objective - hindsight) / hindsight,
        "da_wall_accelerated_s": runs.get("accelerated", {}).get("wall_s"),
        "da_wall_gradient_s": runs.get("gradient", {}).get("wall_s"),
        "rt_wall_s": rt["wall_s"], "stage_build_s": rt["build_s"],
        "wall_two_stage_s": da["wall_s"] + rt["wall_s"], "wall_centralized_rolling_s": ex["reference"]["wall_s"],
        "da_duality_gap": da["duality_gap"], "best_response_gap": result.certificate.best_response_gap,
        "coupling_residual": result.certificate.coupling_residual,
        "max_unmixed_residual": float(np.max(rt["residual_unmixed"])),
        "penalty_two_stage": ex["costs"]["penalty_two_stage"], "penalty_centralized": ex["costs"].get("penalty_centralized"),
        "transformer_max_over_cap": float(np.max(np.abs(ex["flows"]["transformer"]["two_stage"]))
                                          / ex["flows"]["transformer"]["limit"][1]),
    }
    row.update(storage_check(case))
    sg = None
    if sg_budget:
        sg = subgradient_baseline(case, da, sg_budget)
        row.update({k: v for k, v in sg.items() if k != "sg_gaps"})
    return row, case, result, sg


# ------------------------------------------------------------------------------ plots
def plot_prices(case: gamecore.Case, result: gamecore.Result, path: Path) -> None:
    sc, ex = case.params["scenario"], result.extra
    hours = np.arange(sc.periods + 1) * sc.dt
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    for values, label, style in ((sc.utility_price, "utility real-time price", "k-"),
                                 (ex["day_ahead"]["prices"]["price"], "day-ahead forecast (local)", "C0--"),
                                 (result.signals["price"], "real-time clearing (two-stage)", "C3-"),
                                 (ex["reference"]["prices"]["price"], "centralized rolling (duals)", "C2:")):
        v = np.asarray(values, float)
        ax.step(hours, np.append(v, v[-1]), style, where="post", label=label, lw=1.6)
    ax.set_xlabel("hour"); ax.set_ylabel("yuan/kWh"); ax.set_xlim(0, 24); ax.set_xticks(range(0, 25, 3))
    ax.set_title(f"ieh, {len(case.game.followers)} hubs: prices"); ax.grid(alpha=0.3); ax.legend(fontsize="small")
    fig.savefig(path, dpi=110); plt.close(fig)


def plot_transformer(case: gamecore.Case, result: gamecore.Result, path: Path) -> None:
    sc, flows = case.params["scenario"], result.extra["flows"]["transformer"]
    t = np.arange(sc.periods) * sc.dt
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    ax.bar(t + 0.1, flows["centralized"], width=0.4, label="centralized rolling", color="C2", align="edge")
    ax.bar(t + 0.5, flows["two_stage"], width=0.4, label="two-stage (DA + RT bisection)", color="C3", align="edge")
    lo, hi = flows["limit"]
    ax.axhline(hi, color="k", ls="--", lw=1, label="transformer limit ±cap"); ax.axhline(lo, color="k", ls="--", lw=1)
    ax.set_xlabel("hour"); ax.set_ylabel("kW (import +)"); ax.set_xlim(0, 24); ax.set_xticks(range(0, 25, 3))
    ax.set_title("main transformer power"); ax.grid(alpha=0.3); ax.legend(fontsize="small")
    fig.savefig(path, dpi=110); plt.close(fig)


def plot_dispatch(case: gamecore.Case, result: gamecore.Result, path: Path) -> None:
    sc, disp = case.params["scenario"], result.extra["dispatch"]
    c = {k: np.asarray(v, float) for k, v in disp["components"].items()}
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


def plot_day_ahead(result: gamecore.Result, sg: dict[str, Any] | None, path: Path) -> None:
    da = result.extra["day_ahead"]
    bound = da["centralized_bound"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    runs = da.get("compare", {da["method"]: da})
    for m, style in (("gradient", "C0-"), ("accelerated", "C3-")):
        if m not in runs:
            continue
        info = runs[m]
        left.semilogy(np.arange(1, len(info["residuals"]) + 1), info["residuals"], style, label=f"{m} ({info['iterations']})")
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


def hub_table(result: gamecore.Result) -> pd.DataFrame:
    costs = result.extra["costs"]
    frame = pd.DataFrame({"hub": costs["agents"], "centralized_C": costs["centralized"], "two_stage_D": costs["two_stage"]})
    frame["difference"] = frame.two_stage_D - frame.centralized_C
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
    rows = []
    for n in hubs:
        clock = time.perf_counter()
        row, case, result, sg = run_one(n, args.seed, args.sg_iter if n in args.sg_hubs else None,
                                        n <= args.compare_max_hubs, args.n_jobs)
        row["wall_total_s"] = time.perf_counter() - clock
        rows.append(row)
        pd.DataFrame(rows).to_csv(args.out / "ieh_two_stage.csv", index=False)   # keep partial results
        print(f"{n} hubs done in {row['wall_total_s']:.0f} s: {row['status']}, gap {row.get('gap', float('nan')):.2e}"
              + ("" if "gap" in row else f" ({row['message']})"), flush=True)
        if n == args.plot_hubs and "gap" in row:
            hub_table(result).to_csv(args.out / "ieh_two_stage_hub_costs.csv", index=False)
            plot_prices(case, result, args.out / "ieh_two_stage_prices.png")
            plot_transformer(case, result, args.out / "ieh_two_stage_transformer.png")
            plot_dispatch(case, result, args.out / "ieh_two_stage_dispatch.png")
            plot_day_ahead(result, sg, args.out / "ieh_two_stage_day_ahead.png")
    frame = pd.DataFrame(rows)
    cols = ["hubs", "da_iter_accelerated", "da_iter_gradient", "paper_da_iter", "rt_iter_max", "rt_bound",
            "paper_rt_iter", "gap", "two_stage_vs_hindsight", "centralized_vs_hindsight", "wall_two_stage_s",
            "wall_centralized_rolling_s", "stage_build_s", "penalty_two_stage", "penalty_centralized",
            "storage_simultaneous", "storage_failures"]
    sg_cols = [c for c in ("sg_status", "sg_iter", "sg_accuracy", "accelerated_iter_at_sg_accuracy",
                           "gradient_iter_at_sg_accuracy", "sg_iter_ratio", "sg_wall_s", "sg_wall_ratio")
               if c in frame.columns]
    with pd.option_context("display.width", 250, "display.max_columns", 40, "display.float_format", "{:.3g}".format):
        print(frame[[c for c in cols if c in frame.columns]].to_string(index=False))
        if sg_cols:
            print(frame[["hubs"] + sg_cols].to_string(index=False))


if __name__ == "__main__":
    main()
