"""The ``p2p-dnr`` case (seed 002): the P2P market alone, the full game against three
comparisons, and the scaling with the number of prosumers.

    python benchmarks/p2p_dnr.py [--agents 32] [--periods 24] [--market-agents 10]
        [--market-periods 4] [--scaling-agents 10 32 100] [--scaling-periods 4]
        [--skip market game scaling] [--out benchmarks/results]

Every table is written as CSV (rewritten after every row):

* ``p2p_market.csv`` — the P2P market alone (zero charges, base topology; ``--market-agents``
  prosumers × ``--market-periods``): the centralized welfare problem (one QP) and the
  bilateral-trade exchange ADMM with a fixed ρ, with residual balancing from the same ρ, and with
  its automatic ρ: status, iterations, wall seconds, relative welfare gap to the centralized
  optimum, largest price difference on the pairs that trade.
* ``p2p_game.csv`` — the game (``--agents`` × ``--periods``) solved by ``two-tier`` (with its
  Lagrangian bound) against (a) the same market on the fixed base topology
  (``max_switching=0``: the DSO keeps the initial configuration and only sets charges),
  (b) reconfiguration without the market (:func:`gamecore.network.reconfigure` on the feeder's
  own loads, per period, no switching limit), (c) the bound: losses (kWh/day and the mean kW),
  minimum voltage, maximum line loading, trading welfare, switching operations, system cost,
  bound gap, AC-check losses. Plots ``p2p_topology.png`` (open lines per period),
  ``p2p_losses.png`` (losses per hour of the three), ``p2p_trades.png`` (trade matrix),
  ``p2p_convergence.png`` (charge changes per iteration).
* ``p2p_scaling.csv`` — ``two-tier`` (with its bound) for every ``--scaling-agents`` over
  ``--scaling-periods`` periods, in one run: iterations, wall seconds of the two-tier loop
  (market clearings and DSO decisions) and of the bound's solve, their ratio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import gamecore
from gamecore.cases.p2p_dnr.analysis import (
    plot_convergence,
    plot_losses,
    plot_topology,
    plot_trades,
    reconfiguration_row,
    summary_row,
)
from gamecore.driver import IterationInfo
from gamecore.network import reconfigure


def _show(info: IterationInfo) -> None:
    """Print every two-tier iteration (charge change, topology changes, losses)."""
    if info.loop == "two-tier":
        r = info.record
        print(f"    two-tier {info.iteration}: charge change {r.get('charge_change', float('nan')):.3g}, "
              f"topology changes {r.get('topology_changes')}, losses {r.get('loss_kw', float('nan')):.3f} kW, "
              f"{info.elapsed_s:.0f} s", flush=True)


def _write(rows: list[dict[str, Any]], path: Path) -> None:
    pd.DataFrame(rows).to_csv(path, index=False)


def market(args: argparse.Namespace, out: Path) -> None:
    case = gamecore.make_case("p2p-dnr", agents=args.market_agents, periods=args.market_periods)
    central = gamecore.solve(case, "centralized", progress=False)
    rows: list[dict[str, Any]] = [{"method": "centralized", "status": central.status, "iterations": central.iterations,
                                   "wall_s": central.wall_s, "welfare_gap": 0.0, "price_diff": 0.0}]
    _write(rows, out / "p2p_market.csv")
    variants = {"admm fixed rho": {"rho": 1e-4, "balance": False},
                "admm residual balancing": {"rho": 1e-4, "balance": True},
                "admm automatic rho": {}}
    for label, opts in variants.items():
        res = gamecore.solve(case, "admm", progress=False, eps_abs=5e-6, eps_rel=1e-9, max_iter=5000, **opts)
        diffs = [float(np.abs(res.signals[name] - price).max()) for name, price in central.signals.items()
                 if np.abs(central.outputs[name.split(":", 1)[1].split("|")[0]][
                     "trade:" + name.split(":", 1)[1]]).max() > 1.0]
        gap = abs(res.objective - central.objective) / abs(central.objective) if res.objective is not None else None
        rows.append({"method": label, "status": res.status, "iterations": res.iterations, "wall_s": res.wall_s,
                     "welfare_gap": gap, "price_diff": max(diffs, default=0.0), "message": res.message[:160]})
        print(rows[-1], flush=True)
        _write(rows, out / "p2p_market.csv")


def game(args: argparse.Namespace, out: Path) -> None:
    rows: list[dict[str, Any]] = []
    case = gamecore.make_case("p2p-dnr", agents=args.agents, periods=args.periods)
    sc = case.params["scenario"]
    res = gamecore.solve(case, "two-tier", progress=False, bound_time_limit=args.bound_time_limit, callback=_show)
    rows.append(summary_row("two-tier (P2P + reconfiguration)", sc, res))
    print(rows[-1], flush=True)
    _write(rows, out / "p2p_game.csv")
    plot_topology(sc, res.extra["decision"]["open_lines"], out / "p2p_topology.png")
    plot_trades(sc, res.outputs, out / "p2p_trades.png")
    plot_convergence(res, out / "p2p_convergence.png")
    fixed = gamecore.make_case("p2p-dnr", agents=args.agents, periods=args.periods, max_switching=0)
    base = gamecore.solve(fixed, "two-tier", progress=False, joint_bound=False, callback=_show)
    rows.append(summary_row("(a) P2P on the fixed base topology", sc, base))
    _write(rows, out / "p2p_game.csv")
    plain = reconfigure(sc.feeder, periods=args.periods)
    rows.append(reconfiguration_row("(b) reconfiguration without P2P", sc, plain))
    bound = res.extra.get("bound", {})
    rows.append({"row": "(c) joint bound (Lagrangian, per-period MISOCP)", "status": "proven" if bound.get("proven")
                 else "none", "system_cost": bound.get("value"), "wall_s": bound.get("bound_s")})
    _write(rows, out / "p2p_game.csv")
    plot_losses(sc, rows[:3], out / "p2p_losses.png")


def scaling(args: argparse.Namespace, out: Path) -> None:
    rows: list[dict[str, Any]] = []
    for n in args.scaling_agents:
        start = time.perf_counter()
        case = gamecore.make_case("p2p-dnr", agents=n, periods=args.scaling_periods)
        build_s = time.perf_counter() - start
        res = gamecore.solve(case, "two-tier", progress=False, bound_time_limit=args.bound_time_limit)
        bound_s = float(res.extra.get("bound", {}).get("bound_s", np.nan))
        loop_s = res.wall_s - bound_s
        rows.append({"agents": n, "pairs": len(case.game.leader.couplings), "status": res.status,
                     "iterations": res.iterations, "build_s": build_s, "two_tier_s": loop_s, "bound_s": bound_s,
                     "bound_over_two_tier": bound_s / loop_s, "bound_gap": res.extra["headline"]["bound_gap"],
                     "dso_reconfigurations": res.extra["decision"]["reconfigurations"]})
        print(rows[-1], flush=True)
        _write(rows, out / "p2p_scaling.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=32)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--market-agents", type=int, default=10)
    parser.add_argument("--market-periods", type=int, default=4)
    parser.add_argument("--scaling-agents", type=int, nargs="+", default=[10, 32, 100])
    parser.add_argument("--scaling-periods", type=int, default=4)
    parser.add_argument("--bound-time-limit", type=float, default=1200.0)
    parser.add_argument("--skip", nargs="*", default=[], choices=["market", "game", "scaling"])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, run in (("market", market), ("game", game), ("scaling", scaling)):
        if name not in args.skip:
            print(f"== {name}", flush=True)
            run(args, args.out)


if __name__ == "__main__":
    main()
