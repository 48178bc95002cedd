"""The one iteration driver: every loop of an iterative method runs through :meth:`Driver.run`.

A loop is a ``step(iteration) -> record`` function plus termination objects (modelled on
pymoo's ``Termination``): :class:`MaxIter`, :class:`TimeLimit`, :class:`Tolerance` and
:class:`Rule` (a strategy's own stopping rule). The driver keeps the history (one record per
iteration), the progress bar, the solve's time limit and the user's callback; loops nest
(an outer round of ADMM runs its inner iterations as a nested :meth:`Driver.run`, NSGA's
polish runs after the generations as a second loop), and each nested loop sees the same
deadline and callback.

Contract of :meth:`Driver.run`:

* ``step(k)`` performs iteration ``k`` (1-based) and returns that iteration's record (a
  mapping of scalars / arrays); the driver stores ``{"iteration": k, **record}``.
* After each iteration the terminations are checked, those whose status is ``"converged"``
  first (so a rule that holds at the last allowed iteration still counts as converged), then
  the limits.
* The callback is called after every iteration with an :class:`IterationInfo`; when no
  termination fired, a truthy return value stops the loop (status ``"max_iter"``: an answer,
  stopped early on request).
* Finally the solve-wide deadline (``Driver(time_limit=...)``) is checked; a nested loop that
  starts after the deadline runs no iteration.
* :attr:`LoopRun.cause` says which of the three stopped the loop.
* A loop needs a bound: a :class:`MaxIter` or :class:`TimeLimit` among its terminations, or
  a driver time limit (``ValueError`` otherwise): nothing runs unbounded.

The progress bar's total is the loop's :class:`MaxIter` (no total without one); when a loop
stops early the bar's total is set to the iterations done, so no bar is left showing a
budget that was never used.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from tqdm.auto import tqdm

LoopStatus = Literal["converged", "max_iter"]
StopCause = Literal["termination", "callback", "time_limit"]


@dataclass(frozen=True)
class IterationInfo:
    """What terminations and callbacks see after an iteration.

    ``loop`` is the path of nested loop names (``"rounds/round 2"``: admm-mccormick's second box
    round), ``depth`` 0 for the outermost loop; ``elapsed_s`` wall seconds since this loop
    started; ``record`` the iteration's record (with ``"iteration"``); ``history`` all records
    of this loop so far.
    """

    loop: str
    depth: int
    iteration: int
    elapsed_s: float
    record: Mapping[str, Any]
    history: Sequence[Mapping[str, Any]]


class Termination(ABC):
    """A stopping criterion: :meth:`check` returns None to go on, or the reason to stop.

    ``status`` is the loop's status when this criterion stops it: ``"converged"`` for
    tolerance rules, ``"max_iter"`` for budgets (iterations, time).
    """

    status: ClassVar[LoopStatus]

    @abstractmethod
    def check(self, info: IterationInfo) -> str | None: ...


@dataclass(frozen=True)
class MaxIter(Termination):
    """Stop after ``n`` iterations (``n`` ≥ 0; 0 runs no iteration). Also the progress total."""

    n: int
    status: ClassVar[LoopStatus] = "max_iter"

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 0:
            raise ValueError(f"MaxIter: n must be an integer >= 0, got {self.n!r}")

    def check(self, info: IterationInfo) -> str | None:
        return f"max_iter={self.n} reached" if info.iteration >= self.n else None


@dataclass(frozen=True)
class TimeLimit(Termination):
    """Stop once ``seconds`` (> 0) of wall time have passed since the loop started."""

    seconds: float
    status: ClassVar[LoopStatus] = "max_iter"

    def __post_init__(self) -> None:
        if not (isinstance(self.seconds, (int, float)) and self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError(f"TimeLimit: seconds must be a finite number > 0, got {self.seconds!r}")

    def check(self, info: IterationInfo) -> str | None:
        return f"time limit {self.seconds:g} s reached" if info.elapsed_s >= self.seconds else None


@dataclass(frozen=True)
class Tolerance(Termination):
    """Converged when the record's ``measure`` is finite and ≤ ``tol`` (NaN/inf never converge)."""

    measure: str
    tol: float
    status: ClassVar[LoopStatus] = "converged"

    def check(self, info: IterationInfo) -> str | None:
        value = info.record.get(self.measure)
        if value is None:
            return None
        value = float(value)
        return f"{self.measure} {value:.3g} <= tol {self.tol:g}" if math.isfinite(value) and value <= self.tol \
            else None


@dataclass(frozen=True)
class Rule(Termination):
    """Converged when ``predicate(info)`` holds (a strategy's own stopping rule, described by
    ``description`` in the reason)."""

    predicate: Callable[[IterationInfo], bool]
    description: str = "stopping rule held"
    status: ClassVar[LoopStatus] = "converged"

    def check(self, info: IterationInfo) -> str | None:
        return self.description if self.predicate(info) else None


@dataclass(frozen=True)
class Limit(Termination):
    """Stop (status ``"max_iter"``) when ``predicate(info)`` holds: a budget of the method's own
    (e.g. a stall window), described by ``description``."""

    predicate: Callable[[IterationInfo], bool]
    description: str
    status: ClassVar[LoopStatus] = "max_iter"

    def check(self, info: IterationInfo) -> str | None:
        return self.description if self.predicate(info) else None


@dataclass
class LoopRun:
    """One finished loop: its records, how it stopped and why.

    ``cause`` is what stopped it: ``"termination"`` (then ``stopped_by`` is the termination
    that fired), ``"callback"`` or ``"time_limit"`` (the driver's deadline); ``reason`` says why
    in words.
    """

    loop: str
    depth: int
    iterations: int
    history: list[dict[str, Any]]
    status: LoopStatus
    reason: str
    elapsed_s: float
    stopped_by: Termination | None = None
    cause: StopCause = "termination"

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    def summary(self) -> dict[str, Any]:
        """Loop path, depth, iterations, status, cause, reason and seconds (no history)."""
        return {"loop": self.loop, "depth": self.depth, "iterations": self.iterations, "status": self.status,
                "cause": self.cause, "reason": self.reason, "elapsed_s": self.elapsed_s}


#: a callback: called after every iteration of every loop; return True to stop that loop
Callback = Callable[[IterationInfo], Any]


@dataclass
class Driver:
    """Runs loops with history, progress bars, one solve-wide time limit and a callback.

    Args:
        progress: show a tqdm bar per loop (nested loops below their parent).
        callback: called after every iteration of every loop (see :class:`IterationInfo`);
            a truthy return value stops that loop.
        time_limit: wall seconds (> 0) for everything this driver runs, from its creation;
            None (or inf) for no solve-wide limit.
    """

    progress: bool = False
    callback: Callback | None = None
    time_limit: float | None = None
    runs: list[LoopRun] = field(default_factory=list)
    _stack: list[str] = field(default_factory=list, repr=False)
    _deadline: float = field(default=math.inf, repr=False)

    def __post_init__(self) -> None:
        if self.time_limit is not None and self.time_limit == math.inf:
            self.time_limit = None
        if self.time_limit is not None:
            TimeLimit(self.time_limit)   # validates
            self._deadline = time.perf_counter() + float(self.time_limit)

    @property
    def remaining_s(self) -> float:
        """Seconds left before the solve-wide deadline (inf without a time limit)."""
        return self._deadline - time.perf_counter()

    @property
    def expired(self) -> bool:
        return self.remaining_s <= 0

    def run(self, name: str, step: Callable[[int], Mapping[str, Any]], until: Sequence[Termination]) -> LoopRun:
        """Run ``step(1), step(2), ...`` until a termination, the callback or the deadline stops it."""
        budget = [t for t in until if isinstance(t, MaxIter)]
        if not budget and not any(isinstance(t, TimeLimit) for t in until) and self.time_limit is None:
            raise ValueError(f"loop '{name}': no MaxIter or TimeLimit among its terminations and no time limit "
                             "on the driver: it could run forever")
        ordered = sorted(until, key=lambda t: t.status != "converged")
        total = min(t.n for t in budget) if budget else None
        self._stack.append(name)
        path, depth = "/".join(self._stack), len(self._stack) - 1
        history: list[dict[str, Any]] = []
        start = time.perf_counter()
        status: LoopStatus = "max_iter"
        reason, fired = "", None
        cause: StopCause = "termination"
        try:
            with tqdm(total=total, desc=path, disable=not self.progress, leave=depth == 0, position=depth) as bar:
                iteration = 0
                if total == 0:
                    reason = "max_iter=0 reached"
                elif self.expired:
                    reason = f"time limit {self.time_limit:g} s of the solve reached before the loop started"
                    cause = "time_limit"
                while not reason:
                    iteration += 1
                    entry = {"iteration": iteration, **step(iteration)}
                    history.append(entry)
                    bar.update(1)
                    info = IterationInfo(path, depth, iteration, time.perf_counter() - start, entry, history)
                    for term in ordered:
                        why = term.check(info)
                        if why:
                            status, reason, fired = term.status, why, term
                            break
                    if self.callback is not None and self.callback(info) and not reason:
                        reason, cause = f"stopped by the callback at iteration {iteration}", "callback"
                    if not reason and self.expired:
                        reason, cause = f"time limit {self.time_limit:g} s of the solve reached", "time_limit"
                if total is not None and bar.n != total:
                    bar.total = bar.n       # stopped early: the bar shows what ran, not the budget
                    bar.refresh()
        finally:
            self._stack.pop()
        run = LoopRun(path, depth, len(history), history, status, reason, time.perf_counter() - start, fired,
                      cause)
        self.runs.append(run)
        return run
