"""The subgradient baseline at its best: a step-size sweep, and a rolling day operated with it.

Seed 000 compares its two-stage method with the subgradient method. A fair comparison runs
the baseline at the best configuration a researcher would find, not at a default step, so
:func:`best_subgradient` sweeps the step rules of ``subgradient`` on one market game:

* ``constant`` steps α on a log grid spanning two decades (:data:`GRID_DECADES`,
  :data:`GRID_POINTS` = 7 points: ``scale × 10^[-1, -2/3, ..., 1]``);
* the ``diminishing`` rule α/√k started at the upper half of that grid (the 4 largest steps:
  a diminishing step must start above the best constant one to keep pace with it);
* ``polyak``'s step with the known optimum ``D*`` (the centralized welfare optimum,
  ``gamecore.solve(game, "centralized").objective``: the dual of
  :func:`gamecore.market.dual_value` is ``≤ P*`` in the same minimised-cost sign, so ``D* = P*``
  as is).

The grid's ``scale`` comes from the problem, not from a guess: it is the step Polyak's rule
settles at near the optimum, i.e. the last step of the sweep's Polyak run (``scale_source
"polyak-last-step"``). Near a smooth optimum the dual is ≈ quadratic, ``D* − D ≈ ½ eᵀHe`` and
``g = −He``, so Polyak's step ``eᵀHe / (2 eᵀH²e)`` lies in ``[1/(2L), 1/(2μ)]`` for Hessian
eigenvalues in ``[μ, L]``: the scale of the constant steps that are stable there (α < 2/L). Its
*first* step is a worse scale (measured on ``county``, 3 IES: 3.1e-5 at the box midpoint, 2.3e-6
at the end; the constant steps that converge are 5e-7..2e-6 and 3e-6 diverges), and so is the
subgradient's own probed ``1/L̂`` (6.4e-4: the 1 %-of-range probe sees a flat part of the
excess). Fallbacks: the first Polyak step when the Polyak run did not converge, then the
probed ``1/L̂`` (``scale_source`` says which).

The winner is the converged configuration with the fewest iterations (ties: least wall time).
Every configuration's row is kept (rule, step, status, iterations, messages, wall_s, final
relative residual). Early stop (``stop_early``, default on; never for the Polyak run, whose
distance to the optimum decreases at every step with the exact D*): a run whose last
:data:`STALL_WINDOW` iterations brought no new best dual value D(p_k) (by more than
:data:`STALL_TOL` relative) is stopped and reported ``stalled``. Below the stability limit
(α < 2/L on an L-smooth dual) projected ascent increases D at every step, so a stable run,
however slow, is never stopped; a step above the limit oscillates without dual progress. The
test uses the dual, not the residual: the residual is not monotone (from a start close to
clearing in most periods it first rises), and a residual-based rule stopped converging runs,
Polyak's included, when tried. The stops only save time; ``stop_early=False`` lets every run
use its budget. With ``prune=True`` a run is also
stopped once it has used more iterations than the best converged constant/diminishing run so
far (``beaten``: it can neither win nor be the real-time configuration; saves time on large
games, costs the row's own iteration count).

:func:`rolling_baseline` then operates the rolling day with ``subgradient`` in both stages
through :func:`gamecore.rolling.solve_rolling` (``day_ahead="subgradient"``,
``real_time="subgradient"``), which runs every stage as ``gamecore.solve`` with the driver's
certificate. With a day-ahead stage, ``solve_rolling`` clears each real-time stage's *current
period* with the later prices held at the day-ahead forecast (its ``current_period_game``: one
price per stage, the same single-variable problem the two-stage method's scalar bisection
solves), so the comparison in real time is subgradient vs bisection on the same scalar market.

* day-ahead stage: the sweep winner's options;
* real-time stages: the winner's options unless the winner is ``polyak``; Polyak's step needs
  each stage game's own optimum, which changes with the realised states, and ``solve_rolling``
  gives every stage the same options, so the real-time stages then run the best *constant or
  diminishing* configuration of the same sweep (``real_time_rule`` / ``real_time_step`` in
  :meth:`RollingBaseline.summary` say which). The step is the day-ahead game's: a per-period
  excess has the same slope per unit of price as one entry of the day-ahead excess.

Start points: every run starts at the middle of the price box by default. The two-stage
``day-ahead`` iteration starts at the utility price (``initial_prices()``); for subgradient that
start is worse (measured on ``county``, 3 IES, day-ahead game, tol 1e-4: Polyak 105 iterations
from the utility price vs 28 from the midpoint, constant 2.25e-6: 340 vs 70, diminishing
1.05e-5: 832 vs 68), so the baseline keeps the midpoint (``initial_prices=True`` uses the
description's prices for the sweep and the day-ahead stage). The real-time stages start at the
midpoint of the current price's box: ``solve_rolling`` gives every stage the same options, so
a per-stage warm start (the forecast price of period ``t``) cannot be passed through it; the
real-time iterations include the climb from the midpoint (a limitation of the baseline as run
here, in the two-stage method's favour only as far as bisection also starts from its box).

Accuracy: :data:`BASELINE_TOL` (relative coupling residual 1e-4) in both stages, the
certificate's ``coupling_residual`` tolerance, the ``day-ahead`` strategy's default ``tol`` and
the tolerance the two-stage workflow's scalar-bisection stages are certified at.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gamecore.driver import IterationInfo
from gamecore.game import Game
from gamecore.options import format_vector

if TYPE_CHECKING:
    from gamecore.case import Case
    from gamecore.rolling import RollingHorizon, RollingResult

#: relative coupling residual of every baseline solve (see the module docstring)
BASELINE_TOL = 1e-4
#: the constant-step grid spans this many decades around the scale ...
GRID_DECADES = 2.0
#: ... with this many log-spaced points
GRID_POINTS = 7
#: the diminishing rule is started at this many of the grid's largest steps
DIMINISHING_POINTS = 4
#: iteration budget of one sweep configuration and of one rolling stage
SWEEP_MAX_ITER = 1000
#: a run is stopped as ``stalled`` when its last STALL_WINDOW iterations brought no new best dual value ...
STALL_WINDOW = 100
#: ... better than the previous best by more than STALL_TOL·max(1, |best|)
STALL_TOL = 1e-9


@dataclass
class SweepRow:
    """One configuration of the sweep.

    Attributes:
        rule: ``"constant"``, ``"diminishing"`` or ``"polyak"``; step: α (price units per
            output unit; for ``polyak`` the last step it took).
        status: ``"converged"``, ``"max_iter"``, ``"stalled"`` (stopped: no new best dual value
            in :data:`STALL_WINDOW` iterations), ``"beaten"`` (``prune``) or ``"failed"``.
        iterations, messages, wall_s: of the run; residual: its final relative coupling residual.
        options: the ``subgradient`` options that reproduce it.
    """

    rule: str
    step: float
    status: str
    iterations: int
    messages: int
    wall_s: float
    residual: float | None
    options: dict[str, Any] = field(default_factory=dict)
    first_step: float | None = None

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "step": self.step, "status": self.status, "iterations": self.iterations,
                "messages": self.messages, "wall_s": self.wall_s, "residual": self.residual}


@dataclass
class SweepResult:
    """A step-size sweep of ``subgradient`` on one game (:func:`best_subgradient`).

    Attributes:
        game: game name; optimum: ``D*`` used by ``polyak`` (objective units).
        scale: centre of the constant-step grid; scale_source: ``"polyak-last-step"``,
            ``"polyak-first-step"``, ``"probe"`` (the subgradient's probed 1/L̂) or ``"given"``
            (explicit ``steps``: their geometric mean).
        tol: relative coupling residual of every run; rows: one per configuration, in run order.
        winner: the converged row with the fewest iterations (ties: wall time), or None.
        wall_s: seconds of the whole sweep (the centralized solve for the optimum included).
    """

    game: str
    optimum: float
    scale: float
    scale_source: str
    tol: float
    rows: list[SweepRow]
    winner: SweepRow | None
    wall_s: float = 0.0

    def best(self, rules: Sequence[str] = ("constant", "diminishing", "polyak")) -> SweepRow | None:
        """The converged row with the fewest iterations (ties: least wall) among ``rules``."""
        return pick_winner([r for r in self.rows if r.rule in rules])

    def to_rows(self) -> list[dict[str, Any]]:
        """Every row as a dict (:meth:`SweepRow.to_dict`) plus ``winner`` (bool)."""
        return [{**r.to_dict(), "winner": r is self.winner} for r in self.rows]


def pick_winner(rows: Sequence[SweepRow]) -> SweepRow | None:
    """The converged row with the fewest iterations; ties broken by wall time; None if none converged."""
    done = [r for r in rows if r.converged]
    return min(done, key=lambda r: (r.iterations, r.wall_s)) if done else None


def step_grid(scale: float, decades: float = GRID_DECADES, points: int = GRID_POINTS) -> np.ndarray:
    """``points`` log-spaced steps from ``scale·10^(−decades/2)`` to ``scale·10^(decades/2)``."""
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError(f"step grid: scale must be a finite number > 0, got {scale}")
    return scale * np.logspace(-decades / 2, decades / 2, points)


def known_optimum(game: Game) -> float:
    """``D* = P*``: the centralized welfare optimum of ``game`` (objective units, minimised cost,
    the sign of :func:`gamecore.market.dual_value`)."""
    from gamecore.errors import GameError
    from gamecore.registry import solve

    result = solve(game, "centralized", progress=False)
    if result.objective is None or result.status != "converged":
        raise GameError(f"game '{game.name}': the centralized solve gave no optimum ({result.status}: "
                        f"{result.message})")
    return float(result.objective)


def _run(game: Game, rule: str, options: dict[str, Any], *, n_jobs: int, backend: str,
         prune_at: int | None, stop_early: bool = True) -> SweepRow:
    """One ``subgradient`` solve as a sweep row (stopped early when diverging / stalled / beaten)."""
    from gamecore.errors import GameError, StrategyError
    from gamecore.registry import solve

    stopped: list[str] = []
    best = [-math.inf]
    since = [0]

    def watch(info: IterationInfo) -> bool:
        dual = float(info.record.get("dual", math.nan))
        if stop_early and math.isfinite(dual):
            if dual > best[0] + STALL_TOL * max(1.0, abs(best[0]) if math.isfinite(best[0]) else 1.0):
                best[0], since[0] = dual, 0
            else:
                since[0] += 1
                if since[0] >= STALL_WINDOW:
                    stopped.append("stalled")
                    return True
        if prune_at is not None and info.iteration > prune_at:
            stopped.append("beaten")
            return True
        return False

    started = time.perf_counter()
    try:
        result = solve(game, "subgradient", n_jobs=n_jobs, backend=backend, progress=False, callback=watch,
                       **options)
    except (GameError, StrategyError) as err:
        return SweepRow(rule, float(options.get("step_size", math.nan)), "failed", 0, 0,
                        time.perf_counter() - started, None, dict(options) | {"error": str(err)})
    last = result.history[-1] if result.history else {}
    step = float(last.get("step", options.get("step_size", math.nan)))
    if rule != "polyak":
        step = float(options["step_size"])
    status = "converged" if result.status == "converged" else (stopped[0] if stopped else str(result.status))
    residual = last.get("residual")
    first = float(result.history[0]["step"]) if result.history and "step" in result.history[0] else None
    return SweepRow(rule, step, status, int(result.iterations), int(result.messages), float(result.wall_s),
                    None if residual is None else float(residual), dict(options), first)


def best_subgradient(game: Game, tol: float = BASELINE_TOL, *, optimum: float | None = None,
                     steps: Sequence[float] | None = None, diminishing: Sequence[float] | None = None,
                     max_iter: int = SWEEP_MAX_ITER, n_jobs: int = 1, backend: str = "loky",
                     time_limit: float | None = None, prune: bool = False, stop_early: bool = True,
                     start: np.ndarray | None = None) -> SweepResult:
    """Sweep ``subgradient``'s step rules on ``game`` and pick the best (module docstring).

    Args:
        game: a market game (e.g. a case's day-ahead game).
        tol: relative coupling residual every run must reach (``subgradient``'s ``tol``).
        optimum: the known optimal dual value ``D*`` for ``polyak``; None = ``known_optimum(game)``.
        steps: constant steps; None = :func:`step_grid` around the problem's scale.
        diminishing: initial steps of the diminishing rule; None = the
            :data:`DIMINISHING_POINTS` largest constant steps.
        max_iter: iterations of each run; time_limit: seconds of each run (None = no limit).
        n_jobs, backend: follower pool of every run.
        prune: stop runs that have used more iterations than the best converged constant /
            diminishing run so far.
        stop_early: stop diverging and stalled runs (module docstring); False = every run uses
            its whole budget.
        start: first prices of every run (game layout); None = the middle of the price box.

    Returns:
        The :class:`SweepResult` (every row, the winner, the grid's scale and where it came from).
    """
    clock = time.perf_counter()
    opt = known_optimum(game) if optimum is None else float(optimum)
    base: dict[str, Any] = {"tol": tol, "max_iter": max_iter}
    if start is not None:
        base["start"] = format_vector(np.asarray(start, float))
    if time_limit is not None:
        base["time_limit"] = time_limit
    run_kw: dict[str, Any] = {"n_jobs": n_jobs, "backend": backend, "stop_early": stop_early}
    rows: list[SweepRow] = []

    def prune_at() -> int | None:
        # against the best constant/diminishing run only: when Polyak wins, the real-time stages
        # need the best of those (measured at 100 IES: pruning against Polyak's 145 iterations
        # left no converged constant/diminishing row and no real-time configuration)
        best = pick_winner([r for r in rows if r.rule != "polyak"])
        return best.iterations if prune and best is not None else None

    polyak = _run(game, "polyak", base | {"step_rule": "polyak", "optimum": opt}, prune_at=None,
                  **(run_kw | {"stop_early": False}))
    rows.append(polyak)
    if steps is None:
        if polyak.converged and polyak.step > 0:
            scale, source = polyak.step, "polyak-last-step"
        elif polyak.first_step and polyak.first_step > 0:
            scale, source = polyak.first_step, "polyak-first-step"
        else:
            scale, source = _probed_step(game, n_jobs=n_jobs, backend=backend), "probe"
        grid = [float(s) for s in step_grid(scale)]
    else:
        grid = sorted(float(s) for s in steps)
        scale, source = float(np.exp(np.mean(np.log(grid)))), "given"
    for step in grid:
        rows.append(_run(game, "constant", base | {"step_rule": "constant", "step_size": step},
                         prune_at=prune_at(), **run_kw))
    starts = sorted(grid)[-DIMINISHING_POINTS:] if diminishing is None else [float(s) for s in diminishing]
    for step in starts:
        rows.append(_run(game, "diminishing", base | {"step_rule": "diminishing", "step_size": step},
                         prune_at=prune_at(), **run_kw))
    return SweepResult(game.name, opt, scale, source, tol, rows, pick_winner(rows), time.perf_counter() - clock)


def _probed_step(game: Game, *, n_jobs: int, backend: str) -> float:
    """The subgradient's own 1/L̂ (its automatic first step, one iteration)."""
    from gamecore.registry import solve

    result = solve(game, "subgradient", n_jobs=n_jobs, backend=backend, progress=False, max_iter=1, tol=1e-12)
    return float(result.history[0]["step"]) if result.history else 1.0


# ---------------------------------------------------------------------- rolling day
@dataclass
class RollingBaseline:
    """A rolling day operated with ``subgradient`` in both stages (:func:`rolling_baseline`).

    Attributes:
        sweep: the day-ahead game's sweep; result: the rolling day.
        day_ahead_options / real_time_options: the ``subgradient`` options of the two stages.
        day_ahead_row / real_time_row: the sweep rows those options come from.
        note: how the real-time configuration was chosen.
    """

    sweep: SweepResult
    result: RollingResult | None
    day_ahead_options: dict[str, Any]
    real_time_options: dict[str, Any]
    day_ahead_row: SweepRow | None
    real_time_row: SweepRow | None
    note: str

    def summary(self, reference_cost: float | None = None) -> dict[str, Any]:
        """The ``baseline`` object of ``gamecore rolling --json`` (see :mod:`gamecore.cli.rolling`)."""
        res = self.result
        cost = res.cost if res is not None and res.status != "failed" else None
        gap = (cost - reference_cost) / abs(reference_cost) if cost is not None and reference_cost else None
        ratio = res.flow_ratio if res is not None else None
        da, rt = self.day_ahead_row, self.real_time_row
        return {
            "strategy": "subgradient",
            "rule": da.rule if da else None, "step": da.step if da else None,
            "real_time_rule": rt.rule if rt else None, "real_time_step": rt.step if rt else None,
            "status": res.status if res is not None else "failed",
            "message": res.message if res is not None else self.note,
            "iterations": res.iterations if res is not None else None,
            "day_ahead_iterations": res.day_ahead_iterations if res is not None else None,
            "real_time_iterations_max": max(res.real_time_iterations) if res and res.real_time_iterations else None,
            "messages": res.messages if res is not None else None,
            "wall_s": res.wall_s if res is not None else None,
            "cost": cost, "gap": gap,
            "transformer_max_ratio": ratio,
            # the day clears each balance to a relative residual ``tol``, so the realised flow Σ_i y_i
            # may exceed the supply's limit by that much (measured: 1.00009 at 3 IES × 6 periods)
            "transformer_within_limit": None if ratio is None else bool(ratio <= 1.0 + self.sweep.tol),
            "renewable_accommodation": res.run.renewable_accommodation if res is not None else None,
            "tol": self.sweep.tol, "note": self.note,
            "sweep_scale": self.sweep.scale, "sweep_scale_source": self.sweep.scale_source,
            "sweep_optimum": self.sweep.optimum, "sweep_wall_s": self.sweep.wall_s,
            "sweep": self.sweep.to_rows(),
        }


def rolling_baseline(case_or_rolling: Case | RollingHorizon, *, tol: float = BASELINE_TOL,
                     sweep: SweepResult | None = None, max_iter: int = SWEEP_MAX_ITER,
                     stage_max_iter: int = SWEEP_MAX_ITER, n_jobs: int = 1, backend: str = "loky",
                     progress: bool | None = False, prune: bool = False,
                     sweep_options: Mapping[str, Any] | None = None, initial_prices: bool = False) -> RollingBaseline:
    """The subgradient baseline of a rolling day: sweep the day-ahead game, then
    ``solve_rolling(case, "subgradient", "subgradient", ...)`` at the sweep's best (module docstring).

    Args:
        case_or_rolling: a case with ``rolling`` set (its ``game`` is swept when it has one,
            else the description's ``day_ahead_game()``), or a rolling description.
        tol: relative coupling residual of every run (sweep and stages).
        sweep: a sweep already run on the day-ahead game (else one is run here).
        max_iter: iterations of each sweep run; stage_max_iter: of each rolling stage (day-ahead
            and real time).
        n_jobs, backend, progress: as :func:`gamecore.rolling.solve_rolling`.
        prune, sweep_options: passed to :func:`best_subgradient`.
        initial_prices: start the sweep and the day-ahead stage from the description's
            :meth:`~gamecore.rolling.RollingHorizon.initial_prices` (e.g. the utility price), as
            :func:`~gamecore.rolling.solve_rolling` starts the two-stage ``day-ahead`` iteration;
            False (default) = the middle of the price box, the faster start for subgradient on
            ``county`` (module docstring).

    Returns:
        :class:`RollingBaseline`; its ``result`` is None when no configuration converged on the
        day-ahead game (nothing fair to run).
    """
    from gamecore.rolling import RollingHorizon, rolling_of_case, solve_rolling

    _, rolling = rolling_of_case(case_or_rolling)
    game = getattr(case_or_rolling, "game", None) if not isinstance(case_or_rolling, RollingHorizon) else None
    if not isinstance(game, Game):
        game = rolling.day_ahead_game()
    prices = rolling.initial_prices() if initial_prices else None
    start = game.layout.pack(prices) if prices is not None else None
    if sweep is None:
        sweep = best_subgradient(game, tol, max_iter=max_iter, n_jobs=n_jobs, backend=backend, prune=prune,
                                 start=start, **dict(sweep_options or {}))
    da_row = sweep.winner
    if da_row is None:
        return RollingBaseline(sweep, None, {}, {}, None, None,
                               "no sweep configuration converged on the day-ahead game")
    rt_row: SweepRow | None = da_row
    note = f"both stages at the sweep winner ({da_row.rule}, step {da_row.step:.4g})"
    if da_row.rule == "polyak":
        rt_row = sweep.best(("constant", "diminishing"))
        if rt_row is None:
            return RollingBaseline(sweep, None, {}, {}, da_row, None,
                                   "polyak won the day-ahead sweep but no constant/diminishing step converged "
                                   "for the real-time stages (Polyak needs each stage's optimum)")
        note = (f"day-ahead at the sweep winner (polyak with the known optimum); real-time stages at the best "
                f"constant/diminishing configuration ({rt_row.rule}, step {rt_row.step:.4g}): Polyak needs "
                "each stage game's own optimum")
    assert rt_row is not None
    da_opts = _stage_options(da_row, tol, stage_max_iter)
    if start is not None:
        da_opts["start"] = format_vector(start)
    rt_opts = _stage_options(rt_row, tol, stage_max_iter)
    result = solve_rolling(case_or_rolling, "subgradient", "subgradient", n_jobs=n_jobs, backend=backend,
                           progress=progress, day_ahead_options=da_opts, real_time_options=rt_opts,
                           hindsight=False)
    return RollingBaseline(sweep, result, da_opts, rt_opts, da_row, rt_row, note)


def _stage_options(row: SweepRow, tol: float, max_iter: int) -> dict[str, Any]:
    opts = {k: v for k, v in row.options.items() if k in ("step_rule", "step_size", "optimum")}
    return opts | {"tol": tol, "max_iter": max_iter}


__all__ = ["BASELINE_TOL", "RollingBaseline", "SweepResult", "SweepRow", "best_subgradient", "known_optimum",
           "pick_winner", "rolling_baseline", "step_grid"]
