"""Outer approximation (Duran & Grossmann) for convex mixed-integer programs, with HiGHS masters.

Problem (``f`` convex, ``C`` a convex set, ``y`` integer)::

    min f(x, y)   s.t.  (x, y) ∈ C,  y integer

The caller supplies three pieces and the engine runs the loop:

* the **master model**: a cvxpy objective and constraints over the continuous and integer
  variables in which the nonlinear / conic parts of ``f`` and ``C`` are replaced by linear cuts
  (a MILP for HiGHS), and the expression ``integer`` whose rounded value is "the integer point"
  (the integer variables, or an affine image of them such as line statuses);
* a **subproblem** ``subproblem(point) -> SubproblemResult``: the convex problem with the integers
  fixed at ``point``; a feasible one gives an upper bound (and becomes the incumbent when it is
  the best so far);
* a **cut pool** (:class:`CutPool`: ``add(site) -> int`` and ``constraints()``) or a plain
  callback ``cuts(site) -> list[cp.Constraint]`` (wrapped in :class:`CallbackCuts`). It is asked
  for cuts twice per iteration, in this order: at the subproblem's solution
  (``site.kind == "subproblem"``) and at the master's point (``site.kind == "master"``: it must
  return only cuts that the master's current point violates, read from the master's variables'
  ``.value``).

Each iteration (one :meth:`gamecore.driver.Driver.run` step): (1) solve the master with HiGHS ->
an integer point and a lower bound; (2) solve the subproblem at that point -> an upper bound;
(3) add the cuts. HiGHS stops a MILP when ``primal − dual ≤ max(mip_rel_gap·|primal|,
mip_abs_gap)``, so the proven lower bound of an iteration is ``value − max(mip_rel_gap·|value|,
mip_abs_gap)`` (kept as a running maximum). The loop stops when

* the gap is closed: ``UB − LB ≤ max(gap·|UB|, abs_gap)`` -> ``"optimal"``;
* it stalls: the master returns an integer point seen before and no cut is violated at its
  point (no progress is possible) -> ``"suboptimal"``;
* the master is not solved (infeasible, time limit, solver error) -> ``"suboptimal"`` with an
  incumbent, else ``"failed"``;
* ``max_iter``, the time limit, the driver's deadline or the driver's callback stop it ->
  ``"suboptimal"`` with an incumbent, else ``"failed"``.

The time left (the driver's deadline and this loop's own ``time_limit``) is passed to every
master solve as HiGHS's ``time_limit`` (at least :data:`MIN_MASTER_TIME_S`). HiGHS prints a
banner on the C-level stdout; every master solve runs inside :func:`stdout_to_stderr` so that
the JSON outputs of the CLI stay clean.

The engine knows nothing about the problem's meaning; see
:mod:`gamecore.network.reconfiguration` for a user (DistFlow cones, tangent cuts).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import cvxpy as cp
import numpy as np

from gamecore.driver import Callback, Driver, Limit, LoopRun, MaxIter, Rule, Termination, TimeLimit

OAStatus = Literal["optimal", "suboptimal", "failed"]
CutKind = Literal["subproblem", "master"]

#: default relative / absolute MIP gaps of the HiGHS master solves (absolute: in the objective's units)
MIP_REL_GAP: float = 1e-7
MIP_ABS_GAP: float = 1e-9
#: smallest time limit handed to a master solve, s (HiGHS needs a moment even near the deadline)
MIN_MASTER_TIME_S: float = 1.0
#: cvxpy statuses of a master solve whose point and value are used
MASTER_OK: tuple[str, ...] = ("optimal", "optimal_inaccurate")


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Redirect the process's file descriptor 1 to 2 for the duration of the block.

    HiGHS prints its banner on C-level stdout when the first ``Highs`` object is created, even
    with ``output_flag`` off; that would corrupt ``--json`` outputs. Without a real fd 1 (e.g.
    under a capturing test runner) nothing is redirected.
    """
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real fd 1: nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class SubproblemResult:
    """The convex subproblem at one integer point.

    Attributes:
        feasible: the subproblem was solved to a feasible point (then ``upper_bound`` is valid).
        upper_bound: its optimal value (an upper bound of the mixed-integer optimum, in the
            master objective's units); ``inf`` when infeasible.
        solution: anything the caller needs later (its solution, cut points); kept in
            :attr:`OAResult.incumbent` for the best point and passed to the cut pool.
        message: a note (e.g. the solver status when not feasible).
    """

    feasible: bool
    upper_bound: float = math.inf
    solution: Any = None
    message: str = ""


@dataclass(frozen=True)
class CutSite:
    """Where the cut pool is asked for cuts.

    Attributes:
        kind: ``"subproblem"`` (cuts at the subproblem's solution, ``subproblem`` set; asked
            whether or not it was feasible) or ``"master"`` (cuts violated at the master's
            point: read the master variables' ``.value``, which hold the master's solution).
        iteration: OA iteration (1-based).
        integer_point: the master's integer point (rounded value of ``integer``, its shape).
        subproblem: the subproblem's result (``"subproblem"`` sites only).
    """

    kind: CutKind
    iteration: int
    integer_point: np.ndarray
    subproblem: SubproblemResult | None = None


@runtime_checkable
class CutPool(Protocol):
    """Accumulates the cuts of the master.

    ``add(site)`` adds the cuts of a :class:`CutSite` and returns how many it added (for a
    ``"master"`` site: how many are violated at the master's point; 0 there, at an integer point
    seen before, means the loop stalled). ``constraints()`` returns all cuts so far as cvxpy
    constraints over the master's variables (called before each master solve). An optional
    ``__len__`` (all cuts held, initial ones included) is reported in the result's message.
    The counts are the pool's own unit (rows, points or constraint objects).
    """

    def add(self, site: CutSite) -> int: ...

    def constraints(self) -> list[cp.Constraint]: ...


class CallbackCuts:
    """A :class:`CutPool` from a callback ``cuts(site) -> Sequence[cp.Constraint]``.

    The callback returns the new cuts at ``site`` (for a ``"master"`` site only the violated
    ones); they are kept in order of arrival.
    """

    def __init__(self, cuts: Callable[[CutSite], Sequence[cp.Constraint]]) -> None:
        self._cuts = cuts
        self._constraints: list[cp.Constraint] = []

    def add(self, site: CutSite) -> int:
        new = list(self._cuts(site))
        self._constraints.extend(new)
        return len(new)

    def constraints(self) -> list[cp.Constraint]:
        return list(self._constraints)

    def __len__(self) -> int:
        return len(self._constraints)


def as_cut_pool(cuts: CutPool | Callable[[CutSite], Sequence[cp.Constraint]]) -> CutPool:
    """``cuts`` itself if it has ``add`` and ``constraints``, else a :class:`CallbackCuts` of it.

    Raises:
        TypeError: neither a cut pool nor a callable.
    """
    if isinstance(cuts, CutPool):
        return cuts
    if callable(cuts):
        return CallbackCuts(cuts)
    raise TypeError(f"cuts must be a CutPool (add/constraints) or a callable, got {type(cuts).__name__}")


@dataclass
class OAResult:
    """Outcome of :func:`outer_approximation`.

    Attributes:
        status: ``"optimal"`` (gap closed), ``"suboptimal"`` (an incumbent, optimality not
            proven: iteration / time limit, stall, callback, master failure after an incumbent),
            ``"failed"`` (no feasible integer point found).
        message: why the loop stopped, with the final gap.
        integer_point: the incumbent's integer point (the shape of ``integer``; None if none).
        upper_bound: the incumbent's subproblem value (``inf`` if none).
        lower_bound: the proven lower bound (``-inf`` if no master was solved).
        gap: relative gap ``(UB − LB) / |UB|`` (``inf`` without both bounds).
        iterations: OA iterations run (a failed master solve counts).
        solver_s: seconds inside the master (HiGHS) solves.
        subproblem_s: seconds inside the subproblem callback.
        cuts: cuts added by the pool over the run.
        master_status: cvxpy status of the last master solve (``"solver_error"`` if HiGHS
            raised; None if none ran).
        incumbent: the :class:`SubproblemResult` of the incumbent (None if none).
        history: one record per iteration (see :func:`outer_approximation`).
        loop: the driver's :class:`~gamecore.driver.LoopRun` of this loop.
    """

    status: OAStatus
    message: str
    integer_point: np.ndarray | None
    upper_bound: float
    lower_bound: float
    gap: float
    iterations: int
    solver_s: float
    subproblem_s: float
    cuts: int
    master_status: str | None
    incumbent: SubproblemResult | None
    history: list[dict[str, Any]] = field(default_factory=list)
    loop: LoopRun | None = None

    @property
    def has_incumbent(self) -> bool:
        return self.integer_point is not None


def relative_gap(upper: float, lower: float) -> float:
    """``(upper − lower) / |upper|``; ``inf`` if a bound is missing (infinite); for ``upper == 0``
    0 when ``lower ≥ 0`` else ``inf``."""
    if not (math.isfinite(upper) and math.isfinite(lower)):
        return math.inf
    if upper == 0.0:
        return 0.0 if lower >= 0.0 else math.inf
    return (upper - lower) / abs(upper)


@dataclass
class _State:
    lower: float = -math.inf
    upper: float = math.inf
    point: np.ndarray | None = None
    incumbent: SubproblemResult | None = None
    solver_s: float = 0.0
    subproblem_s: float = 0.0
    cuts: int = 0
    master_status: str | None = None
    failure: str = ""
    previous: bytes | None = None
    seen: set[bytes] = field(default_factory=set)


def outer_approximation(
        objective: cp.Expression,
        constraints: Sequence[cp.Constraint],
        integer: cp.Expression,
        subproblem: Callable[[np.ndarray], SubproblemResult],
        cuts: CutPool | Callable[[CutSite], Sequence[cp.Constraint]],
        *,
        gap: float = 1e-4,
        abs_gap: float = 0.0,
        max_iter: int = 50,
        time_limit: float | None = None,
        driver: Driver | None = None,
        progress: bool = False,
        callback: Callback | None = None,
        mip_rel_gap: float = MIP_REL_GAP,
        mip_abs_gap: float = MIP_ABS_GAP,
        solver_options: dict[str, Any] | None = None,
        name: str = "outer-approximation") -> OAResult:
    """Outer approximation of a convex mixed-integer program (see the module docstring).

    Args:
        objective: master objective to minimise (scalar, linear in the master's variables: the
            nonlinear parts are epigraph variables bounded by cuts), in the units of the
            subproblem's ``upper_bound``.
        constraints: the master's constraints except the cuts (linear; integer variables are
            cvxpy ``integer=`` / ``boolean=`` variables).
        integer: the expression whose value, rounded to integers, is the integer point handed to
            ``subproblem`` and used by the stall test (any shape; its shape is kept).
        subproblem: ``subproblem(point) -> SubproblemResult``, the convex problem with the
            integers fixed at ``point`` (a float array of integral values, the shape of
            ``integer``). It should build its own cvxpy problem; the values of the master's
            (dense) variables are restored after it anyway, for the ``"master"`` cut site.
        cuts: a :class:`CutPool` or a callback ``cuts(site) -> list[cp.Constraint]``.
        gap: relative gap at which the loop stops as ``"optimal"``: ``UB − LB ≤ gap·|UB|``.
        abs_gap: absolute gap that also counts as closed (``UB − LB ≤ abs_gap``).
        max_iter: iteration limit (≥ 0).
        time_limit: wall seconds for this loop (None or inf: none; ≤ 0: no iteration runs).
            Without ``driver`` a ``Driver(time_limit=...)`` is created; with one it is this
            loop's :class:`~gamecore.driver.TimeLimit`, on top of the driver's deadline.
        driver: run the loop in this driver (nested in a caller's loop: its deadline, progress
            and callback apply); None: a new one.
        progress, callback: for the driver created when ``driver`` is None (a ``ValueError``
            with a ``driver``: they belong to that driver).
        mip_rel_gap, mip_abs_gap: HiGHS's MIP gaps of the master solves (lower bound accounting).
        solver_options: more HiGHS options for the master solves (passed to ``Problem.solve``).
        name: the loop's name in the driver.

    Returns:
        An :class:`OAResult`. History records (besides ``iteration``): ``lower``, ``upper``,
        ``gap`` (bounds after the iteration), ``master_status``, ``master_value`` (NaN when not
        solved), ``subproblem_feasible``, ``subproblem_value``, ``new_cuts`` (subproblem +
        master cuts added), ``violated_cuts`` (master-point cuts), ``point_changed`` (integer
        point differs from the previous iteration's), ``converged``, ``stalled``, ``failed``
        (master not solved), ``solver_s`` (master seconds this iteration).

    Raises:
        ValueError: ``gap`` or ``abs_gap`` negative, ``max_iter`` not an integer ≥ 0, ``time_limit``
            NaN, or ``progress`` / ``callback`` given together with ``driver``.
        TypeError: ``cuts`` is neither a pool nor a callable.
    """
    if not (gap >= 0 and abs_gap >= 0):
        raise ValueError(f"gap and abs_gap must be >= 0, got {gap!r}, {abs_gap!r}")
    budget = MaxIter(max_iter)  # validates
    if driver is not None and (progress or callback is not None):
        raise ValueError("progress / callback belong to the driver passed in: set them on it")
    if time_limit is not None and math.isnan(time_limit):
        raise ValueError("time_limit must be a number or None, got NaN")
    pool = as_cut_pool(cuts)
    limit = None if time_limit is None or time_limit == math.inf else float(time_limit)
    used_up = limit is not None and limit <= 0  # a budget already spent: no iteration
    if driver is None:
        driver = Driver(progress=progress, callback=callback, time_limit=None if used_up else limit)
        own_limit = None
    else:
        own_limit = None if used_up else limit
    options = {"mip_rel_gap": mip_rel_gap, "mip_abs_gap": mip_abs_gap, **(solver_options or {})}
    state = _State()
    loop_start = time.perf_counter()

    def remaining_s() -> float:
        left = driver.remaining_s
        if own_limit is not None:
            left = min(left, own_limit - (time.perf_counter() - loop_start))
        return left

    def step(k: int) -> dict[str, Any]:
        record: dict[str, Any] = {"master_status": None, "master_value": math.nan, "subproblem_feasible": False,
                                  "subproblem_value": math.nan, "new_cuts": 0, "violated_cuts": 0,
                                  "point_changed": False, "converged": False, "stalled": False, "failed": False}
        prob = cp.Problem(cp.Minimize(objective), [*constraints, *pool.constraints()])
        opts = dict(options)
        left = remaining_s()
        if math.isfinite(left):
            opts["time_limit"] = max(left, MIN_MASTER_TIME_S)
        ts = time.perf_counter()
        try:
            with stdout_to_stderr():
                prob.solve(solver="HIGHS", verbose=False, **opts)
            state.master_status = str(prob.status)
        except cp.error.SolverError as err:
            state.master_status = "solver_error"
            state.failure = f"HiGHS error at OA iteration {k}: {err}"
        master_s = time.perf_counter() - ts
        state.solver_s += master_s
        record.update(master_status=state.master_status, solver_s=master_s)
        if not state.failure and (state.master_status not in MASTER_OK or integer.value is None):
            state.failure = f"HiGHS master status {state.master_status} at OA iteration {k}"
        if state.failure:
            record["failed"] = True
            return _close(record, state)
        value = float(prob.value)
        state.lower = max(state.lower, value - max(mip_rel_gap * abs(value), mip_abs_gap))
        point = np.rint(np.asarray(integer.value, dtype=float)) + 0.0  # + 0.0: no -0.0 in the key
        key = point.tobytes()
        record.update(master_value=value, point_changed=key != state.previous)
        saved = [(v, v.value) for v in prob.variables() if getattr(v, "sparse_idx", None) is None]
        ts = time.perf_counter()
        sub = subproblem(point.copy())
        state.subproblem_s += time.perf_counter() - ts
        for var, val in saved:  # the master's point, for the "master" cut site
            if var.value is not val:
                var.save_value(val)
        record.update(subproblem_feasible=bool(sub.feasible), subproblem_value=float(sub.upper_bound))
        if sub.feasible and sub.upper_bound < state.upper:
            state.upper, state.point, state.incumbent = float(sub.upper_bound), point, sub
        n_sub = int(pool.add(CutSite("subproblem", k, point, sub)))
        n_master = int(pool.add(CutSite("master", k, point)))
        state.cuts += n_sub + n_master
        record.update(new_cuts=n_sub + n_master, violated_cuts=n_master)
        record["converged"] = state.upper < math.inf and state.upper - state.lower <= max(gap * abs(state.upper),
                                                                                         abs_gap)
        record["stalled"] = key in state.seen and n_master == 0
        state.seen.add(key)
        state.previous = key
        return _close(record, state)

    until: list[Termination] = [
        Rule(lambda info: bool(info.record["converged"]), "OA gap closed"),
        Limit(lambda info: bool(info.record["failed"]), "master problem not solved"),
        Limit(lambda info: bool(info.record["stalled"]), "OA stalled"),
        MaxIter(0) if used_up else budget,
    ]
    if own_limit is not None:
        until.append(TimeLimit(own_limit))
    run = driver.run(name, step, until=until)
    total = len(pool) if hasattr(pool, "__len__") else state.cuts  # type: ignore[arg-type]
    return _result(run, state, gap, max_iter, limit if used_up else None, total)


def _close(record: dict[str, Any], state: _State) -> dict[str, Any]:
    record.update(lower=state.lower, upper=state.upper, gap=relative_gap(state.upper, state.lower))
    return record


def _result(run: LoopRun, state: _State, gap: float, max_iter: int,
            spent: float | None, total_cuts: int) -> OAResult:
    """The :class:`OAResult` of a finished loop (``spent``: the time limit when it was ≤ 0;
    ``total_cuts``: the pool's size, for the message)."""
    n = run.iterations
    last = run.history[-1] if run.history else {}
    final_gap = relative_gap(state.upper, state.lower)
    gap_note = f"gap {final_gap:.2e}"
    if last.get("converged"):
        status: OAStatus = "optimal"
        message = f"OA converged in {n} iterations ({gap_note} <= {gap:g}, {total_cuts} cuts)"
    else:
        status = "suboptimal" if state.point is not None else "failed"
        if last.get("failed"):
            message = state.failure
        elif last.get("stalled"):
            message = f"OA stalled at iteration {n}: integer point repeated, no violated cut ({gap_note})"
        elif spent is not None:
            message = f"time limit reached before the first OA iteration (budget {spent:.3g} s)"
        elif n == 0 and run.cause == "time_limit":
            message = f"time limit reached before the first OA iteration ({run.reason})"
        elif isinstance(run.stopped_by, MaxIter):
            message = f"OA iteration limit {max_iter} ({gap_note})"
        elif isinstance(run.stopped_by, TimeLimit) or run.cause == "time_limit":
            message = f"time limit after {n} OA iterations ({run.reason}; {gap_note})"
        else:
            message = f"OA stopped after {n} iterations: {run.reason} ({gap_note})"
    return OAResult(status=status, message=message,
                    integer_point=None if state.point is None else state.point.copy(),
                    upper_bound=state.upper, lower_bound=state.lower, gap=final_gap, iterations=n,
                    solver_s=state.solver_s, subproblem_s=state.subproblem_s, cuts=state.cuts,
                    master_status=state.master_status, incumbent=state.incumbent, history=run.history, loop=run)
