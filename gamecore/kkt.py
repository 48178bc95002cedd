"""Exact optimistic Stackelberg solutions: each follower replaced by its KKT conditions.

For followers that are LPs or convex QPs with linear constraints (zero and nonnegative
cones of the canonical form; any number of followers) the bilevel problem is equivalent to
the single-level problem (optimistic notion: the leader chooses among each follower's
optimal responses)::

    minimize    F(σ, Σ_i y_i)                                   leader objective (min form)
    subject to  leader constraints(σ, Σ_i y_i),  σ in its box
                A_i x_i + s_i = b0_i + Bs_i σ_i,  s_i ∈ K_i       primal feasibility
                P_i x_i + q0_i + Qs_i σ_i + A_iᵀ z_i = 0          stationarity (linear!)
                z_i ∈ K_i*                                       dual feasibility
                z_ij · s_ij = 0  on nonnegative rows              complementarity

Stationarity is linear in (σ, x, z) because signals enter a follower's objective linearly
(DPP) and its constraints only as right-hand sides. Complementarity is imposed by SOS1
constraints ``{z_ij, s_ij}`` (SCIP through pyscipopt): no big-M, so no bound on a dual
variable has to be guessed (a guessed big-M can make a bilevel problem falsely infeasible
or silently suboptimal, and checking one is as hard as the bilevel problem).

Bilinear leader terms weight·⟨σ, y_i⟩: when a follower pays exactly the priced quantity
(the leader's weights cover every signal entry of its objective with one coefficient c and
``Bs_i = 0``), strong duality replaces Σ_j σ_j v_j by ``−(x_iᵀP_i x_i + q0_iᵀx_i + b0_iᵀz_i)``
(exact at KKT points): linear for LPs, convex quadratic when c < 0 (the leader earns what
the follower pays). Every other product σ_g · x_c is kept as a bilinear term and SCIP
solves the problem globally (spatial branch and bound). The leader's cost and constraints
are compiled by cvxpy once (:func:`gamecore.canonical.compile_program`) and enter as
linear / quadratic / second-order-cone rows.

SCIP proves optimality within ``mip_gap``; at a time limit the incumbent and the proven
dual bound (a valid lower bound on the leader's optimum) are returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from gamecore.bilevel import leader_bilinear_costs
from gamecore.canonical import CanonicalProgram, compile_program
from gamecore.errors import StrategyError
from gamecore.game import Game

#: SCIP status -> gamecore solution status
_SCIP_STATUS = {"optimal": "optimal", "gaplimit": "optimal", "timelimit": "time_limit", "infeasible": "infeasible",
                "unbounded": "unbounded", "inforunbd": "infeasible_or_unbounded", "nodelimit": "node_limit",
                "userinterrupt": "interrupted", "memlimit": "memory_limit", "sollimit": "solution_limit",
                "stallnodelimit": "node_limit", "totalnodelimit": "node_limit", "bestsollimit": "solution_limit",
                "restartlimit": "node_limit"}


def kkt_applicable(game: Game, objective: int = 0) -> str | None:
    """Why the KKT reformulation cannot handle ``game`` (None when it can)."""
    if not game.is_stackelberg:
        return f"game '{game.name}' has no leader objective"
    if game.is_market:
        return f"game '{game.name}' has market couplings (kkt computes Stackelberg solutions of leaders without couplings)"
    if not 0 <= objective < len(game.leader.objectives):
        return f"objective index {objective} out of range (the leader has {len(game.leader.objectives)})"
    for f in game.followers:
        d = f.program.dims
        if d.soc or d.exp or d.psd or d.p3d:
            return (f"follower '{f.name}' has second-order/exponential/PSD/power cones; kkt needs LP or convex QP "
                    "followers with linear constraints")
    return None


@dataclass
class KKTSolution:
    """What :meth:`KKTModel.solve` returns.

    Attributes:
        status: ``"optimal"`` (proven within ``mip_gap``), ``"time_limit"``, ``"infeasible"``, ...
        objective: the leader's objective (min form) of the incumbent (None without one).
        bound: SCIP's proven dual bound (a valid lower bound on the leader's optimum).
        signal_vector: the incumbent's signals (game layout), or None.
        xs: per follower the incumbent's canonical point x_i.
        nodes: branch-and-bound nodes; solver_s: seconds inside ``optimize()``; build_s:
            seconds building the model.
    """

    status: str
    objective: float | None
    bound: float | None
    signal_vector: np.ndarray | None
    xs: list[np.ndarray] = field(default_factory=list)
    nodes: int = 0
    solver_s: float = 0.0
    build_s: float = 0.0
    gap: float | None = None
    linearised: list[str] = field(default_factory=list)


@dataclass
class _LeaderPart:
    """The leader's cost and constraints compiled to canonical form over its own variables w."""

    program: CanonicalProgram
    sigma_cols: np.ndarray           # columns of w holding σ (game layout)
    agg_cols: dict[str, np.ndarray]  # output -> columns of w holding Σ_i y_i[o]


class KKTModel:
    """The single-level KKT model of a Stackelberg game (module docstring), solved by SCIP.

    Args:
        game: a game accepted by :func:`kkt_applicable`.
        objective: index of the leader objective to minimise (in minimisation form).

    Raises:
        StrategyError: naming the follower or leader part outside the model's scope.
    """

    def __init__(self, game: Game, objective: int = 0) -> None:
        reason = kkt_applicable(game, objective)
        if reason is not None:
            raise StrategyError(f"kkt: {reason}")
        self.game = game
        self.objective = game.leader.objectives[objective]
        self.sign = 1.0 if self.objective.sense == "min" else -1.0
        self.w_costs, self.u_terms = leader_bilinear_costs(game, self.objective)
        self.pairs = sum(f.program.dims.nonneg for f in game.followers)
        self._linearisable = {f.name for i, f in enumerate(game.followers) if self._strong_duality_weight(i) is not None}
        self.leader = self._leader_part()

    def _strong_duality_weight(self, i: int) -> float | None:
        """The one weight c with which the leader prices every signal term of follower i's objective,
        when strong duality linearises its bilinear terms exactly (``Bs_i = 0``), else None."""
        prog = self.game.followers[i].program
        w_cost = self.w_costs[i]
        if not w_cost or (prog.Bs.nnz and np.abs(prog.Bs.data).max() > 0):
            return None
        Qs = sp.csc_matrix(prog.Qs)
        J = np.flatnonzero(np.asarray(abs(Qs).sum(axis=0)).ravel() > 0)
        coefs = {w_cost.get(int(j)) for j in J}
        if len(coefs) != 1 or None in coefs:
            return None
        return float(next(iter(coefs)))

    # ------------------------------------------------------------------ leader part
    def _leader_part(self) -> _LeaderPart | None:
        game = self.game
        if self.objective.cost is None and game.leader_constraints is None:
            return None
        from gamecore.upper_level import leader_arguments

        layout = game.layout
        shapes = game.output_shapes
        sigma = cp.Variable(layout.size, name="sigma")
        aggs = {o: cp.Variable(int(np.prod(s, dtype=int)), name=f"agg_{o}") for o, s in shapes.items()}
        signals, agg = leader_arguments(layout, sigma, aggs, shapes)
        expr: cp.Expression = cp.Constant(0.0)
        if self.objective.cost is not None:
            expr = self.sign * cp.sum(cp.Expression.cast_to_const(self.objective.cost(signals, agg)))
            if not expr.is_convex():
                raise StrategyError(f"kkt: the cost of leader objective '{self.objective.name}' is not "
                                    f"{'convex' if self.sign > 0 else 'concave'} (DCP) in signals and aggregates")
        constraints = game.leader_constraints.build(sigma, aggs) if game.leader_constraints is not None else []
        used = {v.id for v in expr.variables()} | {v.id for c in constraints for v in c.variables()}
        outputs = {"__sigma": sigma}
        outputs.update({f"__agg_{o}": v for o, v in aggs.items() if v.id in used})
        # every output variable must appear in the problem for cvxpy to give it columns
        anchor = [v == v for v in outputs.values()]
        prog = compile_program(f"{game.leader.name}.kkt", cp.Minimize(expr), list(constraints) + anchor, {}, outputs)
        d = prog.dims
        if d.exp or d.psd or d.p3d:
            raise StrategyError("kkt: the leader's cost/constraints need exponential/PSD/power cones; "
                                "only linear, quadratic and second-order-cone forms are supported")
        return _LeaderPart(prog, prog.outputs["__sigma"][0],
                           {name[len("__agg_"):]: cols for name, (cols, _) in prog.outputs.items()
                            if name.startswith("__agg_")})

    # ------------------------------------------------------------------ solve
    def _model(self, time_limit: float, mip_gap: float, feastol: float, threads: int,
               x_bounds: list[tuple[np.ndarray, np.ndarray]] | None) -> tuple[Any, list[Any], list[list[Any]],
                                                                              list[Any], list[str]]:
        """The SCIP model's variables and constraints: ``(model, σ vars, x vars, objective terms, linearised)``."""
        from pyscipopt import Model, quicksum

        game, layout = self.game, self.game.layout
        model = Model("kkt")
        model.hideOutput()
        model.setParam("limits/time", float(time_limit))
        model.setParam("limits/gap", float(mip_gap))
        model.setParam("numerics/feastol", float(feastol))
        model.setParam("parallel/maxnthreads", int(threads))
        lo, hi = layout.lower(), layout.upper()
        sig = [model.addVar(f"sigma{g}", lb=_finite(lo[g]), ub=_finite(hi[g])) for g in range(layout.size)]
        objective_terms: list[Any] = []
        xs_vars: list[list[Any]] = []
        linearised: list[str] = []
        for i, f in enumerate(game.followers):
            prog = f.program
            idx = game.signal_index[i]
            x_lo, x_hi = x_bounds[i] if x_bounds is not None else (np.full(prog.n, -np.inf), np.full(prog.n, np.inf))
            x = [model.addVar(f"x{i}_{c}", lb=_finite(x_lo[c]), ub=_finite(x_hi[c])) for c in range(prog.n)]
            xs_vars.append(x)
            z, s = self._follower_rows(model, quicksum, prog, x, [sig[g] for g in idx], i)
            objective_terms += self._bilinear_terms(i, prog, x, z, sig, idx, linearised)
        if self.leader is not None:
            objective_terms += self._leader_rows(model, quicksum, sig, xs_vars)
        return model, sig, xs_vars, objective_terms, linearised

    def response_bounds(self, time_limit: float = 60.0, feastol: float = 1e-7) -> list[tuple[np.ndarray, np.ndarray]]:
        """Bounds on the follower variables that enter bilinear products, valid by construction.

        First min / max of each such variable over its follower's feasible set with the
        signals in their box (LPs); where that is unbounded (e.g. a follower that minimises
        y over an unbounded set), min / max over the KKT conditions of the whole game
        (SOS1 MIPs over the bilevel-feasible set, leader constraints included). Every
        bilevel-feasible point satisfies the bounds; SCIP's spatial branch and bound needs
        finite bounds on both factors of a product. Variables without products: ±inf.
        """
        bounds = [self._product_bounds(i) for i in range(self.game.n_followers)]
        open_ = [(i, int(c), sense) for i in range(self.game.n_followers) for c in self._product_columns(i)
                 for sense, arr in (("minimize", bounds[i][0]), ("maximize", bounds[i][1])) if not np.isfinite(arr[c])]
        if not open_:
            return bounds
        model, _, xs_vars, _, _ = self._model(time_limit, 1e-9, feastol, 1, None)
        for i, c, sense in open_:
            model.setObjective(xs_vars[i][c], sense)
            model.optimize()
            value = float(model.getDualbound())
            if np.isfinite(value) and abs(value) < 1e19:
                slack = 1e-7 * max(1.0, abs(value))
                if sense == "minimize":
                    bounds[i][0][c] = value - slack
                else:
                    bounds[i][1][c] = value + slack
            model.freeTransform()
        return bounds

    def solve(self, time_limit: float = 300.0, mip_gap: float = 1e-9, feastol: float = 1e-7,
              threads: int = 1) -> KKTSolution:
        """Build the SCIP model and solve it (global, within ``mip_gap``, at most ``time_limit`` s)."""
        from pyscipopt import quicksum

        start = time.perf_counter()
        x_bounds = self.response_bounds(time_limit, feastol) if any(
            self._product_columns(i).size for i in range(self.game.n_followers)) else None
        remaining = max(1.0, time_limit - (time.perf_counter() - start))
        model, sig, xs_vars, objective_terms, linearised = self._model(remaining, mip_gap, feastol, threads, x_bounds)
        expr = quicksum(objective_terms) if objective_terms else 0.0
        theta = model.addVar("theta", lb=None, ub=None)
        model.addCons(theta >= expr, name="objective")
        model.setObjective(theta, "minimize")
        build = time.perf_counter() - start
        start = time.perf_counter()
        model.optimize()
        solve_s = time.perf_counter() - start
        status = _SCIP_STATUS.get(model.getStatus(), model.getStatus())
        nsols = model.getNSols()
        bound = float(model.getDualbound())
        bound_ok = np.isfinite(bound) and abs(bound) < 1e19
        if nsols == 0:
            return KKTSolution(status, None, bound if bound_ok else None, None, [], int(model.getNNodes()),
                               solve_s, build, None, linearised)
        sol = model.getBestSol()
        vector = np.array([model.getSolVal(sol, v) for v in sig])
        xs = [np.array([model.getSolVal(sol, v) for v in x]) for x in xs_vars]
        value = float(model.getSolObjVal(sol))
        gap = float(model.getGap()) if bound_ok else None
        return KKTSolution(status, value, bound if bound_ok else None, vector, xs, int(model.getNNodes()), solve_s,
                           build, gap, linearised)

    def _product_columns(self, i: int) -> np.ndarray:
        """Columns of follower i's x that enter a bilinear product σ·x of the model."""
        prog = self.game.followers[i].program
        cols = {int(c) for _, c, _ in self.u_terms[i]}
        if self.game.followers[i].name not in self._linearisable and self.w_costs[i]:
            Qs = sp.csc_matrix(prog.Qs)
            for j in self.w_costs[i]:
                cols |= {int(r) for r in Qs[:, j].indices}
        return np.array(sorted(cols), dtype=int)

    def _product_bounds(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on follower i's variables that enter products (others ±inf), valid by construction.

        min / max of each such x_c over the follower's feasible set with its signals in their
        box (LPs, HiGHS): every bilevel-feasible point satisfies them. SCIP's spatial branch
        and bound needs finite bounds on both factors of a product.
        """
        prog = self.game.followers[i].program
        n, k = prog.n, prog.k
        lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
        cols = self._product_columns(i)
        if cols.size == 0:
            return lo, hi
        from scipy.optimize import linprog

        d = prog.dims
        M = sp.hstack([sp.csr_matrix(prog.A), -sp.csr_matrix(prog.Bs)], format="csr")
        idx = self.game.signal_index[i]
        bounds = [(None, None)] * n + [(_finite(self.game.layout.lower()[g]), _finite(self.game.layout.upper()[g]))
                                      for g in idx]
        eq = dict(A_eq=M[: d.zero], b_eq=prog.b0[: d.zero]) if d.zero else {}
        ub = dict(A_ub=M[d.zero:], b_ub=prog.b0[d.zero:]) if d.nonneg else {}
        for c in cols:
            for sign in (1.0, -1.0):
                cost = np.zeros(n + k)
                cost[c] = sign
                res = linprog(cost, bounds=bounds, method="highs", **eq, **ub)
                if res.status == 0:
                    value = sign * float(res.fun)
                    slack = 1e-9 * max(1.0, abs(value))
                    if sign > 0:
                        lo[c] = value - slack
                    else:
                        hi[c] = value + slack
        return lo, hi

    def _follower_rows(self, model: Any, quicksum: Any, prog: CanonicalProgram, x: list[Any], sig: list[Any],
                       i: int) -> tuple[list[Any], list[Any]]:
        """Primal feasibility, stationarity, dual feasibility and SOS1 complementarity of follower i."""
        d = prog.dims
        m = prog.A.shape[0]
        A = sp.csr_matrix(prog.A)
        AT = sp.csr_matrix(prog.A.T)
        Bs = sp.csr_matrix(prog.Bs)
        Qs = sp.csr_matrix(prog.Qs)
        P = sp.csr_matrix(prog.P)
        P = sp.csr_matrix(P + P.T - sp.diags(P.diagonal()))
        z = [model.addVar(f"z{i}_{r}", lb=None if r < d.zero else 0.0, ub=None) for r in range(m)]
        s = [model.addVar(f"s{i}_{r}", lb=0.0, ub=None) for r in range(d.zero, m)]
        for r in range(m):
            lhs = _row(quicksum, A, r, x) - _row(quicksum, Bs, r, sig)
            if r >= d.zero:
                lhs = lhs + s[r - d.zero]
            _equal(model, lhs, float(prog.b0[r]), f"primal{i}_{r}")
        for c in range(prog.n):
            expr = _row(quicksum, P, c, x) + _row(quicksum, AT, c, z) + _row(quicksum, Qs, c, sig)
            _equal(model, expr, -float(prog.q0[c]), f"stationarity{i}_{c}")
        for r in range(d.zero, m):
            model.addConsSOS1([z[r], s[r - d.zero]], name=f"complementarity{i}_{r}")
        return z, s

    def _bilinear_terms(self, i: int, prog: CanonicalProgram, x: list[Any], z: list[Any], sig: list[Any],
                        idx: np.ndarray, linearised: list[str]) -> list[Any]:
        """The leader's bilinear terms on follower i: by strong duality where exact, else products."""
        terms: list[Any] = []
        w_cost = self.w_costs[i]
        Qs = sp.csc_matrix(prog.Qs)
        c = self._strong_duality_weight(i)
        if c is not None:
            P = sp.coo_matrix(prog.P)
            quad = [(2.0 if r != col else 1.0) * v * x[r] * x[col] for r, col, v in zip(P.row, P.col, P.data) if v]
            lin = [float(prog.q0[k]) * x[k] for k in np.flatnonzero(prog.q0)]
            dual = [float(prog.b0[r]) * z[r] for r in np.flatnonzero(prog.b0)]
            terms += [-c * t for t in quad + lin + dual]
            linearised.append(self.game.followers[i].name)
        else:
            for j, c in w_cost.items():
                col = Qs[:, j]
                for r, v in zip(col.indices, col.data):
                    terms.append(c * float(v) * sig[int(idx[j])] * x[int(r)])
        for g, col, c in self.u_terms[i]:
            terms.append(c * sig[int(g)] * x[int(col)])
        return terms

    def _leader_rows(self, model: Any, quicksum: Any, sig: list[Any], xs_vars: list[list[Any]]) -> list[Any]:
        """The leader's compiled cost and constraints over its variables w, linked to σ and aggregates."""
        part = self.leader
        assert part is not None
        prog = part.program
        w = [model.addVar(f"w{c}", lb=None, ub=None) for c in range(prog.n)]
        for g, col in enumerate(part.sigma_cols):
            model.addCons(w[int(col)] == sig[g], name=f"link_sigma{g}")
        for o, cols in part.agg_cols.items():
            for e, col in enumerate(cols):
                parts = [xs_vars[i][int(f.program.outputs[o][0][e])] for i, f in enumerate(self.game.followers)
                         if o in f.output_shapes]
                model.addCons(w[int(col)] == quicksum(parts), name=f"link_{o}{e}")
        A = sp.csr_matrix(prog.A)
        d = prog.dims
        b = prog.b0
        start = 0
        for r in range(d.zero):
            _equal(model, _row(quicksum, A, r, w), float(b[r]), f"leader_eq{r}")
        start = d.zero
        for r in range(start, start + d.nonneg):
            lhs = _row(quicksum, A, r, w)
            if isinstance(lhs, float):
                if lhs > float(b[r]) + 1e-9:
                    raise StrategyError(f"kkt: leader constraint row {r} is infeasible (0 <= {b[r]:g} fails)")
                continue
            model.addCons(lhs <= float(b[r]), name=f"leader_ineq{r}")
        start += d.nonneg
        for k, size in enumerate(d.soc):
            t = [model.addVar(f"soc{k}_{e}", lb=0.0 if e == 0 else None, ub=None) for e in range(size)]
            for e in range(size):
                r = start + e
                model.addCons(t[e] == float(b[r]) - _row(quicksum, A, r, w), name=f"soc{k}_{e}")
            model.addCons(quicksum(t[e] * t[e] for e in range(1, size)) <= t[0] * t[0], name=f"soc{k}")
            start += size
        P = sp.coo_matrix(prog.P)
        terms: list[Any] = [0.5 * (2.0 if r != c else 1.0) * v * w[r] * w[c] for r, c, v in zip(P.row, P.col, P.data) if v]
        terms += [float(prog.q0[c]) * w[c] for c in np.flatnonzero(prog.q0)]
        terms.append(float(prog.d0))
        return terms


def _equal(model: Any, lhs: Any, rhs: float, name: str) -> None:
    """Add ``lhs == rhs`` (a row without variables must hold as data, else the model is infeasible)."""
    if isinstance(lhs, float):
        if abs(lhs - rhs) > 1e-9 * max(1.0, abs(rhs)):
            model.addCons(model.addVar(f"{name}_empty", lb=0.0, ub=0.0) == rhs - lhs, name=name)
        return
    model.addCons(lhs == rhs, name=name)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _row(quicksum: Any, M: sp.csr_matrix, r: int, variables: list[Any]) -> Any:
    """Σ_k M[r, k] · variables[k] (a SCIP linear expression; 0 for an empty row)."""
    lo, hi = M.indptr[r], M.indptr[r + 1]
    if lo == hi:
        return 0.0
    return quicksum(float(v) * variables[int(k)] for k, v in zip(M.indices[lo:hi], M.data[lo:hi]))
