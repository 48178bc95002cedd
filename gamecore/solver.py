"""Clarabel plumbing of gamecore: settings, statuses, and one way to solve with a stall-retry policy.

Every Clarabel solver in gamecore is built and solved here:

* **settings** — a setting mapping (Clarabel field -> value) is applied in order over
  Clarabel's defaults (:func:`clarabel_settings`). Two bases: :data:`BASE_SETTINGS` for
  solvers whose data are updated in place (compiled followers, the bilevel relaxations) and
  :data:`ONE_SHOT_SETTINGS` for programs built and solved once (Clarabel's defaults,
  presolve and equilibration on, quiet). A follower's own ``solver_options`` are checked once
  by :func:`check_solver_options`.
* **statuses** — :data:`STATUS` maps Clarabel's status strings to gamecore's
  (:func:`status_of`); :data:`OK_STATUSES` are the ones with a usable primal point.
* **solving** — :func:`solve` runs one attempt (on a solver the caller keeps and updates, or
  on a fresh one) and, while the status is one its :class:`RetryPolicy` retries, further
  attempts on fresh solvers with changed settings. The named policies:
  :data:`NO_RETRY`, :data:`EQUILIBRATE_ONCE` (compiled followers),
  :data:`LOOSEN_THEN_EQUILIBRATE` (ADMM blocks of the McCormick relaxation).

(SCIP's retries of :meth:`gamecore.kkt.KKTModel.expression_bounds` are SCIP parameter
changes, not Clarabel settings, and stay in :mod:`gamecore.kkt`; cvxpy-solved programs keep
cvxpy's status strings.)
"""

from __future__ import annotations

import difflib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import clarabel
import numpy as np
import scipy.sparse as sp

from gamecore.errors import GameDefinitionError

# ------------------------------------------------------------------------------------------
# Statuses
# ------------------------------------------------------------------------------------------

#: Clarabel status string -> gamecore status (anything else: ``"solver_error"``).
STATUS: Mapping[str, str] = MappingProxyType({
    "Solved": "optimal",
    "AlmostSolved": "optimal_inaccurate",
    "PrimalInfeasible": "infeasible",
    "AlmostPrimalInfeasible": "infeasible",
    "DualInfeasible": "unbounded",
    "AlmostDualInfeasible": "unbounded",
    "MaxIterations": "max_iter",
    "MaxTime": "max_time",
    "NumericalError": "solver_error",
    "InsufficientProgress": "solver_error",
})
#: gamecore statuses of a solve with a usable primal point
OK_STATUSES: tuple[str, ...] = ("optimal", "optimal_inaccurate")
#: every gamecore status a Clarabel solve can end in without a usable point
FAILED_STATUSES: tuple[str, ...] = tuple(sorted(set(STATUS.values()) - set(OK_STATUSES)))


def status_of(solution: Any) -> str:
    """gamecore status (``"optimal"``, ``"infeasible"``, ...) of a Clarabel solution object."""
    return STATUS.get(str(solution.status), "solver_error")


# ------------------------------------------------------------------------------------------
# Settings
# ------------------------------------------------------------------------------------------

#: settings of every solver whose data are updated in place between solves (a compiled
#: follower's, before its own options; the bilevel relaxations'): quiet; no presolve (it would
#: forbid the in-place data updates); no equilibration, whose scaling Clarabel computes once
#: at construction, so an updated solver's answer would depend on the history of updates
#: (see :attr:`gamecore.canonical.CanonicalProgram._reusable`; a follower may turn it on)
BASE_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {"verbose": False, "presolve_enable": False, "equilibrate_enable": False})
#: settings of a program built and solved once (the centralized welfare problem, assembled
#: conic programs): Clarabel's defaults (presolve and equilibration on), quiet
ONE_SHOT_SETTINGS: Mapping[str, Any] = MappingProxyType({"verbose": False})
#: option -> (lowest, highest, lowest allowed, highest allowed) beyond "a non-negative number":
#: ranges Clarabel itself does not enforce but misbehaves outside of (stops at once, or
#: NumericalError / InsufficientProgress on every solve)
_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "max_iter": (1, float("inf"), True, False),
    "time_limit": (0.0, float("inf"), False, True),                 # seconds; inf = no limit
    "max_step_fraction": (0.0, 1.0, False, True),
    "linesearch_backtrack_step": (0.0, 1.0, False, False),
    "min_switch_step_length": (0.0, 1.0, False, True),
    "min_terminate_step_length": (0.0, 1.0, False, True),
    "equilibrate_min_scaling": (0.0, float("inf"), False, False),
    "equilibrate_max_scaling": (0.0, float("inf"), False, False),
}


def _setting_names() -> tuple[str, ...]:
    """The settable fields of ``clarabel.DefaultSettings`` (sorted)."""
    template = clarabel.DefaultSettings()
    return tuple(sorted(n for n in dir(template) if not n.startswith("_") and not callable(getattr(template, n))))


def _bad_setting(agent: str, key: str, problem: str) -> GameDefinitionError:
    return GameDefinitionError(agent, f"solver_options['{key}']", problem)


def _setting_value(agent: str, key: str, value: Any, default: Any) -> Any:
    """``value`` checked against the kind of Clarabel's default for ``key`` (and :data:`_RANGES`)."""
    if isinstance(default, bool):
        if not isinstance(value, (bool, np.bool_)):
            raise _bad_setting(agent, key, f"must be True or False, got {value!r}")
        value = bool(value)
        if key == "presolve_enable" and value:
            raise _bad_setting(agent, key, "must stay False: gamecore updates each follower's solver data "
                                           "between solves, which Clarabel forbids once its presolve is on")
        return value
    if isinstance(default, (int, float)):
        integral = isinstance(default, int)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer) if integral
                                                                  else (int, float, np.integer, np.floating)):
            kind = "an integer" if integral else "a number"
            raise _bad_setting(agent, key, f"must be {kind}, got {value!r} ({type(value).__name__})")
        low, high, low_ok, high_ok = _RANGES.get(key, (0, float("inf"), True, False))
        if integral:   # Clarabel's own integer range (u32 / usize) is checked when the value is set
            value = int(value)
            if value < low:
                raise _bad_setting(agent, key, f"must be an integer >= {low:g}, got {value!r}")
            return value
        value = float(value)
        if (math.isnan(value) or value < low or (value == low and not low_ok) or value > high
                or (value == high and not high_ok)):
            if high == float("inf"):
                allowed = f"{'>=' if low_ok else '>'} {low:g}" + (" (inf allowed)" if high_ok else " and finite")
            else:
                allowed = f"in {'[' if low_ok else '('}{low:g}, {high:g}{']' if high_ok else ')'}"
            raise _bad_setting(agent, key, f"must be {allowed}, got {value!r}")
        return value
    if isinstance(default, str) and not isinstance(value, str):
        raise _bad_setting(agent, key, f"must be a string, got {value!r} ({type(value).__name__})")
    return value


def clarabel_settings(settings: Mapping[str, Any] | None = None) -> Any:
    """A fresh ``clarabel.DefaultSettings`` with ``settings`` (field -> value) set in order over
    Clarabel's defaults. Callers pass a base (:data:`BASE_SETTINGS`, :data:`ONE_SHOT_SETTINGS`)
    merged with their options, e.g. ``{**BASE_SETTINGS, **options}``."""
    result = clarabel.DefaultSettings()
    for key, value in (settings or {}).items():
        setattr(result, key, value)
    return result


def follower_settings(options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings of a compiled follower's solver: :data:`BASE_SETTINGS`, then its
    ``options`` (already checked by :func:`check_solver_options`)."""
    return {**BASE_SETTINGS, **(options or {})}


def check_solver_options(agent: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """A follower's ``solver_options`` checked against Clarabel's settings, so that nothing can
    fail later inside a worker; returns them as a plain dict with values of the settings' kinds.

    Called when the follower is compiled (:class:`~gamecore.follower.Follower` construction).
    Checks:

    * the key is a field of ``clarabel.DefaultSettings`` (else the close matches and every
      valid key are listed);
    * the value has the field's kind: bools for switches (``presolve_enable`` must stay False);
      integers (not bools) for counts, e.g. ``max_iter`` >= 1, within Clarabel's integer range;
      numbers for tolerances and factors, non-negative and not NaN, finite except
      ``time_limit`` (seconds, > 0, ``inf`` = none), with the ranges of :data:`_RANGES`;
      strings for the methods, which Clarabel checks only when a solver is built (so a
      one-row solver is built once with the settings).

    Raises:
        GameDefinitionError: naming ``agent``, ``solver_options['key']`` and what is wrong.
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise GameDefinitionError(agent, "solver_options",
                                  f"must be a mapping of Clarabel settings, got {type(options).__name__}")
    names = _setting_names()
    template = clarabel.DefaultSettings()
    checked: dict[str, Any] = {}
    for key, value in options.items():
        if not isinstance(key, str) or key not in names:
            close = difflib.get_close_matches(str(key), names, n=3)
            hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
            raise _bad_setting(agent, str(key), f"not a Clarabel setting; {hint}valid settings: {', '.join(names)}")
        checked[key] = value = _setting_value(agent, key, value, getattr(template, key))
        try:
            setattr(template, key, value)
        except OverflowError:
            raise _bad_setting(agent, key, f"{value!r} is outside Clarabel's integer range") from None
        except (AttributeError, TypeError, ValueError) as exc:
            raise _bad_setting(agent, key, f"rejected by Clarabel: {exc}") from None
    if checked:
        try:   # Clarabel checks its string settings (e.g. direct_solve_method) only when a solver is built
            clarabel.DefaultSolver(sp.csc_matrix((1, 1)), np.zeros(1), sp.csc_matrix(np.ones((1, 1))), np.ones(1),
                                   [clarabel.ZeroConeT(1)],
                                   clarabel_settings({**follower_settings(checked), "verbose": False}))
        except Exception as exc:   # noqa: BLE001 - Clarabel raises a bare Exception("Bad settings: ...")
            raise GameDefinitionError(agent, "solver_options", f"rejected by Clarabel: {exc}") from None
    return checked


# ------------------------------------------------------------------------------------------
# Solving, with a retry policy
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    """What :func:`solve` does when an attempt ends in a stall.

    After an attempt whose gamecore status is in ``on``, the next entry of ``attempts`` is
    tried: a *fresh* solver on the same data with the call's settings updated by that entry
    (entries are not cumulative; a fresh solver carries no scaling state from earlier
    solves). Stops at the first status outside ``on`` or when ``attempts`` is exhausted; the
    last attempt's solution is the answer.

    Attributes:
        name: short name (for messages and documentation).
        on: gamecore statuses (:data:`STATUS` values) that trigger the next attempt.
        attempts: setting overrides (Clarabel field -> value), tried in order.
    """

    name: str
    on: tuple[str, ...] = ()
    attempts: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.on) - set(STATUS.values()) - {"solver_error"}
        if unknown:
            raise ValueError(f"RetryPolicy {self.name!r}: unknown statuses {sorted(unknown)}")
        object.__setattr__(self, "on", tuple(self.on))
        object.__setattr__(self, "attempts", tuple(MappingProxyType(dict(a)) for a in self.attempts))


#: one attempt, whatever its status
NO_RETRY = RetryPolicy("no-retry")
#: compiled followers (:meth:`gamecore.canonical.CanonicalProgram.solve`, ``solve_restricted``):
#: an interior-point stall of the unscaled data (seen on badly scaled blocks) or the
#: iteration limit — once more with Ruiz equilibration; infeasibility is an answer, not retried
EQUILIBRATE_ONCE = RetryPolicy("equilibrate-once", on=("solver_error", "max_iter"),
                               attempts=({"equilibrate_enable": True},))
#: ADMM blocks of the McCormick relaxation (``strategies/admm_bilevel.py``), after any status
#: without a point: looser and regularised; then with Ruiz equilibration. Measured on
#: ``analytic-stackelberg`` with 100 followers x 24 periods: a block with |b| ~ 3e3 and
#: |A| ~ 1e2 fails the first two and solves in 16 iterations with equilibration, at the same
#: objective to 1e-9 relative.
LOOSEN_THEN_EQUILIBRATE = RetryPolicy(
    "loosen-then-equilibrate", on=FAILED_STATUSES,
    attempts=({"tol_gap_abs": 1e-7, "tol_gap_rel": 1e-7, "tol_feas": 1e-7, "static_regularization_constant": 1e-7},
              {"equilibrate_enable": True}))


@dataclass(frozen=True)
class Solution:
    """The outcome of :func:`solve`.

    Attributes:
        status: gamecore status of the last attempt (:func:`status_of`).
        raw: the last attempt's Clarabel solution (``x``, ``z``, ``obj_val``, ``obj_val_dual``,
            ``iterations``, ``solve_time``, ...).
        iterations: Clarabel iterations summed over all attempts.
        retries: attempts after the first (0: the first attempt is the answer).
        solve_time: wall seconds of the whole call (every attempt, fresh solvers' setup
            included), measured around it: Clarabel's own ``solve_time`` also counts the setup
            of a solver built earlier and updated since, so it overstates repeated solves.
    """

    status: str
    raw: Any
    iterations: int
    retries: int
    solve_time: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the status is one of :data:`OK_STATUSES` (a usable primal point)."""
        return self.status in OK_STATUSES

    @property
    def x(self) -> np.ndarray | None:
        """The primal point (n,) when :attr:`ok`, else None."""
        return np.asarray(self.raw.x, dtype=float) if self.ok else None


def new_solver(P: sp.csc_matrix, q: np.ndarray, A: sp.csc_matrix, b: np.ndarray, cones: Sequence[Any],
               settings: Mapping[str, Any]) -> Any:
    """A ``clarabel.DefaultSolver`` of ``min ½xᵀPx + qᵀx s.t. Ax + s = b, s ∈ cones`` with
    ``settings`` (:func:`clarabel_settings`). ``P`` (n, n) upper triangle, ``q`` (n,), ``A`` (m, n),
    ``b`` (m,), ``cones`` Clarabel cone objects whose sizes sum to m. For a solver the caller
    keeps and updates in place (``solver.update(q=..., b=..., P=...)``); solve it with
    :func:`solve` and its ``solver`` argument."""
    return clarabel.DefaultSolver(P, q, A, b, list(cones), clarabel_settings(settings))


def solve(P: sp.csc_matrix, q: np.ndarray, A: sp.csc_matrix, b: np.ndarray, cones: Sequence[Any],
          settings: Mapping[str, Any], retry: RetryPolicy = NO_RETRY, solver: Any = None) -> Solution:
    """Solve ``min ½xᵀPx + qᵀx s.t. Ax + s = b, s ∈ cones`` with Clarabel, retrying per ``retry``.

    Args:
        P, q, A, b, cones: the data, as for :func:`new_solver`.
        settings: Clarabel settings of the first attempt (field -> value over Clarabel's
            defaults: :func:`clarabel_settings`); a retry uses ``{**settings, **override}``.
        retry: the stall-retry policy (:class:`RetryPolicy`; default: one attempt).
        solver: a solver the caller built (:func:`new_solver`) and updated to exactly this
            data; it runs the first attempt (retries always get fresh solvers). None: fresh.

    Returns:
        a :class:`Solution` (status, last raw solution, summed iterations, retries).
    """
    start = time.perf_counter()
    if solver is None:
        solver = new_solver(P, q, A, b, cones, settings)
    raw = solver.solve()
    status = status_of(raw)
    iterations = int(raw.iterations)
    retries = 0
    for override in retry.attempts:
        if status not in retry.on:
            break
        raw = new_solver(P, q, A, b, cones, {**settings, **override}).solve()
        status = status_of(raw)
        iterations += int(raw.iterations)
        retries += 1
    return Solution(status, raw, iterations, retries, time.perf_counter() - start)
