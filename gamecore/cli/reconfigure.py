"""``gamecore reconfigure FEEDER``: loss-minimising reconfiguration of a distribution feeder."""

from __future__ import annotations

import os
from typing import Any

import typer

from gamecore.cli.common import check_seconds, echo_json, fail, flag
from gamecore.tables import fmt

#: ``gamecore reconfigure --time-limit`` default, s
DEFAULT_TIME_LIMIT: float = 600.0


def reconfigure_command(
    feeder: str = typer.Argument(..., help="feeder name (ieee33)"),
    periods: int = typer.Option(1, "--periods", "-t", min=1,
                                help="periods of the day (a divisor of 24; 1 = nominal Baran & Wu load)"),
    max_switching: int | None = typer.Option(None, "--max-switching", "-k", min=0,
                                                help="limit on switching operations over the day, counted "
                                                     "from the initial configuration (default: none)"),
    method: str = typer.Option("highs", "--method", "-m",
                               help="highs (outer approximation, HiGHS MILP + SOCP) or ecos_bb (MISOCP, "
                                    "no time limit)"),
    time_limit: float | None = typer.Option(
        None, "--time-limit", metavar="<seconds>",
        help=f"budget of the mixed-integer solve, s: finite, > 0 (default {DEFAULT_TIME_LIMIT:g}); highs only, "
             "refused with --method ecos_bb (ECOS_BB has no time limit)"),
    as_json: bool = flag("print one JSON object instead of the summary", "--json"),
) -> None:
    """Loss-minimising reconfiguration of a distribution feeder (DistFlow SOCP, AC-checked).

    JSON keys: ``base_loss_kw``, ``loss_kw``, ``ac_check_loss_kw``, ``ac_check_base_loss_kw``
    (mean over the periods, kW; for one period the period's value), ``min_voltage_pu`` and
    ``ac_check_min_voltage_pu`` (minimum over the periods), ``open_lines`` (line names of the data;
    a list for one period, a list of per-period lists otherwise), ``per_period`` (every figure per
    period), ``binaries_before`` / ``binaries_after`` (line-status binaries over all periods),
    ``switching_operations``, ``lower_bound_kw`` (proven bound on ``loss_kw``, mean over the
    periods; null for ecos_bb), ``status``, ``message``, ``wall_s``. Exit 1 when the status is
    ``failed``; ``suboptimal`` (not proven optimal) exits 0 with the status in the output.
    """
    from gamecore.network.reconfiguration import reconfigure

    budget = check_reconfigure_usage(feeder, periods, method, time_limit)
    try:
        result = reconfigure(feeder, periods=periods, max_switching=max_switching, method=method,
                             time_limit=budget)
    except Exception as err:  # a solver crash must not end in a traceback for the user
        if os.environ.get("GAMECORE_DEBUG"):
            raise
        fail(f"reconfiguration crashed: {type(err).__name__}: {err}", code=1)
    payload = result.summary()
    if as_json:
        echo_json(payload)
    else:
        typer.echo(format_reconfiguration(payload))
    if result.status == "failed":
        raise typer.Exit(1)


def check_reconfigure_usage(feeder: str, periods: int, method: str, time_limit: float | None) -> float:
    """Exit 2 (:func:`fail`) on an unknown feeder or method, bad ``--periods``, a ``--time-limit``
    that is not a finite number > 0, or ``--time-limit`` with ``--method ecos_bb`` (ECOS_BB has no
    time limit, so it would be silently ignored); return the time budget in seconds."""
    from gamecore.network.data import FEEDERS, import_pandapower, load_profile
    from gamecore.network.reconfiguration import METHODS

    try:
        import_pandapower()
    except ImportError as err:  # the optional `network` extra is not installed
        fail(str(err))
    if feeder not in FEEDERS:
        fail(f"unknown feeder '{feeder}'; available: {', '.join(sorted(FEEDERS))}")
    if method not in METHODS:
        fail(f"unknown method '{method}'; available: {', '.join(METHODS)}")
    try:
        load_profile(periods)
    except ValueError as err:
        fail(str(err))
    if time_limit is None:
        return DEFAULT_TIME_LIMIT
    check_seconds("--time-limit", time_limit)
    if method == "ecos_bb":
        fail("--time-limit cannot be used with --method ecos_bb: ECOS_BB has no time limit "
             "(use --method highs for a bounded run)")
    return time_limit


def format_reconfiguration(payload: dict[str, Any]) -> str:
    """Human-readable summary of ``gamecore reconfigure``."""
    periods = payload["periods"]
    open_lines = payload["open_lines"]
    if periods == 1:
        open_text = ", ".join(open_lines) or "none"
    else:
        open_text = "; ".join(f"t{t}: {', '.join(lines)}" for t, lines in enumerate(open_lines)) or "none"
    unit = "kW" if periods == 1 else f"kW (mean of {periods} periods)"
    lines = [
        f"feeder        {payload['feeder']} ({periods} period{'s' if periods > 1 else ''}, method {payload['method']})",
        f"status        {payload['status']}: {payload['message']}",
        f"base loss     {fmt(payload['base_loss_kw'], '.4f')} {unit}  "
        f"(AC {fmt(payload['ac_check_base_loss_kw'], '.4f')})",
        f"loss          {fmt(payload['loss_kw'], '.4f')} {unit}  (AC {fmt(payload['ac_check_loss_kw'], '.4f')})",
        f"open lines    {open_text}",
        f"min voltage   {fmt(payload['min_voltage_pu'], '.5f')} pu  "
        f"(AC {fmt(payload['ac_check_min_voltage_pu'], '.5f')})",
        f"binaries      {payload['binaries_before']} before reduction, {payload['binaries_after']} after",
        f"switching     {payload['switching_operations']} operations"
        + (f" (limit {payload['max_switching']})" if payload["max_switching"] is not None else ""),
        f"time          wall {payload['wall_s']:.2f} s, mixed-integer solver {payload['solver_s']:.2f} s",
    ]
    return "\n".join(lines)
