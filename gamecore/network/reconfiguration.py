"""Loss-minimising feeder reconfiguration, single- and multi-period (seed 002, DSO level).

Problem (the switched DistFlow SOCP of :mod:`gamecore.network.distflow` with the radiality
constraints of :mod:`gamecore.network.radiality`, a mixed-integer SOCP)::

    min  Σ_t Σ_e r_e l_{e,t}                         (losses, each period of equal duration)
    s.t. DistFlow + SOC + big-M switches, per period t
         z_{·,t} a spanning tree (radiality module: loop and group cuts, Σ z = N − 1,
                 connectivity from the power balance or a single-commodity flow), per period t
         s_{e,t} ≥ |z_{e,t} − z_{e,t−1}|, s binary,  Σ_{e,t} s_{e,t} ≤ K   (if max_switching = K)

``z_{e,−1}`` is the initial status (the data's: tie lines open), so switching operations are
counted from the configuration the feeder is operated in before period 0, then between
consecutive periods; ``K = 0`` keeps the initial configuration all day. Only decision lines
(switchable lines in some loop, :func:`gamecore.network.radiality.analyze`) carry binaries.

Without a switching limit the periods are independent; they are then solved one at a time
(``T`` single-period problems, merged into one result), which is much faster than one coupled
MILP. With a limit the periods are solved together.

Two solution routes (``method=``):

* ``"highs"`` (default): outer approximation (Duran & Grossmann) with HiGHS. The master problem
  is the MILP obtained by replacing each (perspective) cone ``‖(2P, 2Q, w − l)‖ ≤ w + l`` by
  linear tangent cuts (initially at ``w = 1`` on a grid of flow magnitudes along ± the load
  power factor, :data:`CUT_MAGNITUDES`). Each iteration: (1) solve the MILP with HiGHS -> a
  topology and a lower bound; (2) solve the SOCP on that fixed topology with Clarabel -> an upper
  bound (a feasible configuration); (3) add the cone's tangent cuts at the SOCP solution and at
  the MILP point where it violates the cone (a cut of line ``e`` is valid in every period, so
  it is added to all). Stop when ``(UB − LB) / UB ≤ gap`` (default 1e-4): the configuration is
  then optimal for the MISOCP within ``gap``. The first iteration alone is the "linearised
  DistFlow MILP + SOCP on the fixed topology" heuristic; the following ones certify it. The loop
  is the engine's :func:`gamecore.outer_approximation.outer_approximation` (run by the shared
  :class:`gamecore.driver.Driver`); this module supplies the master model, the cone cuts
  (:class:`_ConeCuts`) and the fixed-topology SOCPs (:func:`_solve_fixed`).
* ``"ecos_bb"``: the MISOCP directly with cvxpy's ECOS_BB branch-and-bound, then the SOCP on
  the topology found (Clarabel) for the reported numbers. ECOS_BB reports no bound, so its
  status is ``"optimal"`` only when ECOS_BB itself says so, else ``"suboptimal"``.

``"highs"`` (outer approximation with HiGHS MILPs) reaches and certifies the optimum of IEEE
33 (139.55 kW, lines 6, 8, 13, 31, 36 open, 0-based); ``"ecos_bb"`` ends ``optimal_inaccurate``
with a wrong configuration there (reported as ``"suboptimal"``), so ``"highs"`` is the
default and ``"ecos_bb"`` is kept for comparison (timings in ``benchmarks/README.md``).
Coupled problems with many periods and a loose limit can take long: ``time_limit`` then ends
the run with the best configuration found as ``"suboptimal"`` (or ``"failed"`` if none was
found).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from gamecore.driver import IterationInfo
from gamecore.network.ac_check import TOLERANCE, ac_power_flow
from gamecore.network.data import Feeder, load_feeder, load_profile
from gamecore.network.distflow import OK_STATUSES, BusLoad, DistFlowModel, build_distflow, solve_fixed_topology
from gamecore.network.radiality import SwitchStructure, analyze, is_spanning_tree, radiality_constraints
from gamecore.outer_approximation import CutSite, SubproblemResult, outer_approximation

Method = Literal["highs", "ecos_bb"]
METHODS: tuple[str, ...] = ("highs", "ecos_bb")


@dataclass
class ReconfigurationResult:
    """Outcome of a reconfiguration (``T`` periods; per-period lists have length ``T``).

    Attributes:
        feeder: feeder name.
        method: ``"highs"`` or ``"ecos_bb"``.
        status: ``"optimal"`` (within ``gap``), ``"suboptimal"`` (a radial configuration was found
            but optimality was not proven: iteration / time limit), ``"failed"`` (no valid
            configuration; the numbers are NaN / empty).
        message: explanation of the status.
        load_factor: per-period load scaling.
        base_loss_kw: per-period SOCP losses of the initial configuration, kW.
        loss_kw: per-period SOCP losses of the chosen configuration, kW.
        open_lines: per-period names of the open lines.
        min_voltage_pu: per-period minimum voltage of the chosen configuration (SOCP), pu.
        ac_check_loss_kw, ac_check_min_voltage_pu: per-period pandapower AC results on the chosen
            configuration.
        ac_check_base_loss_kw: per-period pandapower AC losses of the initial configuration, kW.
        ac_loss_rel_diff, ac_voltage_rel_diff: per-period ``|SOCP − AC| / AC``.
        ac_agrees: every period within :data:`gamecore.network.ac_check.TOLERANCE`.
        switching_operations: total status changes (from the initial configuration, then between
            consecutive periods).
        max_switching: the limit ``K`` (None: no limit).
        binaries_before: line-status binaries without the reduction (switchable lines × T).
        binaries_after: line-status binaries after the reduction (decision lines × T).
        switching_binaries: change indicators (decision lines × T when ``K`` is set, else 0).
        lower_bound_kw: proven lower bound on ``Σ_t loss_kw`` (NaN if none).
        gap: ``(Σ loss − lower bound) / Σ loss``.
        iterations: OA iterations (``highs``) or 1 (``ecos_bb``).
        wall_s: total wall time, s (model building, solves, AC checks).
        solver_s: time inside the mixed-integer solver, s.
    """

    feeder: str
    method: str
    status: str
    message: str
    load_factor: list[float]
    base_loss_kw: list[float] = field(default_factory=list)
    loss_kw: list[float] = field(default_factory=list)
    open_lines: list[list[str]] = field(default_factory=list)
    min_voltage_pu: list[float] = field(default_factory=list)
    ac_check_loss_kw: list[float] = field(default_factory=list)
    ac_check_min_voltage_pu: list[float] = field(default_factory=list)
    ac_check_base_loss_kw: list[float] = field(default_factory=list)
    ac_loss_rel_diff: list[float] = field(default_factory=list)
    ac_voltage_rel_diff: list[float] = field(default_factory=list)
    ac_agrees: bool = False
    switching_operations: int = 0
    max_switching: int | None = None
    binaries_before: int = 0
    binaries_after: int = 0
    switching_binaries: int = 0
    lower_bound_kw: float = float("nan")
    gap: float = float("nan")
    iterations: int = 0
    wall_s: float = 0.0
    solver_s: float = 0.0
    closed: np.ndarray | None = None  #: ``(E, T)`` bool, chosen statuses (not exported)

    @property
    def periods(self) -> int:
        """Number of periods ``T``."""
        return len(self.load_factor)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict of every attribute except ``closed``."""
        data = asdict(self)
        data.pop("closed", None)
        data["periods"] = self.periods
        return data

    def summary(self) -> dict[str, Any]:
        """The object ``gamecore reconfigure --json`` prints.

        Losses are means over the periods (kW; for one period the period's value), voltages
        minimums over the periods (pu); ``open_lines`` is a list of names for one period and a
        list of per-period lists otherwise; ``per_period`` repeats every figure per period;
        ``lower_bound_kw`` is the proven bound per period (NaN for ``ecos_bb``).
        """
        single = self.periods == 1
        per_period = [
            {"load_factor": self.load_factor[t], "base_loss_kw": self.base_loss_kw[t],
             "loss_kw": _item(self.loss_kw, t), "open_lines": _item(self.open_lines, t),
             "min_voltage_pu": _item(self.min_voltage_pu, t), "ac_check_loss_kw": _item(self.ac_check_loss_kw, t),
             "ac_check_min_voltage_pu": _item(self.ac_check_min_voltage_pu, t)}
            for t in range(self.periods)]
        return {
            "feeder": self.feeder, "method": self.method, "status": self.status, "message": self.message,
            "periods": self.periods,
            "base_loss_kw": _mean(self.base_loss_kw), "loss_kw": _mean(self.loss_kw),
            "open_lines": (self.open_lines[0] if self.open_lines else []) if single else self.open_lines,
            "min_voltage_pu": min(self.min_voltage_pu, default=None),
            "ac_check_loss_kw": _mean(self.ac_check_loss_kw),
            "ac_check_base_loss_kw": _mean(self.ac_check_base_loss_kw),
            "ac_check_min_voltage_pu": min(self.ac_check_min_voltage_pu, default=None),
            "ac_agrees": self.ac_agrees,
            "binaries_before": self.binaries_before, "binaries_after": self.binaries_after,
            "switching_binaries": self.switching_binaries,
            "switching_operations": self.switching_operations, "max_switching": self.max_switching,
            "lower_bound_kw": self.lower_bound_kw / self.periods, "gap": self.gap,
            "iterations": self.iterations, "wall_s": self.wall_s, "solver_s": self.solver_s,
            "per_period": per_period,
        }


def _mean(values: list[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None


def _item(values: list[Any], t: int) -> Any:
    return values[t] if values else None


# ---------------------------------------------------------------------------- helpers
def switching_operations(closed: np.ndarray, initial: np.ndarray) -> int:
    """Status changes of ``closed`` ``(E, T)`` from ``initial`` ``(E,)`` and between periods."""
    prev = np.column_stack([initial, closed[:, :-1]])
    return int(np.count_nonzero(closed != prev))


class _Cuts:
    """Tangent cuts ``a_P·2P + a_Q·2Q + a_c·(v_i − l) ≤ v_i + l`` of the cones, on flat (E·T) indices."""

    def __init__(self, n_flat: int) -> None:
        self.n_flat = n_flat
        self.idx: list[np.ndarray] = []
        self.coef: list[np.ndarray] = []

    def add(self, idx: np.ndarray, P: np.ndarray, Q: np.ndarray, vf: np.ndarray, l: np.ndarray) -> None:
        """Add the cuts at the points ``(P, Q, v_i, l)`` (arrays of the same shape as ``idx``)."""
        w = np.stack([2 * P, 2 * Q, vf - l])
        norm = np.linalg.norm(w, axis=0)
        ok = norm > 1e-12
        if ok.any():
            self.idx.append(np.asarray(idx)[ok])
            self.coef.append(w[:, ok] / norm[ok])

    def __len__(self) -> int:
        return int(sum(len(i) for i in self.idx))

    def constraints(self, model: DistFlowModel) -> list[cp.Constraint]:
        if not self.idx:
            return []
        idx = np.concatenate(self.idx)
        coef = np.concatenate(self.coef, axis=1)
        sel = sp.csr_matrix((np.ones(len(idx)), (np.arange(len(idx)), idx)), shape=(len(idx), self.n_flat))
        P, Q = sel @ cp.vec(model.P, order="F"), sel @ cp.vec(model.Q, order="F")
        vf, l = sel @ cp.vec(model.w, order="F"), sel @ cp.vec(model.l, order="F")
        return [cp.multiply(2 * coef[0], P) + cp.multiply(2 * coef[1], Q) + cp.multiply(coef[2], vf - l)
                <= vf + l]


#: HiGHS's relative / absolute MIP gap in the OA master (pu of losses; 1e-9 pu = 1e-6 kW)
MIP_REL_GAP: float = 1e-7
MIP_ABS_GAP: float = 1e-9

#: initial tangent cuts: flow magnitudes (fractions of the period's total apparent load) ...
CUT_MAGNITUDES: tuple[float, ...] = tuple(2.0 ** -k for k in range(6, -1, -1))
#: ... and angle offsets (rad) from the total load's power-factor angle, in both directions
CUT_ANGLES: tuple[float, ...] = (0.0,)


def _initial_cuts(feeder: Feeder, loads: BusLoad, cuts: _Cuts) -> None:
    """Cuts at ``w = 1``, ``l = s²`` for flows ``s`` of :data:`CUT_MAGNITUDES` × each period's
    total absolute load, at the angles :data:`CUT_ANGLES` around ± the total load's power factor."""
    e, n_t = feeder.n_line, loads.periods
    if isinstance(loads.p, np.ndarray) and isinstance(loads.q, np.ndarray):
        p_sum, q_sum = loads.p.sum(axis=0), loads.q.sum(axis=0)
    else:  # loads are decisions: the nominal power factor
        p_sum, q_sum = np.full(n_t, feeder.p_load_pu.sum()), np.full(n_t, feeder.q_load_pu.sum())
    s_total = np.repeat(np.hypot(loads.p_abs, loads.q_abs), e)
    phi = np.repeat(np.arctan2(q_sum, np.where(p_sum == 0, 1e-12, p_sum)), e)
    flat = np.arange(e * n_t)
    for frac in CUT_MAGNITUDES:
        for sign in (1.0, -1.0):
            for dphi in CUT_ANGLES:
                s = sign * frac * s_total
                P, Q = s * np.cos(phi + dphi), s * np.sin(phi + dphi)
                cuts.add(flat, P, Q, np.ones_like(P), P ** 2 + Q ** 2)


def _solve_fixed(feeder: Feeder, closed: np.ndarray, loads: BusLoad):
    """The SOCP of each period on ``closed`` ``(E, T)`` with the fixed loads ``loads``."""
    p, q = loads.arrays()
    return [solve_fixed_topology(feeder, closed[:, t], p_load=p[:, t], q_load=q[:, t]) for t in range(loads.periods)]


def _period(loads: BusLoad, t: int) -> BusLoad:
    p, q = loads.arrays()
    return BusLoad.of(p[:, t:t + 1], q[:, t:t + 1])


# ------------------------------------------------------------------------------ main
def reconfigure(feeder: Feeder | str = "ieee33", periods: int = 1, max_switching: int | None = None,
                method: str = "highs", gap: float = 1e-4, max_iter: int = 50, time_limit: float = 600.0,
                ecos_bb_max_iters: int = 1000, ac_check: bool = True,
                load_factor: np.ndarray | None = None, verbose: bool = False,
                loads: BusLoad | None = None) -> ReconfigurationResult:
    """Minimise losses by choosing the open lines of each period.

    Args:
        feeder: a :class:`Feeder` or a feeder name.
        periods: ``T``, must divide 24 (see :func:`gamecore.network.data.load_profile`);
            ignored when ``load_factor`` is given.
        max_switching: limit ``K`` on the total switching operations (None: no limit).
        method: ``"highs"`` (outer approximation with HiGHS) or ``"ecos_bb"``.
        gap: relative optimality gap at which ``highs`` stops.
        max_iter: OA iteration limit (``highs``).
        time_limit: wall-time budget of the mixed-integer part, s (``highs`` only: ECOS_BB has no
            time limit, ``ecos_bb_max_iters`` is its only bound; ``gamecore reconfigure`` therefore
            refuses ``--time-limit`` with ``--method ecos_bb``).
        ecos_bb_max_iters: ECOS_BB branch-and-bound iteration limit.
        ac_check: run pandapower's AC power flow on the base and the chosen configurations.
        load_factor: explicit ``(T,)`` load scaling (overrides ``periods``).
        loads: explicit fixed bus loads ``(N, T)`` (:class:`~gamecore.network.distflow.BusLoad`,
            e.g. with prosumers' injections; override ``periods`` and ``load_factor``; a
            ``ValueError`` if they are expressions); the
            result's ``load_factor`` is then each period's total load over the nominal one.
        verbose: print the OA bounds per iteration (``highs``).

    Raises:
        ValueError: unknown method, bad ``periods`` or negative ``max_switching``.
    """
    start = time.perf_counter()
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}'; available: {', '.join(METHODS)}")
    if max_switching is not None and max_switching < 0:
        raise ValueError(f"max_switching must be >= 0, got {max_switching}")
    if isinstance(feeder, str):
        feeder = load_feeder(feeder)
    if loads is None:
        lf = load_profile(periods) if load_factor is None else np.atleast_1d(np.asarray(load_factor, float))
        loads = BusLoad.nominal(feeder, lf)
    else:
        lf = loads.arrays()[0].sum(axis=0) / feeder.p_load_pu.sum()
    n_t = loads.periods
    if max_switching is None and n_t > 1:  # independent periods: solve them one at a time
        parts = [reconfigure(feeder, max_switching=None, method=method, gap=gap, max_iter=max_iter,
                             time_limit=max(time_limit - (time.perf_counter() - start), 1.0),
                             ecos_bb_max_iters=ecos_bb_max_iters, ac_check=ac_check,
                             verbose=verbose, loads=_period(loads, t)) for t in range(n_t)]
        return _merge(parts, feeder, time.perf_counter() - start)
    structure = analyze(feeder)
    result = ReconfigurationResult(feeder=feeder.name, method=method, status="failed", message="",
                                   load_factor=[float(f) for f in lf], max_switching=max_switching,
                                   binaries_before=structure.binaries_before * n_t,
                                   binaries_after=structure.binaries_after * n_t,
                                   switching_binaries=(structure.binaries_after * n_t
                                                       if max_switching is not None else 0))
    initial = feeder.initially_closed.astype(bool)
    base = _solve_fixed(feeder, np.repeat(initial[:, None], n_t, axis=1), loads)
    result.base_loss_kw = [b.loss_kw for b in base]

    # -------------------------------------------------------------- common MIP model
    non_root = np.arange(feeder.n_bus) != feeder.root
    positive_loads = bool(np.all(np.asarray(loads.p)[non_root] > 0))
    y, z, mip_cons = switch_model(feeder, structure, n_t, commodity_flow=not positive_loads)
    y0 = initial[structure.decision_index].astype(float)
    # the initial configuration is feasible in every period (also under any switching limit), so an
    # optimum has no more losses: a valid bound that tightens the big-M values (see distflow)
    base_ok = all(b.status in OK_STATUSES for b in base)
    loss_bound = sum(b.loss_kw for b in base) / (feeder.s_base_mva * 1000.0) * (1 + 1e-6) if base_ok else None
    if max_switching is not None:
        sw = cp.Variable((structure.binaries_after, n_t), boolean=True, name="switch")
        prev = cp.hstack([y0[:, None], y[:, :-1]]) if n_t > 1 else y0[:, None]
        mip_cons += [sw >= y - prev, sw >= prev - y, cp.sum(sw) <= max_switching]
        if not structure.decision.all():  # non-decision lines never switch; a fixed one differing from initial costs
            fixed = ~structure.decision
            fixed_changes = int(np.count_nonzero(structure.fixed_status[fixed] != initial[fixed]))
            mip_cons[-1] = cp.sum(sw) <= max_switching - fixed_changes
    total_load_kw_factor = feeder.s_base_mva * 1000.0

    if method == "ecos_bb":
        closed, lb, iterations, solver_s, status, message = _run_ecos_bb(
            feeder, z, y, mip_cons, loads, ecos_bb_max_iters, loss_bound)
    else:
        closed, lb, iterations, solver_s, status, message = run_switched_oa(
            feeder, z, mip_cons, loads, gap, max_iter, time_limit - (time.perf_counter() - start), loss_bound, verbose)
    result.iterations, result.solver_s = iterations, solver_s
    if closed is None:
        result.status, result.message = "failed", message
        result.wall_s = time.perf_counter() - start
        return result

    sols = _solve_fixed(feeder, closed, loads)
    bad = [t for t, s in enumerate(sols) if s.status not in OK_STATUSES]
    radial = all(is_spanning_tree(feeder, closed[:, t]) for t in range(n_t))
    result.closed = closed
    result.loss_kw = [s.loss_kw for s in sols]
    result.min_voltage_pu = [s.min_voltage_pu for s in sols]
    result.open_lines = [[feeder.line_names[k] for k in np.flatnonzero(~closed[:, t])] for t in range(n_t)]
    result.switching_operations = switching_operations(closed, initial)
    total = float(np.sum(result.loss_kw))
    result.lower_bound_kw = lb * total_load_kw_factor if lb is not None else float("nan")
    result.gap = (total - result.lower_bound_kw) / total if lb is not None else float("nan")
    result.status, result.message = status, message
    if bad or not radial:
        result.status = "failed"
        result.message = (f"chosen configuration invalid: SOCP status {[sols[t].status for t in bad]} "
                          f"in periods {bad}; radial={radial}; {message}")
    elif max_switching is not None and result.switching_operations > max_switching:
        result.status = "failed"
        result.message = f"switching operations {result.switching_operations} exceed the limit {max_switching}"

    if ac_check:
        p_bus, q_bus = loads.arrays()
        base_ac = [ac_power_flow(feeder, initial, p_load=p_bus[:, t], q_load=q_bus[:, t]) for t in range(n_t)]
        acs = [ac_power_flow(feeder, closed[:, t], p_load=p_bus[:, t], q_load=q_bus[:, t]) for t in range(n_t)]
        result.ac_check_base_loss_kw = [a.loss_kw for a in base_ac]
        result.ac_check_loss_kw = [a.loss_kw for a in acs]
        result.ac_check_min_voltage_pu = [a.min_voltage_pu for a in acs]
        result.ac_loss_rel_diff = [abs(s.loss_kw - a.loss_kw) / a.loss_kw for s, a in zip(sols, acs)]
        result.ac_voltage_rel_diff = [abs(s.min_voltage_pu - a.min_voltage_pu) / a.min_voltage_pu
                                      for s, a in zip(sols, acs)]
        result.ac_agrees = all(a.converged for a in acs) and \
            max(result.ac_loss_rel_diff + result.ac_voltage_rel_diff) <= TOLERANCE
        if not result.ac_agrees and result.status != "failed":
            result.message += f"; AC check disagrees by more than {TOLERANCE:.1%}"
    result.wall_s = time.perf_counter() - start
    return result


def _merge(parts: list[ReconfigurationResult], feeder: Feeder, wall_s: float) -> ReconfigurationResult:
    """One result from independent single-period results (lists concatenated, counts summed)."""
    rank = {"optimal": 0, "suboptimal": 1, "failed": 2}
    worst = max(parts, key=lambda p: rank.get(p.status, 2))
    out = ReconfigurationResult(feeder=parts[0].feeder, method=parts[0].method, status=worst.status,
                                message="; ".join(f"period {t}: {p.message}" for t, p in enumerate(parts)),
                                load_factor=[p.load_factor[0] for p in parts])
    for name in ("base_loss_kw", "loss_kw", "open_lines", "min_voltage_pu", "ac_check_loss_kw",
                 "ac_check_min_voltage_pu", "ac_check_base_loss_kw", "ac_loss_rel_diff", "ac_voltage_rel_diff"):
        pad: list[str] | float = [] if name == "open_lines" else float("nan")
        setattr(out, name, [v for p in parts for v in (getattr(p, name) or [pad])])
    for name in ("binaries_before", "binaries_after", "switching_binaries", "iterations"):
        setattr(out, name, sum(getattr(p, name) for p in parts))
    out.ac_agrees = all(p.ac_agrees for p in parts)
    out.lower_bound_kw = float(sum(p.lower_bound_kw for p in parts))
    closed = [p.closed for p in parts if p.closed is not None]
    if len(closed) == len(parts):
        out.closed = np.column_stack([c[:, 0] for c in closed])
        out.switching_operations = switching_operations(out.closed, feeder.initially_closed.astype(bool))
        total = float(np.sum(out.loss_kw))
        out.gap = (total - out.lower_bound_kw) / total
    out.solver_s = sum(p.solver_s for p in parts)
    out.wall_s = wall_s
    return out


def switch_model(feeder: Feeder, structure: SwitchStructure, periods: int,
                 commodity_flow: bool = True) -> tuple[cp.Variable, cp.Expression, list[cp.Constraint]]:
    """``(y, z, constraints)``: the binary decisions ``y`` ``(D, T)`` of the reduced structure, the
    line statuses ``z = c + S y`` ``(E, T)`` and the radiality constraints of every period
    (:func:`gamecore.network.radiality.radiality_constraints`; ``commodity_flow`` as there: it may
    be left out only when every non-root bus has a strictly positive active load)."""
    s_mat, c_vec = structure.selection()
    y = cp.Variable((structure.binaries_after, periods), boolean=True, name="y")
    z = c_vec[:, None] + s_mat @ y
    return y, z, radiality_constraints(feeder, structure, z, commodity_flow=commodity_flow)


def _statuses(z: cp.Expression) -> np.ndarray:
    return np.asarray(z.value) > 0.5


class _ConeCuts:
    """The OA cut pool (:class:`gamecore.outer_approximation.CutPool`) of the DistFlow cones.

    Starts with :func:`_initial_cuts`. At a ``"subproblem"`` site (feasible SOCPs on the fixed
    topology, ``solution`` = their per-period results) it adds the tangent cuts at the SOCP optima
    of the closed lines; at a ``"master"`` site the cuts where the master's point violates a cone
    (relative tolerance 1e-6); the cone of line ``e`` is the same set in every period, so a cut of
    line ``e`` is added to all periods. ``add`` returns the number of points cut at (for the master:
    the violated cones, the OA stall test).
    """

    def __init__(self, feeder: Feeder, model: DistFlowModel, loads: BusLoad) -> None:
        self.feeder, self.model, self.n_t = feeder, model, loads.periods
        self.cuts = _Cuts(feeder.n_line * self.n_t)
        _initial_cuts(feeder, loads, self.cuts)

    def add(self, site: CutSite) -> int:
        e, n_t, feeder = self.feeder.n_line, self.n_t, self.feeder
        if site.kind == "subproblem":
            if site.subproblem is None or not site.subproblem.feasible:
                return 0
            closed = site.integer_point > 0.5
            before = len(self.cuts)
            for t, s in enumerate(site.subproblem.solution):  # cuts at the SOCP optimum (closed lines)
                ce = np.flatnonzero(closed[:, t])
                for t2 in range(n_t):
                    self.cuts.add(ce + t2 * e, s.P_pu[ce], s.Q_pu[ce], s.v_pu[feeder.from_bus[ce]] ** 2, s.l_pu[ce])
            return len(self.cuts) - before
        model = self.model
        P, Q, l, vf = (np.asarray(a.value).ravel(order="F") for a in (model.P, model.Q, model.l, model.w))
        viol = np.hypot(np.hypot(2 * P, 2 * Q), vf - l) - (vf + l)
        idx = np.flatnonzero(viol > 1e-8 + 1e-6 * (vf + l))
        for t2 in range(n_t):
            self.cuts.add(idx % e + t2 * e, P[idx], Q[idx], vf[idx], l[idx])
        return len(idx)

    def constraints(self) -> list[cp.Constraint]:
        return self.cuts.constraints(self.model)

    def __len__(self) -> int:
        return len(self.cuts)


def run_switched_oa(feeder: Feeder, z: cp.Expression, mip_cons: list[cp.Constraint], loads: BusLoad,
            gap: float, max_iter: int, time_budget: float, loss_bound: float | None, debug: bool = False,
            objective: Callable[[DistFlowModel], cp.Expression] | None = None,
            subproblem: Callable[[np.ndarray], SubproblemResult] | None = None):
    """Outer approximation (:func:`gamecore.outer_approximation.outer_approximation`) of the switched
    DistFlow MISOCP: master = the DistFlow MILP with cone cuts (:class:`_ConeCuts`), subproblem = the
    SOCPs on the master's topology (:func:`_solve_fixed`); ``time_budget`` s from now.

    ``objective(model)`` replaces the master's objective (default: the losses, pu) and
    ``subproblem(point)`` the fixed-topology SOCPs (its ``solution``: one object per period with
    the attributes ``P_pu, Q_pu, v_pu, l_pu`` of a :class:`~gamecore.network.distflow.PowerFlowSolution`,
    for the cone cuts) -- for problems whose loads are decisions (:class:`BusLoad` of expressions).

    Returns ``(closed, lower_bound, iterations, solver_s, status, message)``: ``closed`` the
    ``(E, T)`` bool statuses of the best configuration (None if none), the bound (in the
    objective's units) None if none.
    """
    model = build_distflow(feeder, z, None, cone=False, loss_bound=loss_bound, loads=loads)
    pu_to_kw = feeder.s_base_mva * 1000.0

    def losses(point: np.ndarray) -> SubproblemResult:
        sols = _solve_fixed(feeder, point > 0.5, loads)
        if all(s.status in OK_STATUSES for s in sols):
            return SubproblemResult(True, sum(s.loss_kw for s in sols) / pu_to_kw, solution=sols)
        return SubproblemResult(False, solution=sols, message=f"SOCP status {[s.status for s in sols]}")

    def show(info: IterationInfo) -> None:
        r = info.record
        print(f"OA {info.iteration}: lower {r['lower']:.6g} upper {r['upper']:.6g} new cuts {r['violated_cuts']}",
              flush=True)

    master_objective = cp.sum(model.loss) if objective is None else objective(model)
    oa = outer_approximation(master_objective, model.constraints + mip_cons, z, subproblem or losses,
                             _ConeCuts(feeder, model, loads), gap=gap, max_iter=max_iter, time_limit=time_budget,
                             callback=show if debug else None, mip_rel_gap=MIP_REL_GAP, mip_abs_gap=MIP_ABS_GAP,
                             name="reconfiguration OA")
    message = oa.message
    if oa.master_status in ("infeasible", "infeasible_inaccurate"):
        message = f"no radial configuration satisfies the constraints (HiGHS: {oa.master_status})"
    closed = None if oa.integer_point is None else oa.integer_point > 0.5
    lb = oa.lower_bound if oa.lower_bound > -math.inf else None
    return closed, lb, oa.iterations, oa.solver_s, oa.status, message


def _run_ecos_bb(feeder: Feeder, z: cp.Expression, y: cp.Variable, mip_cons: list[cp.Constraint],
                 loads: BusLoad, max_iters: int, loss_bound: float | None):
    """MISOCP with ECOS_BB; returns ``(closed, lower_bound_pu, iterations, solver_s, status, message)``."""
    model = build_distflow(feeder, z, None, cone=True, loss_bound=loss_bound, loads=loads)
    prob = cp.Problem(cp.Minimize(cp.sum(model.loss)), model.constraints + model.cone + mip_cons)
    ts = time.perf_counter()
    try:
        prob.solve(solver="ECOS_BB", mi_max_iters=max_iters, mi_rel_eps=1e-4, mi_abs_eps=1e-7)
    except cp.error.SolverError as err:
        return None, None, 1, time.perf_counter() - ts, "failed", f"ECOS_BB error: {err}"
    solver_s = time.perf_counter() - ts
    if y.value is None:
        return None, None, 1, solver_s, "failed", f"ECOS_BB status {prob.status}"
    status = "optimal" if prob.status == "optimal" else "suboptimal"
    return _statuses(z), None, 1, solver_s, status, \
        f"ECOS_BB status {prob.status} (max {max_iters} branch-and-bound iterations; no bound reported)"
