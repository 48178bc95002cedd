"""Branch-flow (DistFlow) model of a feeder with line switches, and its SOCP relaxation.

Variables per line ``e = (i, j)`` and period ``t`` (per-unit, see :mod:`gamecore.network.data`):
``P, Q`` sending-end active / reactive flow at bus ``i`` (either sign: negative means power
flows from ``j`` to ``i``), ``l = |I|²``; per bus: ``v = |V|²``. Constraints:

* bus balance (every non-root bus ``j``, load ``p_j, q_j`` scaled by the period's factor):
  ``Σ_{e=(i,j)} (P_e − r_e l_e) − Σ_{e=(j,k)} P_e = p_j`` (same for ``Q`` with ``x``);
* voltage drop on closed lines: ``v_j = v_i − 2 (r P + x Q) + (r² + x²) l``; with a line status
  ``z ∈ {0, 1}`` it is relaxed by big-M: ``|v_j − v_i + 2 (r P + x Q) − (r² + x²) l| ≤ M_v (1 − z)``
  with the exact ``M_v = max v̄ − min v̲`` (on an open line ``P = Q = l = 0``, so the expression
  is ``v_j − v_i``, which never exceeds it);
* flows vanish on open lines: ``|P| ≤ M_P z``, ``|Q| ≤ M_Q z``, ``0 ≤ l ≤ M_l z``. A line carries
  at most the total absolute load plus the total losses ``L`` (sending-end flow = downstream
  withdrawals + downstream losses; with injections, negative withdrawals, ``Σ |p|`` bounds the
  first part), and reactive losses are at most
  ``max_e(x_e / r_e) · L``. Given a bound ``L ≤ L̄`` (``loss_bound``, e.g. the losses of a known
  feasible configuration, which an optimum cannot exceed, added as a constraint as well):
  ``M_P = Σ |p| + L̄``, ``M_Q = Σ |q| + max(x/r) L̄``; without one, ``M_P, M_Q`` =
  :data:`FLOW_BIG_M_FACTOR` × the period's total absolute load. ``M_l = min(Ī², (M_P² + M_Q²) / v̲²)``
  with ``Ī`` the line current limit (:attr:`Feeder.i_max_pu`);
* voltage limits ``v̲² ≤ v ≤ v̄²``, the root at ``v_root²``;
* the branch-flow equation ``P² + Q² = v_i l``, relaxed to the second-order cone
  ``P² + Q² ≤ v_i l`` (written ``‖(2P, 2Q, v_i − l)‖ ≤ v_i + l``). It holds with either sign
  of ``P``: ``l = |S_ij|² / v_i = |S_ji|² / v_j`` in the exact AC model.
  With switches the cone is written on ``w = z v_i`` instead of ``v_i`` (``P² + Q² ≤ w l``),
  ``w`` linearised exactly for binary ``z`` by McCormick (``v̲² z ≤ w ≤ v̄² z``,
  ``v_i − v̄² (1 − z) ≤ w ≤ v_i − v̲² (1 − z)``). For ``z = 1`` this is the cone above, for
  ``z = 0`` it forces ``P = Q = 0``; for fractional ``z`` it is the *perspective* of the cone
  (``P² + Q² ≤ v̄² z l``), which is tighter than big-M alone: on IEEE 33 (second OA master of
  :mod:`gamecore.network.reconfiguration`) it raises HiGHS's root bound from 76 % to 83 % of
  the master's optimum and cuts its branch-and-bound nodes from ~1000 to ~50.

Objective: losses ``Σ_e r_e l_e`` (pu; × 1000 → kW). The relaxation is exact at the optimum of
a radial network when minimising losses without upper-bound binding issues (Farivar & Low
2013); :mod:`gamecore.network.ac_check` verifies it against pandapower's AC power flow.

Shapes: ``E`` lines, ``N`` buses, ``T`` periods; flow arrays are ``(E, T)``, voltages ``(N, T)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from gamecore.network.data import Feeder

#: solver statuses accepted as a solution (Clarabel sometimes ends "optimal_inaccurate" at
#: these tight tolerances although the solution matches the AC power flow to 1e-9)
OK_STATUSES: frozenset[str] = frozenset({"optimal", "optimal_inaccurate"})

#: big-M on |P|, |Q| as a multiple of the period's total load
FLOW_BIG_M_FACTOR: float = 1.5


@dataclass
class DistFlowModel:
    """cvxpy variables, constraints and losses of the DistFlow model (shapes in the module docstring).

    Attributes:
        P, Q, l: ``(E, T)`` variables (pu).
        v: ``(N, T)`` variable (pu²).
        v_from: ``(E, T)`` expression, ``v`` at each line's from bus.
        w: ``(E, T)`` the cone's voltage term (``z v_i``; equal to ``v_from`` on a fixed topology).
        constraints: everything except the cone (see ``cone``).
        cone: the SOC constraints ``P² + Q² ≤ v_i l`` (empty if built with ``cone=False``).
        loss: ``(T,)`` expression, ``Σ_e r_e l_e`` per period (pu).
    """

    P: cp.Variable
    Q: cp.Variable
    l: cp.Variable
    v: cp.Variable
    v_from: cp.Expression
    w: cp.Expression
    constraints: list[cp.Constraint]
    cone: list[cp.Constraint]
    loss: cp.Expression


def bus_line_maps(feeder: Feeder) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """``(A_from, A_to)``, ``(N, E)`` 0/1 matrices: line ``e`` leaves ``from_bus[e]`` / enters ``to_bus[e]``."""
    e = np.arange(feeder.n_line)
    ones = np.ones(feeder.n_line)
    shape = (feeder.n_bus, feeder.n_line)
    return (sp.csr_matrix((ones, (feeder.from_bus, e)), shape=shape),
            sp.csr_matrix((ones, (feeder.to_bus, e)), shape=shape))


@dataclass(frozen=True)
class BusLoad:
    """Explicit bus loads instead of the feeder's nominal loads × a factor (``N`` buses, ``T`` periods).

    Attributes:
        p, q: ``(N, T)`` active / reactive net withdrawal per bus, pu (negative = injection): arrays,
            or cvxpy expressions when the loads are decisions (e.g. of a joint market + network model).
        p_abs, q_abs: ``(T,)`` upper bounds on ``Σ_j |p_j|`` / ``Σ_j |q_j|`` per period, pu (the
            big-M values of the flows; a line never carries more than every load plus every
            injection). Computed from ``p, q`` when they are arrays.
    """

    p: np.ndarray | cp.Expression
    q: np.ndarray | cp.Expression
    p_abs: np.ndarray
    q_abs: np.ndarray

    @classmethod
    def of(cls, p: np.ndarray, q: np.ndarray) -> BusLoad:
        """Fixed loads ``p, q`` ``(N, T)`` pu, their bounds from the arrays."""
        p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
        if p.ndim != 2 or p.shape != q.shape:
            raise ValueError(f"bus loads p, q must be (N, T) arrays of one shape, got {p.shape} and {q.shape}")
        return cls(p, q, np.abs(p).sum(axis=0), np.abs(q).sum(axis=0))

    @classmethod
    def nominal(cls, feeder: Feeder, load_factor: np.ndarray) -> BusLoad:
        """The feeder's nominal loads scaled by ``load_factor`` ``(T,)``."""
        lf = np.atleast_1d(np.asarray(load_factor, dtype=float))
        return cls.of(np.outer(feeder.p_load_pu, lf), np.outer(feeder.q_load_pu, lf))

    @property
    def periods(self) -> int:
        return int(self.p_abs.shape[0])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(p, q)`` as arrays; ``ValueError`` when the loads are decisions (expressions)."""
        if not (isinstance(self.p, np.ndarray) and isinstance(self.q, np.ndarray)):
            raise ValueError("these bus loads are decisions (cvxpy expressions), not fixed arrays")
        return self.p, self.q


def build_distflow(feeder: Feeder, z: cp.Expression | np.ndarray, load_factor: np.ndarray | None,
                   cone: bool = True, loss_bound: float | None = None, loads: BusLoad | None = None) -> DistFlowModel:
    """Build the switched DistFlow model.

    Args:
        feeder: the feeder.
        z: ``(E, T)`` line statuses (1 closed): a cvxpy expression of binaries, or a 0/1 array.
        load_factor: ``(T,)`` load scaling per period (1 = nominal load); ignored when ``loads`` is given.
        cone: add the SOC constraints (``False`` for a polyhedral outer approximation, the caller
            adding cuts on ``P, Q, w, l``).
        loss_bound: upper bound ``L̄`` on the total losses over all periods (pu) used for the
            big-M values and added as the constraint ``Σ_t loss_t ≤ L̄`` (None: no bound).
        loads: explicit bus loads (:class:`BusLoad`), e.g. a feeder with prosumers' net
            withdrawals; None: the nominal loads × ``load_factor``.
    """
    if loads is None:
        if load_factor is None:
            raise ValueError("build_distflow needs load_factor or loads")
        loads = BusLoad.nominal(feeder, np.asarray(load_factor, dtype=float))
    n_t = loads.periods
    e, n = feeder.n_line, feeder.n_bus
    fixed = isinstance(z, np.ndarray)
    if fixed:
        z = np.asarray(z, dtype=float).reshape(e, n_t)
    P = cp.Variable((e, n_t), name="P")
    Q = cp.Variable((e, n_t), name="Q")
    l = cp.Variable((e, n_t), name="l", nonneg=True)
    v = cp.Variable((n, n_t), name="v")
    a_from, a_to = bus_line_maps(feeder)
    r = feeder.r_pu[:, None]
    x = feeder.x_pu[:, None]
    zz = (feeder.r_pu ** 2 + feeder.x_pu ** 2)[:, None]
    p_load, q_load = loads.p, loads.q
    non_root = np.array([k for k in range(n) if k != feeder.root])
    v_from = a_from.T @ v
    v_to = a_to.T @ v
    vmin2, vmax2 = feeder.v_min_pu ** 2, feeder.v_max_pu ** 2
    m_v = float(vmax2.max() - vmin2.min())
    p_tot = np.asarray(loads.p_abs, dtype=float)[None, :]
    q_tot = np.asarray(loads.q_abs, dtype=float)[None, :]
    if loss_bound is None:
        m_p, m_q = FLOW_BIG_M_FACTOR * p_tot, FLOW_BIG_M_FACTOR * q_tot
    else:
        ratio = float(np.max(feeder.x_pu / np.maximum(feeder.r_pu, 1e-12)))
        m_p, m_q = p_tot + loss_bound, q_tot + ratio * loss_bound
    l_max = np.minimum((feeder.i_max_pu ** 2)[:, None], (m_p ** 2 + m_q ** 2) / float(vmin2.min()))
    drop = v_to - v_from + 2 * (cp.multiply(r, P) + cp.multiply(x, Q)) - cp.multiply(zz, l)
    cons: list[cp.Constraint] = [
        (a_to @ (P - cp.multiply(r, l)) - a_from @ P)[non_root, :] == p_load[non_root, :],
        (a_to @ (Q - cp.multiply(x, l)) - a_from @ Q)[non_root, :] == q_load[non_root, :],
        v >= np.repeat(vmin2[:, None], n_t, axis=1),
        v <= np.repeat(vmax2[:, None], n_t, axis=1),
    ]
    if fixed:
        closed = z > 0.5
        open_ = ~closed
        if closed.any():
            cons.append(drop[closed] == 0)
            cons += [cp.abs(P[closed]) <= np.broadcast_to(m_p, (e, n_t))[closed],
                     cp.abs(Q[closed]) <= np.broadcast_to(m_q, (e, n_t))[closed],
                     l[closed] <= np.broadcast_to(l_max, (e, n_t))[closed]]
        if open_.any():
            cons += [P[open_] == 0, Q[open_] == 0, l[open_] == 0]
        w = v_from
    else:
        w = cp.Variable((e, n_t), name="w", nonneg=True)
        lo, hi = float(vmin2.min()), float(vmax2.max())
        cons += [w <= hi * z, w >= lo * z, w <= v_from - lo * (1 - z), w >= v_from - hi * (1 - z)]
        cons += [
            drop <= m_v * (1 - z), drop >= -m_v * (1 - z),
            P <= cp.multiply(m_p, z), P >= -cp.multiply(m_p, z),
            Q <= cp.multiply(m_q, z), Q >= -cp.multiply(m_q, z),
            l <= cp.multiply(l_max, z),
        ]
    soc: list[cp.Constraint] = []
    if cone:
        vf = cp.vec(w, order="F")
        lf = cp.vec(l, order="F")
        stacked = cp.vstack([2 * cp.vec(P, order="F"), 2 * cp.vec(Q, order="F"), vf - lf])
        soc.append(cp.SOC(vf + lf, stacked, axis=0))
    loss = r.T @ l
    if loss_bound is not None:
        cons.append(cp.sum(loss) <= loss_bound)
    return DistFlowModel(P=P, Q=Q, l=l, v=v, v_from=v_from, w=w, constraints=cons, cone=soc,
                         loss=cp.reshape(loss, (n_t,), order="F"))


@dataclass
class PowerFlowSolution:
    """Solution of the SOCP on a fixed topology (one period).

    Attributes:
        status: cvxpy status string (one of :data:`OK_STATUSES` on success).
        loss_kw: losses ``Σ r l`` in kW (NaN unless solved).
        v_pu: ``(N,)`` voltage magnitudes ``√v``, pu.
        P_pu, Q_pu, l_pu: ``(E,)`` flows and squared currents, pu.
        cone_gap: ``max_e (v_i l − P² − Q²)`` over closed lines, pu² (0 = relaxation exact).
        solve_s: wall time of build + solve, s.
        marginal_loss: ``(N,)`` marginal loss factors ``∂(losses)/∂(withdrawal at bus j)`` (pu/pu;
            0 at the root), from the duals of the active-power balances (NaN unless solved).
    """

    status: str
    loss_kw: float
    v_pu: np.ndarray
    P_pu: np.ndarray
    Q_pu: np.ndarray
    l_pu: np.ndarray
    cone_gap: float
    solve_s: float
    marginal_loss: np.ndarray

    @property
    def min_voltage_pu(self) -> float:
        """Lowest bus voltage magnitude, pu."""
        return float(np.min(self.v_pu))


def solve_fixed_topology(feeder: Feeder, closed: np.ndarray, load_factor: float = 1.0,
                         solver: str = "CLARABEL", p_load: np.ndarray | None = None,
                         q_load: np.ndarray | None = None) -> PowerFlowSolution:
    """Solve the SOCP (loss minimisation) of one period with the given closed lines ``(E,)`` bool.

    Loads: the nominal ones × ``load_factor``, or the explicit bus withdrawals ``p_load``,
    ``q_load`` ``(N,)`` pu (both given; negative = injection). A non-radial topology is solved as
    well (the SOCP is then a relaxation of a meshed AC flow and need not be exact). An
    infeasible or failed solve returns NaNs and the status.
    """
    start = time.perf_counter()
    closed = np.asarray(closed, dtype=bool)
    if (p_load is None) != (q_load is None):
        raise ValueError("solve_fixed_topology: give both p_load and q_load or neither")
    loads = None
    if p_load is not None:
        loads = BusLoad.of(np.asarray(p_load, float)[:, None], np.asarray(q_load, float)[:, None])
    model = build_distflow(feeder, closed.astype(float)[:, None], np.array([load_factor]), loads=loads)
    prob = cp.Problem(cp.Minimize(cp.sum(model.loss)), model.constraints + model.cone)
    kwargs = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-9, "tol_feas": 1e-9} if solver == "CLARABEL" else {}
    try:
        prob.solve(solver=solver, **kwargs)
        status = str(prob.status)
    except cp.error.SolverError as err:
        status = f"solver_error: {err}"
    elapsed = time.perf_counter() - start
    if model.l.value is None or status not in OK_STATUSES:
        nan_e, nan_n = np.full(feeder.n_line, np.nan), np.full(feeder.n_bus, np.nan)
        return PowerFlowSolution(status, float("nan"), nan_n, nan_e, nan_e, nan_e, float("nan"), elapsed, nan_n)
    # a solved problem has a value for every variable and expression
    assert model.P.value is not None and model.Q.value is not None
    assert model.v_from.value is not None and model.v.value is not None
    P, Q, l = model.P.value[:, 0], model.Q.value[:, 0], model.l.value[:, 0]
    vf = model.v_from.value[:, 0]
    gap = float(np.max((vf * l - P ** 2 - Q ** 2)[closed])) if closed.any() else 0.0
    marginal = np.zeros(feeder.n_bus)
    balance = model.constraints[0].dual_value  # ∂(optimal losses)/∂(bus withdrawal) = −dual (cvxpy's sign)
    if balance is not None:
        marginal[[k for k in range(feeder.n_bus) if k != feeder.root]] = -np.asarray(balance, float).ravel()
    return PowerFlowSolution(status=status, loss_kw=float(prob.value) * feeder.s_base_mva * 1000.0,
                             v_pu=np.sqrt(np.maximum(model.v.value[:, 0], 0.0)), P_pu=P, Q_pu=Q, l_pu=l,
                             cone_gap=gap, solve_s=elapsed, marginal_loss=marginal)
