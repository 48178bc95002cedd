"""The DSO of the ``p2p-dnr`` case: multi-period reconfiguration, loss charges, checks, joint bound.

Given the market's net withdrawals, the DSO (:class:`DSO`, a :class:`gamecore.two_tier.UpperLevel`)

1. **reconfigures** each period: the loss-minimising radial configuration of the period's bus
   loads (passive loads + prosumers' net withdrawals) by the network package's certified outer
   approximation (:func:`gamecore.network.reconfigure`, binary reduction, HiGHS masters,
   Clarabel SOCPs); a period whose loads are those of an earlier call reuses its answer;
2. **limits the switching** over the day (``max_switching`` operations, counted from the
   initial configuration, then between consecutive periods): a dynamic programme over the
   candidate configurations (every per-period optimum found so far and the initial one) picks
   the sequence of least total losses within the limit — exact over the candidates; the sum of
   the per-period proven lower bounds bounds any sequence (so ``"optimal"`` when the chosen
   sequence is the per-period optima);
3. **sets the network charges**: at each prosumer's bus ``j`` the loss charge
   ``g_j,t = π_t · ∂L_t/∂p_j`` ($/kWh): the retail price times the marginal loss factor of the
   chosen configuration at the market's loads (duals of the SOCP's active-power balances,
   :attr:`gamecore.network.distflow.PowerFlowSolution.marginal_loss`). A trade from ``b`` to
   ``a`` then pays ``(g_a − g_b)`` per kWh: the losses it causes, priced at the retail price.

**Checks** (:meth:`DSO.check`): every period's configuration a spanning tree, within the
switching limit, and pandapower's AC power flow at the market's loads agreeing with the SOCP
(losses and minimum voltage within :data:`gamecore.network.ac_check.TOLERANCE` = 0.5 %).

**Joint bound** (:meth:`DSO.bound`): the centralized joint problem — prosumers' costs,
trading costs, the grid's energy and the losses priced at the retail price, over trades *and*
topologies — is a mixed-integer SOCP. For any nodal prices ``μ``, splitting the system cost
into ``[market cost + μ·net] + [π·losses − μ·net]`` gives the Lagrangian lower bound::

    J* ≥ M(μ) + Σ_t min_{u ∈ U_t, z radial} dt (π_t L_t(u, z) − μ_t·u)

``M(μ)``: the market's welfare optimum at charges ``μ`` (the engine's centralized reference,
passed in); the second term: per period a switched DistFlow MISOCP whose bus withdrawals ``u``
range over the prosumers' possible net withdrawals ``U_t`` (a box), solved by the same outer
approximation (its proven lower bound is used). The switching limit is dropped (a relaxation,
so still a bound). With ``μ`` the final charges, the bound meets the two-tier answer when that
answer is the joint optimum.

Units: kW, $, $/kWh; the network's per-unit quantities are converted at its 1 MVA base.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.cases.p2p_dnr.data import Scenario
from gamecore.network.ac_check import TOLERANCE, compare
from gamecore.network.distflow import OK_STATUSES, BusLoad, build_distflow, solve_fixed_topology
from gamecore.network.radiality import analyze, is_spanning_tree
from gamecore.network.reconfiguration import reconfigure, run_switched_oa, switch_model, switching_operations
from gamecore.outer_approximation import SubproblemResult
from gamecore.two_tier import Bound, Check, Decision

#: relative optimality gap of every reconfiguration and bound MISOCP
GAP: float = 1e-4


@dataclass
class PeriodOptimum:
    """The certified loss-minimising configuration of one period's loads."""

    closed: np.ndarray
    loss_kw: float
    lower_bound_kw: float
    status: str


@dataclass
class _FlowPoint:
    """A fixed-topology solution with loads as decisions (the bound's subproblem), for the cone cuts."""

    P_pu: np.ndarray
    Q_pu: np.ndarray
    v_pu: np.ndarray
    l_pu: np.ndarray


def cheapest_sequence(losses: np.ndarray, changes: np.ndarray, from_initial: np.ndarray,
                      limit: int | None) -> list[int] | None:
    """Candidate per period minimising ``Σ_t losses[c_t, t]`` with at most ``limit`` switching operations.

    Args:
        losses: ``(C, T)`` losses of candidate ``c`` in period ``t`` (NaN: infeasible there).
        changes: ``(C, C)`` operations between two candidates.
        from_initial: ``(C,)`` operations from the initial configuration to each candidate.
        limit: the limit (None: none).

    Returns the sequence, or None when no sequence is feasible within the limit.
    """
    n_c, n_t = losses.shape
    cost = np.where(np.isfinite(losses), losses, np.inf)
    if limit is None:
        if not np.isfinite(cost.min(axis=0)).all():
            return None
        return [int(k) for k in cost.argmin(axis=0)]
    budget = int(limit)
    best = np.full((n_c, budget + 1), np.inf)
    back: list[np.ndarray] = []
    for c in range(n_c):
        if from_initial[c] <= budget:
            best[c, from_initial[c]] = cost[c, 0]
    for t in range(1, n_t):
        new = np.full_like(best, np.inf)
        arg = np.full(best.shape, -1, dtype=int)
        for c in range(n_c):
            for prev in range(n_c):
                step = int(changes[prev, c])
                if step > budget:
                    continue
                cand = best[prev, :budget + 1 - step] + cost[c, t]
                better = cand < new[c, step:]
                new[c, step:][better] = cand[better]
                arg[c, step:][better] = prev
        back.append(arg)
        best = new
    flat = np.unravel_index(int(np.argmin(best)), best.shape)
    c, k = int(flat[0]), int(flat[1])
    if not np.isfinite(best[c, k]):
        return None
    seq = [int(c)]
    for t in range(n_t - 1, 0, -1):
        prev = int(back[t - 1][c, k])
        k -= int(changes[prev, c])
        c = prev
        seq.append(c)
    return seq[::-1]


class DSO:
    """The DSO of a :class:`~gamecore.cases.p2p_dnr.data.Scenario` (module docstring); a
    :class:`gamecore.two_tier.UpperLevel`."""

    def __init__(self, scenario: Scenario, gap: float = GAP, ac_check: bool = True) -> None:
        self.scenario = scenario
        self.feeder = scenario.feeder
        self.structure = analyze(self.feeder)
        self.gap = gap
        self.ac_check = ac_check
        self.initial = self.feeder.initially_closed.astype(bool)
        self._optima: dict[bytes, PeriodOptimum] = {}
        self.candidates: list[np.ndarray] = [self.initial]
        self.reconfigurations = 0

    # ---------------------------------------------------------------- helpers
    @property
    def _kw(self) -> float:
        return self.feeder.s_base_mva * 1000.0

    def bus_loads(self, outputs: Mapping[str, Mapping[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """``(p, q)`` ``(N, T)`` bus withdrawals in pu at the market outcome ``outputs``."""
        sc = self.scenario
        net = {p.name: np.asarray(outputs[p.name]["net"], float) / sc.dt for p in sc.prosumers}
        return sc.bus_withdrawal_kw(net) / self._kw, sc.q_kw / self._kw

    def _period_optimum(self, p: np.ndarray, q: np.ndarray, time_limit: float) -> PeriodOptimum:
        key = np.round(p * 1e9).astype(np.int64).tobytes()
        if key not in self._optima:
            res = reconfigure(self.feeder, loads=BusLoad.of(p[:, None], q[:, None]), gap=self.gap,
                              time_limit=time_limit, ac_check=False)
            self.reconfigurations += 1
            closed = res.closed[:, 0] if res.closed is not None else self.initial
            self._optima[key] = PeriodOptimum(closed, float(res.loss_kw[0]) if res.loss_kw else math.nan,
                                              float(res.lower_bound_kw), res.status)
            if not any(np.array_equal(closed, c) for c in self.candidates):
                self.candidates.append(closed)
        return self._optima[key]

    def initial_data(self) -> dict[str, dict[str, np.ndarray]]:
        return {p.name: {"charge": np.zeros(self.scenario.periods)} for p in self.scenario.prosumers}

    # ---------------------------------------------------------------- decide
    def decide(self, outputs: Mapping[str, Mapping[str, np.ndarray]], time_limit: float | None = None) -> Decision:
        """Reconfigure, limit the switching and set the charges (module docstring).

        ``Decision.integer``: ``(E, T)`` bool line statuses; ``data``: each prosumer's ``charge``
        ``(T,)`` $/kWh; ``cost``: the losses priced at the retail price, $. ``report`` (lists per
        period): ``loss_kw``, ``base_loss_kw`` (the initial configuration at the same loads),
        ``lower_bound_kw`` (proven, per-period OA), ``proven_gap``, ``open_lines``,
        ``min_voltage_pu``, ``max_line_loading`` (largest |I| / ampacity), and
        ``switching_operations``, ``max_switching``, ``candidates``, ``reconfigurations`` (OA runs
        so far), ``dso_s``.
        """
        start = time.perf_counter()
        sc, feeder = self.scenario, self.feeder
        p, q = self.bus_loads(outputs)
        n_t = sc.periods
        budget = math.inf if time_limit is None else float(time_limit)
        optima = []
        if sc.max_switching != 0:  # with no switching the initial configuration is the only one: nothing to search
            for t in range(n_t):
                left = max(budget - (time.perf_counter() - start), 1.0)
                optima.append(self._period_optimum(p[:, t], q[:, t], min(left, 600.0)))
        cands = self.candidates
        flows = [[solve_fixed_topology(feeder, c, p_load=p[:, t], q_load=q[:, t]) for t in range(n_t)] for c in cands]
        losses = np.array([[s.loss_kw for s in row] for row in flows])
        if sc.max_switching == 0:  # candidates[0] is the initial configuration; its losses are exact bounds
            optima = [PeriodOptimum(self.initial, s.loss_kw, s.loss_kw, "optimal") for s in flows[0]]
        changes = np.array([[np.count_nonzero(a != b) for b in cands] for a in cands])
        from_initial = np.array([np.count_nonzero(c != self.initial) for c in cands])
        seq = cheapest_sequence(losses, changes, from_initial, sc.max_switching)
        if seq is None:
            return Decision(self.initial_data(), np.repeat(self.initial[:, None], n_t, axis=1), math.nan, "failed",
                            "no configuration sequence within the switching limit has feasible power flows")
        closed = np.column_stack([cands[k] for k in seq])
        sols = [flows[k][t] for t, k in enumerate(seq)]
        loss = np.array([s.loss_kw for s in sols])
        lower = np.array([o.lower_bound_kw for o in optima])
        per_period_ok = all(o.status == "optimal" for o in optima)
        proven_gap = float((loss.sum() - lower.sum()) / loss.sum()) if loss.sum() > 0 else math.nan
        if not all(s.status in OK_STATUSES for s in sols):
            status, message = "failed", f"SOCP status {[s.status for s in sols]} on the chosen configurations"
        elif per_period_ok and proven_gap <= self.gap * 1.01:
            status, message = "optimal", f"every period's configuration optimal within {self.gap:g}"
        else:
            status = "suboptimal"
            message = (f"configurations within {proven_gap:.2e} of the per-period bounds"
                       f" ({'switching limit binds' if per_period_ok else 'a period not proven optimal'})")
        charges = {pro.name: sc.retail_price * np.array([s.marginal_loss[pro.bus] for s in sols])
                   for pro in sc.prosumers}
        loading = [float(np.nanmax(np.sqrt(np.maximum(s.l_pu, 0)) / feeder.i_max_pu)) for s in sols]
        report = {
            "loss_kw": loss.tolist(), "base_loss_kw": losses[0].tolist(),  # candidates[0]: the initial one
            "lower_bound_kw": lower.tolist(), "proven_gap": proven_gap,
            "open_lines": [[feeder.line_names[e] for e in np.flatnonzero(~closed[:, t])] for t in range(n_t)],
            "min_voltage_pu": [s.min_voltage_pu for s in sols], "max_line_loading": loading,
            "switching_operations": switching_operations(closed, self.initial),
            "max_switching": sc.max_switching, "candidates": len(cands),
            "reconfigurations": self.reconfigurations, "dso_s": time.perf_counter() - start,
        }
        cost = float(np.sum(sc.retail_price * loss * sc.dt))
        return Decision({name: {"charge": g} for name, g in charges.items()}, closed, cost, status, message, report)

    def transfers(self, data: Mapping[str, Mapping[str, np.ndarray]],
                  outputs: Mapping[str, Mapping[str, np.ndarray]]) -> float:
        """The network charges the prosumers pay: ``Σ_a ⟨charge_a, net_a⟩`` ($; ``net`` in kWh)."""
        return float(sum(np.asarray(data[p.name]["charge"], float) @ np.ravel(outputs[p.name]["net"])
                         for p in self.scenario.prosumers if p.name in data))

    # ---------------------------------------------------------------- check
    def check(self, decision: Decision, outputs: Mapping[str, Mapping[str, np.ndarray]]) -> Check:
        """Radiality, switching limit and the AC power flow of every period (module docstring)."""
        sc, feeder = self.scenario, self.feeder
        closed = np.asarray(decision.integer, bool)
        p, q = self.bus_loads(outputs)
        failures = []
        radial = [is_spanning_tree(feeder, closed[:, t]) for t in range(sc.periods)]
        if not all(radial):
            failures.append(f"configuration not radial in periods {[t for t, r in enumerate(radial) if not r]}")
        ops = switching_operations(closed, self.initial)
        if sc.max_switching is not None and ops > sc.max_switching:
            failures.append(f"{ops} switching operations exceed the limit {sc.max_switching}")
        report: dict[str, Any] = {"radial": all(radial), "switching_operations": ops}
        if self.ac_check:
            comparisons = [compare(feeder, closed[:, t], p_load=p[:, t], q_load=q[:, t]) for t in range(sc.periods)]
            loss_diff = [c.loss_rel_diff for c in comparisons]
            v_diff = [c.voltage_rel_diff for c in comparisons]
            worst = max(loss_diff + v_diff)
            if not (worst <= TOLERANCE):  # NaN fails too
                failures.append(f"AC power flow disagrees with the SOCP by {worst:.3g} (> {TOLERANCE:g}) "
                                f"or did not converge")
            report.update(ac_check_loss_kw=[c.ac_loss_kw for c in comparisons],
                          ac_check_min_voltage_pu=[c.ac_min_voltage_pu for c in comparisons],
                          ac_loss_rel_diff=loss_diff, ac_voltage_rel_diff=v_diff)
        else:
            failures.append("AC check not run")
        return Check(not failures, failures, report)

    # ---------------------------------------------------------------- bound
    def _injection_box(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)`` ``(N, T)`` kW: the range of the prosumers' total net withdrawal per bus."""
        sc = self.scenario
        lo = np.zeros((self.feeder.n_bus, sc.periods))
        hi = np.zeros_like(lo)
        for pro in sc.prosumers:
            lo[pro.bus] += pro.min_net_kw
            hi[pro.bus] += pro.max_net_kw
        return lo, hi

    def network_term(self, t: int, mu: np.ndarray, box_kw: tuple[np.ndarray, np.ndarray],
                     time_limit: float) -> tuple[float, str]:
        """``min_{u ∈ U_t, z radial} dt (π_t L_t(u, z) − μ·u)`` of period ``t`` ($) by outer
        approximation; ``mu`` ``(N,)`` $/kWh per bus, ``box_kw`` the :meth:`_injection_box`.
        Returns ``(proven lower bound (NaN if none), OA status)``."""
        sc, feeder, kw = self.scenario, self.feeder, self._kw
        lo, hi = (a[:, t] / kw for a in box_kw)
        passive, q = sc.passive_p_kw[:, t] / kw, sc.q_kw[:, t] / kw
        scale = sc.dt * kw  # $ per (pu × $/kWh)

        def loads(u: cp.Variable) -> BusLoad:
            p_abs = np.array([float(np.maximum(np.abs(passive + lo), np.abs(passive + hi)).sum())])
            return BusLoad(cp.reshape(passive + u, (feeder.n_bus, 1), order="F"), q[:, None], p_abs,
                           np.array([float(np.abs(q).sum())]))

        def objective(model_loss: cp.Expression, u: cp.Variable) -> cp.Expression:
            return scale * (sc.retail_price[t] * cp.sum(model_loss) - mu @ u)

        u_master = cp.Variable(feeder.n_bus, name="u")
        box = [u_master >= lo, u_master <= hi]
        _, z, radial = switch_model(feeder, self.structure, 1, commodity_flow=True)

        def subproblem(point: np.ndarray) -> SubproblemResult:
            u = cp.Variable(feeder.n_bus)
            model = build_distflow(feeder, point, None, loads=loads(u))
            prob = cp.Problem(cp.Minimize(objective(model.loss, u)),
                              model.constraints + model.cone + [u >= lo, u <= hi])
            try:
                prob.solve(solver="CLARABEL")
            except cp.error.SolverError as err:
                return SubproblemResult(False, message=str(err))
            if prob.status not in OK_STATUSES or model.l.value is None:
                return SubproblemResult(False, message=f"SOCP status {prob.status}")
            v = np.sqrt(np.maximum(np.asarray(model.v.value)[:, 0], 0.0))
            sol = _FlowPoint(np.asarray(model.P.value)[:, 0], np.asarray(model.Q.value)[:, 0], v,
                             np.asarray(model.l.value)[:, 0])
            return SubproblemResult(True, float(prob.value), solution=[sol])

        _, lower, _, _, status, _ = run_switched_oa(
            feeder, z, radial + box, loads(u_master), self.gap, 50, time_limit, None,
            objective=lambda model: objective(model.loss, u_master), subproblem=subproblem)
        return (math.nan if lower is None else float(lower)), status

    def bound(self, decision: Decision, market_cost: float, time_limit: float | None = None) -> Bound:
        """The Lagrangian bound at the decision's charges (module docstring)."""
        start = time.perf_counter()
        sc = self.scenario
        n_t = sc.periods
        budget = 600.0 * n_t if time_limit is None else float(time_limit)
        mu = np.zeros((self.feeder.n_bus, n_t))
        for pro in sc.prosumers:
            mu[pro.bus] = decision.data[pro.name]["charge"]
        terms, statuses = [], []
        box = self._injection_box()
        for t in range(n_t):
            left = max(budget - (time.perf_counter() - start), 1.0) / (n_t - t)
            lower, status = self.network_term(t, mu[:, t], box, left)
            terms.append(lower)
            statuses.append(status)
        value = float(market_cost + sum(terms))
        proven = all(math.isfinite(v) for v in terms) and math.isfinite(market_cost)
        return Bound(value if proven else -math.inf, "Lagrangian bound at the final charges: market welfare optimum "
                     "+ per-period switched DistFlow MISOCP (outer approximation, proven lower bounds)", proven,
                     {"market_cost": market_cost, "network_terms": terms, "network_status": statuses,
                      "bound_s": time.perf_counter() - start})


__all__ = ["DSO", "PeriodOptimum", "cheapest_sequence"]
