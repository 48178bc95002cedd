"""``gamecore rolling CASE``: a rolling day operated by the two-stage workflow, against the
centralized rolling reference (:func:`gamecore.rolling.solve_rolling`)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import typer

# make_case is looked up on the package (tests patch it there)
from gamecore import cli
from gamecore.cases import UnknownCaseError
from gamecore.cli.common import echo_json, fail, flag, options_class, parse_options, show_progress
from gamecore.errors import GameError, StrategyError
from gamecore.pool import check_backend
from gamecore.tables import fmt


def rolling_command(
    case: str = typer.Argument(..., help="case name with a rolling description (e.g. ieh)"),
    agents: int | None = typer.Option(None, "--agents", "-n", min=1, help="followers (default: the case's)"),
    periods: int | None = typer.Option(None, "--periods", "-t", min=1, help="periods (default: the case's)"),
    seed: int = typer.Option(0, "--seed", help="seeds the case data"),
    day_ahead: str = typer.Option("day-ahead", "--day-ahead", help="strategy of the day-ahead stage"),
    real_time: str = typer.Option("bisection", "--real-time",
                                  help="market strategy clearing each period's price with the later prices at the "
                                       "day-ahead forecast (default bisection: scalar bisection of the current price)"),
    n_jobs: int = typer.Option(1, "--n-jobs", "-j", help="follower pool workers (1 = in-process, -1 = all cores)"),
    backend: str = typer.Option("loky", "--backend", help="joblib backend: loky, threading or multiprocessing"),
    da_option: list[str] | None = typer.Option(None, "--da-option", metavar="KEY=VALUE",
                                               help="day-ahead strategy option (repeatable), e.g. method=gradient"),
    rt_option: list[str] | None = typer.Option(None, "--rt-option", metavar="KEY=VALUE",
                                               help="real-time option (repeatable), e.g. price_tol=1e-3"),
    reference: bool = typer.Option(True, "--reference/--no-reference",
                                   help="also run the centralized rolling reference (outside the workflow's timing)"),
    baseline: bool | None = typer.Option(None, "--baseline/--no-baseline",
                                         help="also run the subgradient baseline (step-size sweep, then the day "
                                              "with subgradient in both stages); default: only for cases that "
                                              "ask for it (county)"),
    out: Path | None = typer.Option(None, "--out", "-o",
                                    help="write rolling.json, periods.csv and rolling.png to this directory"),
    as_json: bool = flag("print one JSON object instead of the summary", "--json"),
    quiet: bool = flag("no progress bar", "--quiet", "-q"),
) -> None:
    """Operate CASE's day over a rolling horizon: day-ahead forecast, then real-time clearing per period.

    The realised cost of the day is compared with the centralized rolling reference (every
    stage's welfare problem solved centrally, same stage games; run after the workflow, not
    timed with it). JSON keys: ``case``, ``agents``, ``periods``, ``status``, ``message``,
    ``cost`` (realised day), ``reference_cost``, ``gap`` ((cost − reference_cost)/|reference_cost|),
    ``hindsight_cost``, ``penalty``, ``day_ahead_iterations``, ``real_time_iterations_max``,
    ``real_time_iterations``, ``iterations``, ``transformer_max_ratio`` (max |coupling flow| ÷ its
    limit over the day), ``compile_s`` (building / compiling stage games and pools), ``solver_s``,
    ``wall_s``, ``messages``, ``reference_wall_s``, ``stages_certified``,
    ``renewable_accommodation`` (renewable energy used ÷ available over the day, for cases whose
    periods report it, e.g. ``county``; else null), ``baseline`` (null unless run).

    The baseline (``--baseline``; default on only for cases that ask for one with
    ``params["baseline"]``, as ``county`` does, whose seed compares with subgradient — it costs a
    step-size sweep plus a day of subgradient, ~40 s at 3 IES): :func:`gamecore.baseline.rolling_baseline`
    sweeps ``subgradient``'s step rules on the day-ahead game (constant steps on a two-decade
    grid, diminishing, Polyak with the known optimum) and operates the day with subgradient in
    both stages at the best configuration (``solve_rolling(case, "subgradient", "subgradient")``:
    real time clears the current period with later prices at the forecast, as bisection does;
    relative coupling residual 1e-4 everywhere). Its JSON
    object: ``strategy`` ("subgradient"), ``rule`` / ``step`` (the sweep winner, day-ahead stage),
    ``real_time_rule`` / ``real_time_step`` (the real-time stages: the winner, or the best
    constant/diminishing row when Polyak won, as Polyak needs each stage's optimum), ``status``,
    ``message``, ``iterations`` (day-ahead + every real-time stage), ``day_ahead_iterations``,
    ``real_time_iterations_max``, ``messages``, ``wall_s`` (the day, sweep excluded), ``cost``,
    ``gap`` (to ``reference_cost``), ``transformer_max_ratio``, ``transformer_within_limit`` (ratio ≤ 1 + tol:
    the balances clear to a relative residual tol, so the flow may pass the limit by that much),
    ``renewable_accommodation``, ``tol``, ``note``, ``sweep_scale``, ``sweep_scale_source``,
    ``sweep_optimum``, ``sweep_wall_s`` and ``sweep`` (one row per configuration: ``rule``,
    ``step``, ``status``, ``iterations``, ``messages``, ``wall_s``, ``residual``, ``winner``).
    Exit 2: usage errors
    (unknown case or strategy, a case without a rolling description); exit 1: the day failed.
    """
    try:
        check_backend(backend)
    except ValueError as err:
        fail(str(err))
    if backend == "dask":
        fail("gamecore rolling: --backend dask is not supported (one pool per stage)")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK):
            fail(f"--out {out}: directory not writable")
    from gamecore.rolling import solve_rolling

    try:
        built = cli.make_case(case, agents, periods, seed)
    except (UnknownCaseError, ValueError) as err:
        fail(str(err).strip("'\""))
    if getattr(built, "rolling", None) is None:
        fail(f"case '{case}' has no rolling description (Case.rolling is None): it is a single game; "
             f"use `gamecore solve {case} -s STRATEGY`")
    progress = show_progress(quiet)
    try:
        da_opts = parse_options(da_option or [], options_class(day_ahead), day_ahead)
        rt_opts = parse_options(rt_option or [], options_class(real_time), real_time)
        result = solve_rolling(built, day_ahead, real_time, n_jobs=n_jobs, backend=backend, progress=progress,
                               day_ahead_options=da_opts, real_time_options=rt_opts)
    except (StrategyError, GameError) as err:
        fail(str(err))
    ref_cost = ref_wall = None
    if reference:
        started = time.perf_counter()
        ref = solve_rolling(built, None, "centralized", n_jobs=n_jobs, backend=backend, progress=progress,
                            hindsight=False)
        ref_wall = time.perf_counter() - started
        ref_cost = ref.cost if ref.status != "failed" else None
    gap = (result.cost - ref_cost) / abs(ref_cost) if ref_cost else None
    base_summary: dict[str, Any] | None = None
    if wants_baseline(built, baseline):
        from gamecore.baseline import rolling_baseline

        try:
            base_run = rolling_baseline(built, n_jobs=n_jobs, backend=backend, progress=progress)
        except (StrategyError, GameError) as err:
            fail(f"baseline: {err}")
        base_summary = base_run.summary(ref_cost)
    rt_iters = result.real_time_iterations
    payload: dict[str, Any] = {
        "case": case, "agents": built.game.n_followers, "periods": result.run.system_costs.size,
        "day_ahead": day_ahead, "real_time": real_time, "status": result.status, "message": result.message,
        "cost": result.cost, "reference_cost": ref_cost, "gap": gap, "hindsight_cost": result.hindsight_cost,
        "penalty": result.penalty, "day_ahead_iterations": result.day_ahead_iterations,
        "real_time_iterations_max": max(rt_iters) if rt_iters else None, "real_time_iterations": rt_iters,
        "iterations": result.iterations, "transformer_max_ratio": result.flow_ratio,
        "compile_s": result.compile_s, "solver_s": result.solver_s, "wall_s": result.wall_s,
        "messages": result.messages, "reference_wall_s": ref_wall,
        "renewable_accommodation": result.run.renewable_accommodation,
        "stages_certified": sum(s.certified for s in result.stages),
        "baseline": base_summary,
    }
    if out is not None:
        result.to_json(out / "rolling.json")
        result.to_frame().to_csv(out / "periods.csv", index=False)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = result.plot()
        fig.savefig(out / "rolling.png", dpi=120)
        plt.close(fig)
    if as_json:
        echo_json(payload)
    else:
        typer.echo(format_rolling(payload))
    if result.status == "failed":
        raise typer.Exit(1)


def wants_baseline(built: Any, flag: bool | None) -> bool:
    """``--baseline/--no-baseline`` when given, else whether the case asks for the baseline
    (``params["baseline"]``; ``county`` does: its seed compares with subgradient)."""
    if flag is not None:
        return flag
    params = getattr(built, "params", None) or {}
    return bool(params.get("baseline", False))


def format_rolling(payload: dict[str, Any]) -> str:
    """The human summary of ``gamecore rolling``."""
    lines = [f"{payload['case']}: {payload['agents']} agents, {payload['periods']} periods — "
             f"day-ahead {payload['day_ahead']}, real time {payload['real_time']}",
             f"status: {payload['status']} ({payload['message']})"]
    for key in ("cost", "reference_cost", "gap", "hindsight_cost", "penalty", "day_ahead_iterations",
                "real_time_iterations_max", "transformer_max_ratio", "compile_s", "solver_s", "wall_s",
                "messages", "reference_wall_s"):
        lines.append(f"  {key:<26} {fmt(payload[key])}")
    base = payload.get("baseline")
    if base:
        lines.append(f"baseline: subgradient ({base['rule']}, step {fmt(base['step'])}; real time "
                     f"{base['real_time_rule']}, step {fmt(base['real_time_step'])}) — {base['status']}")
        for key in ("iterations", "messages", "cost", "gap", "transformer_max_ratio", "renewable_accommodation",
                    "wall_s", "sweep_wall_s"):
            lines.append(f"  {key:<26} {fmt(base[key])}")
    return "\n".join(lines)
