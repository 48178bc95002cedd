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
are compiled by cvxpy once per game (:meth:`gamecore.game.Game.leader_program`) and enter as
linear / quadratic / second-order-cone rows.

Integer and binary signals (:attr:`gamecore.signals.Signal.integer`) are integer variables
of the SCIP model, so it is the mixed-integer bilevel problem itself, solved exactly (the
followers stay continuous: an integer signal enters them as data, like any signal). Bounds
derived from LPs over the signal box (:meth:`KKTModel._product_bounds`) relax integrality,
which keeps them valid; bounds over the KKT set (:meth:`KKTModel.expression_bounds`) and the
proven dual bound keep it, so they are valid for the integer problem and tighter.

SCIP proves optimality within ``mip_gap``; at a time limit the incumbent and the proven
dual bound (a valid lower bound on the leader's optimum) are returned. Quadratic objective
terms get one epigraph per group of terms sharing variables (:func:`_epigraph_objective`);
SCIP's (multi-)aggregation presolving is off in every model (it returned wrong "optimal"
values on these SOS1 models). A proven optimum is polished (:meth:`KKTModel.polish`): its
complementarity piece is re-solved exactly as one convex program where that piece is convex.

Bounds over the KKT set (:meth:`KKTModel.expression_bounds`): min / max of any affine
expression of (σ, x_i, z_i) over the same rows (one SOS1 MIP per side, SCIP's proven dual
bound, so valid by construction), optionally with each dual restricted to its minimum-norm
element (bounded even where the active constraints are linearly dependent and the optimal
duals form a ray). Used for bounds on product factors here (:meth:`KKTModel.response_bounds`)
and for the McCormick factors of ``admm`` (:func:`gamecore.bilevel.complete_bounds`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from gamecore.assembly import ConicProgram
from gamecore.bilevel import leader_bilinear_costs
from gamecore.canonical import CanonicalProgram, symmetric
from gamecore.errors import GameDefinitionError, StrategyError
from gamecore.game import Game
from gamecore.upper_level import LeaderProgram

#: SCIP status -> gamecore solution status
_SCIP_STATUS = {"optimal": "optimal", "gaplimit": "optimal", "timelimit": "time_limit", "infeasible": "infeasible",
                "unbounded": "unbounded", "inforunbd": "infeasible_or_unbounded", "nodelimit": "node_limit",
                "userinterrupt": "interrupted", "memlimit": "memory_limit", "sollimit": "solution_limit",
                "stallnodelimit": "node_limit", "totalnodelimit": "node_limit", "bestsollimit": "solution_limit",
                "restartlimit": "node_limit"}


#: Ipopt options of SCIP's NLP heuristics in every model: MUMPS with the AMD ordering instead of
#: METIS. With METIS the whole process aborted ("munmap_chunk(): invalid pointer", a heap
#: corruption inside SCIP's optimize) on ries with 10 LAs x 24 periods (quadratic coal cost),
#: reproducibly after a few minutes; the same mitigation as scipopt/scip#211 (PySCIPOpt#1234).
IPOPT_OPTIONS = "mumps_pivot_order 0\n"


def _avoid_metis(model: Any) -> None:
    """Point the model's Ipopt at :data:`IPOPT_OPTIONS` (a temporary file removed with the model)."""
    import os
    import tempfile
    import weakref

    handle, path = tempfile.mkstemp(prefix="gamecore-ipopt-", suffix=".opt")
    with os.fdopen(handle, "w") as f:
        f.write(IPOPT_OPTIONS)
    model.setParam("nlpi/ipopt/optfile", path)
    weakref.finalize(model, os.remove, path)


def _presolve_off(model: Any) -> None:
    from pyscipopt import SCIP_PARAMSETTING

    model.setPresolve(SCIP_PARAMSETTING.OFF)


def _numerics_emphasis(model: Any) -> None:
    from pyscipopt import SCIP_PARAMEMPHASIS

    model.setEmphasis(SCIP_PARAMEMPHASIS.NUMERICS)


def _barrier_lp(model: Any) -> None:
    model.setParam("lp/initalgorithm", "b")
    model.setParam("lp/resolvealgorithm", "b")


def _primal_lp(model: Any) -> None:
    model.setParam("lp/initalgorithm", "p")
    model.setParam("lp/resolvealgorithm", "p")


#: SCIP settings :meth:`KKTModel.expression_bounds` retries a failed side with, in order.
#: Measured on the bilevel library: ct_1982_01's min Bs[:, 0]·z fails with "unresolved
#: numerical troubles in LP" at default settings and with presolving off, and solves with
#: the numerics emphasis; on TuyEtal2007Ex3 different sides succeed with different settings.
_RETRY_SETTINGS = (("presolving off", _presolve_off), ("numerics emphasis", _numerics_emphasis),
                   ("barrier LP", _barrier_lp), ("primal simplex LP", _primal_lp))


def kkt_applicable(game: Game, objective: int = 0) -> str | None:
    """Why the KKT reformulation cannot handle ``game`` (None when it can)."""
    if not game.is_stackelberg:
        return f"game '{game.name}' has no leader objective"
    if game.is_market:
        return (f"game '{game.name}' has market couplings (kkt computes Stackelberg solutions of leaders "
                "without couplings)")
    if not 0 <= objective < len(game.leader.objectives):
        return f"objective index {objective} out of range (the leader has {len(game.leader.objectives)})"
    for f in game.followers:
        d = f.program.dims
        if d.soc or d.exp or d.psd or d.p3d:
            return (f"follower '{f.name}' has second-order/exponential/PSD/power cones; kkt needs LP or convex QP "
                    "followers with linear constraints")
    return None


@contextlib.contextmanager
def _python_sigint() -> Iterator[None]:
    """Restore Python's SIGINT handler after the block (defensive): SCIP catches Ctrl-C itself while
    it solves (``misc/catchctrlc``), and a solve that ends in an error might skip SCIP's own
    restore — Ctrl-C would then set SCIP's flag instead of raising KeyboardInterrupt."""
    main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if main else None
    try:
        yield
    finally:
        if main and handler is not None:
            signal.signal(signal.SIGINT, handler)


@dataclass
class KKTSolution:
    """What :meth:`KKTModel.solve` returns.

    Attributes:
        status: ``"optimal"`` (proven within ``mip_gap``), ``"time_limit"``, ``"infeasible"``, ...
        objective: the leader's objective (min form) of the incumbent (None without one).
        bound: SCIP's proven dual bound (a valid lower bound on the leader's optimum).
        signal_vector: the incumbent's signals (game layout; integer entries rounded to integers), or None.
        xs: per follower the incumbent's canonical point x_i.
        nodes: branch-and-bound nodes; solver_s: seconds inside ``optimize()``; build_s:
            seconds building the model.
        polished: whether the incumbent was re-solved exactly on its complementarity piece
            (:meth:`KKTModel.polish`).
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
    polished: bool = False


@dataclass(frozen=True)
class AffineExpression:
    """``constant + xᵀx_i + zᵀz_i + sigmaᵀσ`` for one follower i (see :meth:`KKTModel.expression_bounds`).

    Attributes:
        follower: index of the follower whose x_i / z_i the expression uses.
        x: (n_i,) coefficients on its canonical variables, or None.
        z: (m_i,) coefficients on its duals (Clarabel's sign: ``P x + q(σ) + Aᵀz = 0``,
            z free on zero-cone rows, ≥ 0 on nonnegative rows), or None.
        sigma: (layout.size,) coefficients on the game's signal vector, or None.
        constant: added to both bounds.
    """

    follower: int
    x: np.ndarray | None = None
    z: np.ndarray | None = None
    sigma: np.ndarray | None = None
    constant: float = 0.0


@dataclass
class ExpressionBound:
    """Bounds of one :class:`AffineExpression` over the KKT set, and the SCIP status of each side."""

    lower: float
    upper: float
    lower_status: str
    upper_status: str


@dataclass
class _SCIPModel:
    """What :meth:`KKTModel._model` builds: the model, σ, and per modelled follower its x, z and
    the slacks of its nonnegative rows."""

    model: Any
    sigma: list[Any]
    xs: dict[int, list[Any]]
    zs: dict[int, list[Any]]
    slacks: dict[int, list[Any]]
    objective_terms: list[Any]
    linearised: list[str]


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
        self.objective_index = objective
        self.objective = game.leader.objectives[objective]
        self.sign = 1.0 if self.objective.sense == "min" else -1.0
        costs = leader_bilinear_costs(game, self.objective)
        self.w_costs, self.sigma_costs, self.u_terms = costs.w, costs.sigma, costs.u
        self.pairs = sum(f.program.dims.nonneg for f in game.followers)
        self._linearisable = {f.name for i, f in enumerate(game.followers)
                              if self._strong_duality_weight(i) is not None}
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
        coef = next(iter(coefs)) if len(coefs) == 1 else None
        return None if coef is None else float(coef)

    # ------------------------------------------------------------------ leader part
    def _leader_part(self) -> LeaderProgram | None:
        """The leader's cost and constraints, compiled once per game (:meth:`Game.leader_program`)."""
        game = self.game
        if self.objective.cost is None and game.leader_constraints is None:
            return None
        try:
            part = game.leader_program(self.objective_index)
        except GameDefinitionError as err:
            raise StrategyError(f"kkt: {err}") from None
        d = part.program.dims
        if d.exp or d.psd or d.p3d:
            raise StrategyError("kkt: the leader's cost/constraints need exponential/PSD/power cones; "
                                "only linear, quadratic and second-order-cone forms are supported")
        return part

    # ------------------------------------------------------------------ solve
    def _model(self, time_limit: float, mip_gap: float, feastol: float, threads: int,
               x_bounds: list[tuple[np.ndarray, np.ndarray]] | None,
               followers: Sequence[int] | None = None) -> _SCIPModel:
        """The SCIP model's variables and constraints (:class:`_SCIPModel`).

        ``followers``: the followers modelled (default all); the leader's cost and constraints
        are modelled only with all of them (they depend on every follower's outputs).
        """
        from pyscipopt import Model, quicksum

        game, layout = self.game, self.game.layout
        model = Model("kkt")
        model.hideOutput()
        _avoid_metis(model)
        model.setParam("limits/time", float(time_limit))
        model.setParam("limits/gap", float(mip_gap))
        model.setParam("numerics/feastol", float(feastol))
        model.setParam("parallel/maxnthreads", int(threads))
        # SCIP 10's (multi-)aggregation presolving loses points of these SOS1 models: min Bs·z over
        # the KKT set of Bard1984a came back "optimal" at 0.25 with a feasible point at -2
        # (x = 7); max Bs[:, 0]·z on TuyEtal2007Ex3 at 3.75 instead of 10 (presolving off: 10).
        # Without either aggregation both agree with presolving off (pyscipopt 6.3, SCIP 10.0).
        model.setParam("presolving/donotaggr", True)
        model.setParam("presolving/donotmultaggr", True)
        lo, hi = layout.lower(), layout.upper()
        integer = layout.integer_mask()
        # integer / binary signal entries are integer variables (their bounds are integers already,
        # Signal rounds them inward): the model is then the mixed-integer bilevel problem itself
        sig = [model.addVar(f"sigma{g}", vtype="I" if integer[g] else "C", lb=_finite(lo[g]), ub=_finite(hi[g]))
               for g in range(layout.size)]
        objective_terms: list[Any] = []
        xs_vars: dict[int, list[Any]] = {}
        zs_vars: dict[int, list[Any]] = {}
        slacks: dict[int, list[Any]] = {}
        linearised: list[str] = []
        which = range(game.n_followers) if followers is None else sorted({int(i) for i in followers})
        for i in which:
            prog = game.followers[i].program
            idx = game.signal_index[i]
            x_lo, x_hi = x_bounds[i] if x_bounds is not None else (np.full(prog.n, -np.inf), np.full(prog.n, np.inf))
            x = [model.addVar(f"x{i}_{c}", lb=_finite(x_lo[c]), ub=_finite(x_hi[c])) for c in range(prog.n)]
            xs_vars[i] = x
            z, s = self._follower_rows(model, quicksum, prog, x, [sig[g] for g in idx], i)
            zs_vars[i] = z
            slacks[i] = s
            objective_terms += self._bilinear_terms(i, prog, x, z, sig, idx, linearised)
        if self.leader is not None and len(xs_vars) == game.n_followers:
            objective_terms += self._leader_rows(model, quicksum, sig, [xs_vars[i] for i in range(game.n_followers)])
        return _SCIPModel(model, sig, xs_vars, zs_vars, slacks, objective_terms, linearised)

    def expression_bounds(self, expressions: Sequence[AffineExpression], time_limit: float = 60.0,
                          feastol: float = 1e-7, followers: Sequence[int] | None = None,
                          sides: Sequence[str] | None = None, min_norm_duals: bool = True) -> list[ExpressionBound]:
        """min / max of affine expressions of (σ, x_i, z_i) over the KKT set, valid by construction.

        The KKT set: the modelled followers' primal feasibility, stationarity, dual
        feasibility and SOS1 complementarity, σ in its box, and (when every follower is
        modelled) the leader's constraints — the bilevel-feasible set lifted by the duals. Its
        projection on (σ, x) is the set of points with x_i an optimal response to σ, so a bound
        proven here holds at every bilevel-feasible point (with every dual completing it). One
        SOS1 MIP (SCIP) per side; the value returned is SCIP's proven dual bound less a
        relative margin of 1e-7, so it stays valid at a time limit too. A side on which SCIP
        fails (an error such as unresolved numerical troubles in the LP) is retried with the
        settings of :data:`_RETRY_SETTINGS` in turn; still failing, it stays ±inf with status
        ``"solver_error"``.

        Args:
            expressions: the expressions; each names its follower (which must be modelled).
            time_limit: seconds per MIP.
            feastol: SCIP's feasibility tolerance.
            followers: followers to model (default all). Fewer followers give a larger set,
                so weaker bounds that are still valid, from smaller MIPs.
            sides: per expression ``"both"`` (default), ``"lower"`` or ``"upper"``: the sides
                computed (the other stays ±inf with status ``"skipped"``).
            min_norm_duals: for the followers the expressions refer to, restrict z_i to its
                minimum-norm dual (:meth:`_min_norm_dual_rows`). At a point where the active
                constraints are linearly dependent (LICQ fails; e.g. a follower whose
                feasible set shrinks to a point at the end of the signal box) the dual
                optimal set is unbounded, and so is every expression of z over all duals;
                the minimum-norm dual is unique and bounded. The bounds then hold for that
                dual at every bilevel-feasible point — all a relaxation that needs *some*
                dual per point (strong duality) requires. Bounds of expressions without z
                are the same in exact arithmetic (every KKT point has a minimum-norm dual);
                the rows keep SCIP's LP relaxations bounded in z, which matters: on an
                unbounded model SCIP 10 can stop "optimal" at a finite value (min Bs·z over
                all duals of lh_1994_01: "optimal" 0, while σ = 4 alone is unbounded).

        Returns:
            One :class:`ExpressionBound` per expression: ``lower`` / ``upper`` (±inf when
            unbounded or when no finite bound was proven within the time limit) and the SCIP
            status of each side (``"infeasible"``: the KKT set is empty, no bilevel-feasible
            point exists; the bounds are then +inf / −inf).
        """
        from pyscipopt import quicksum

        out = [ExpressionBound(-np.inf, np.inf, "", "") for _ in expressions]
        sides = ["both"] * len(expressions) if sides is None else list(sides)
        if len(sides) != len(expressions) or not set(sides) <= {"both", "lower", "upper"}:
            raise ValueError("expression_bounds: sides must give 'both', 'lower' or 'upper' per expression")
        todo: list[tuple[int, str]] = []
        for j, (e, bound, side) in enumerate(zip(expressions, out, sides)):
            used = [c for c in (e.x, e.z, e.sigma) if c is not None and np.any(np.asarray(c, dtype=float))]
            if not used:
                bound.lower = bound.upper = float(e.constant)
                bound.lower_status = bound.upper_status = "constant"
                continue
            if side == "lower":
                bound.upper_status = "skipped"
            elif side == "upper":
                bound.lower_status = "skipped"
            todo += [(j, sense) for sense in {"both": ("minimize", "maximize"), "lower": ("minimize",),
                                                "upper": ("maximize",)}[side]]
        needed = {e.follower for e in expressions}
        scope = None if followers is None else sorted(set(followers) | needed)
        for configure in (None, *(f for _, f in _RETRY_SETTINGS)):
            if not todo:
                break
            built = self._model(time_limit, 1e-9, feastol, 1, None, scope)
            model = built.model
            if configure is not None:
                configure(model)
            if min_norm_duals:
                for i in sorted({expressions[j].follower for j, _ in todo}):
                    self._min_norm_dual_rows(model, i, built.zs[i])
            failed = []
            for j, sense in todo:
                e, bound = expressions[j], out[j]
                terms: list[Any] = []
                for coefs, variables in ((e.x, built.xs[e.follower]), (e.z, built.zs[e.follower]),
                                         (e.sigma, built.sigma)):
                    if coefs is not None:
                        coefs = np.asarray(coefs, dtype=float)
                        terms += [float(coefs[c]) * variables[int(c)] for c in np.flatnonzero(coefs)]
                model.setObjective(quicksum(terms), sense)
                try:
                    model.optimize()
                    status = _SCIP_STATUS.get(model.getStatus(), model.getStatus())
                    value = float(model.getDualbound())
                except Exception:   # pyscipopt raises a bare Exception on SCIP errors (e.g. LP troubles)
                    status, value = "solver_error", np.nan
                if status == "infeasible":
                    value = np.inf if sense == "minimize" else -np.inf
                elif not (np.isfinite(value) and abs(value) < 1e19):
                    value = -np.inf if sense == "minimize" else np.inf
                else:
                    slack = 1e-7 * max(1.0, abs(value))
                    value = value - slack if sense == "minimize" else value + slack
                if sense == "minimize":
                    bound.lower, bound.lower_status = value + e.constant, status
                else:
                    bound.upper, bound.upper_status = value + e.constant, status
                if status == "solver_error":
                    failed.append((j, sense))
                model.freeTransform()
            todo = failed
        return out

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
        open_ = [(i, int(c)) for i in range(self.game.n_followers) for c in self._product_columns(i)
                 if not (np.isfinite(bounds[i][0][c]) and np.isfinite(bounds[i][1][c]))]
        if not open_:
            return bounds
        exprs, sides = [], []
        for i, c in open_:
            coef = np.zeros(self.game.followers[i].program.n)
            coef[c] = 1.0
            exprs.append(AffineExpression(i, x=coef))
            lo_open, hi_open = not np.isfinite(bounds[i][0][c]), not np.isfinite(bounds[i][1][c])
            sides.append("both" if lo_open and hi_open else "lower" if lo_open else "upper")
        for (i, c), found in zip(open_, self.expression_bounds(exprs, time_limit, feastol, sides=sides,
                                                                min_norm_duals=False)):
            if not np.isfinite(bounds[i][0][c]) and np.isfinite(found.lower):
                bounds[i][0][c] = found.lower
            if not np.isfinite(bounds[i][1][c]) and np.isfinite(found.upper):
                bounds[i][1][c] = found.upper
        return bounds

    def _min_norm_dual_rows(self, model: Any, i: int, z: list[Any]) -> None:
        """Rows that select follower i's minimum-norm dual: z lies in the range of its support's rows.

        The minimum-ℓ2-norm element of the dual optimal set ``{z : Aᵀz = −(P x + q(σ)), z ∈ K*,
        z_r = 0 on inactive rows}`` satisfies (its own optimality conditions) ``z_r = A_r μ``
        on equality rows and on inequality rows with z_r > 0, for one μ ∈ ℝⁿ. Modelled as
        ``z_r − A_r μ = δ_r`` with SOS1 {z_r, δ_r} on inequality rows (δ_r = 0 where z_r > 0),
        δ_r = 0 on equality rows. Every point keeps its minimum-norm dual; the points kept
        have z_S = (A_Sᵀ)⁺ g on their support S, bounded by ``‖(A_Sᵀ)⁺‖ ‖g‖`` — no direction
        of the null space of the active rows (the rays of a degenerate dual) survives.
        """
        from pyscipopt import quicksum

        prog = self.game.followers[i].program
        d = prog.dims
        A = sp.csr_matrix(prog.A)
        mu = [model.addVar(f"mu{i}_{c}", lb=None, ub=None) for c in range(prog.n)]
        for r in range(A.shape[0]):
            rhs = _row(quicksum, A, r, mu)
            if r < d.zero:
                model.addCons(z[r] - rhs == 0, name=f"min_norm{i}_{r}")
            else:
                delta = model.addVar(f"delta{i}_{r}", lb=None, ub=None)
                model.addCons(z[r] - rhs - delta == 0, name=f"min_norm{i}_{r}")
                model.addConsSOS1([z[r], delta], name=f"min_norm_support{i}_{r}")

    def solve(self, time_limit: float = 300.0, mip_gap: float = 1e-9, feastol: float = 1e-7,
              threads: int = 1) -> KKTSolution:
        """Build the SCIP model and solve it (global, within ``mip_gap``, at most ``time_limit`` s)."""
        from pyscipopt import quicksum

        start = time.perf_counter()
        x_bounds = self.response_bounds(time_limit, feastol) if any(
            self._product_columns(i).size for i in range(self.game.n_followers)) else None
        remaining = max(1.0, time_limit - (time.perf_counter() - start))
        built = self._model(remaining, mip_gap, feastol, threads, x_bounds)
        model, sig, objective_terms, linearised = built.model, built.sigma, built.objective_terms, built.linearised
        xs_vars = [built.xs[i] for i in range(self.game.n_followers)]
        model.setObjective(_epigraph_objective(model, quicksum, objective_terms), "minimize")
        build = time.perf_counter() - start
        start = time.perf_counter()
        error = None
        with _python_sigint():
            try:
                model.optimize()
            except Exception as err:       # SCIP stops on LP trouble it cannot resolve ("error in LP solver")
                error = str(err)
        solve_s = time.perf_counter() - start
        status = _SCIP_STATUS.get(model.getStatus(), model.getStatus()) if error is None else f"error ({error})"
        nsols = model.getNSols()
        bound = float(model.getDualbound())
        # after an error the search tree is incomplete: its dual bound is not trusted
        bound_ok = error is None and np.isfinite(bound) and abs(bound) < 1e19
        if nsols == 0:
            return KKTSolution(status, None, bound if bound_ok else None, None, [], int(model.getNNodes()),
                               solve_s, build, None, linearised)
        sol = model.getBestSol()
        # integer entries come back within SCIP's feasibility tolerance of an integer: snap them
        vector = self.game.layout.round_integers(np.array([model.getSolVal(sol, v) for v in sig]))
        xs = [np.array([model.getSolVal(sol, v) for v in x]) for x in xs_vars]
        n_followers = self.game.n_followers
        active = [np.array([model.getSolVal(sol, sv) <= model.getSolVal(sol, zv)     # row tight: s ≤ z (SOS1)
                            for zv, sv in zip(built.zs[i][len(built.zs[i]) - len(built.slacks[i]):], built.slacks[i])],
                           dtype=bool) for i in range(n_followers)]
        value = float(model.getSolObjVal(sol))
        gap = float(model.getGap()) if bound_ok else None
        result = KKTSolution(status, value, bound if bound_ok else None, vector, xs, int(model.getNNodes()), solve_s,
                             build, gap, linearised)
        polished = self.polish(result, active) if status == "optimal" else None
        if polished is not None:
            result.signal_vector, result.xs, result.objective, result.polished = polished
        return result

    def polish(self, solution: KKTSolution, active: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], float,
                                                                               bool] | None:
        """Re-solve the piece of SCIP's complementarity pattern as one convex program (Clarabel).

        The optimum of that piece (:meth:`piece_optimum`) is the global optimum (SCIP's point
        lies in it) to Clarabel's accuracy, which a flat objective needs: SCIP's gap tolerance
        leaves the signals ~√tol off. Integer signal entries are fixed at the incumbent's
        (integral) values: the piece with them fixed is convex and still contains SCIP's point,
        so its optimum is the global one. Returns ``(σ, xs, objective, True)``, or None when the
        piece is not convex or its solve does not match SCIP's objective within 1e-6 relative.
        """
        if solution.objective is None or (self.game.layout.integer_mask().any() and solution.signal_vector is None):
            return None
        found = self.piece_optimum(active, solution.signal_vector)
        if found is None:
            return None
        sigma, xs, objective, _ = found
        if abs(objective - solution.objective) > 1e-6 * max(1.0, abs(solution.objective)):
            return None
        return sigma, xs, objective, True

    def piece_convex(self) -> bool:
        """Whether every complementarity piece is a convex program: every bilinear term linearised
        by strong duality with a weight that keeps the objective convex."""
        weights = [self._strong_duality_weight(i) for i in range(self.game.n_followers)]
        for i, f in enumerate(self.game.followers):
            if self.u_terms[i] or (self.w_costs[i] and weights[i] is None):
                return False
            weight = weights[i]
            if weight is not None and weight > 0 and f.program.is_quadratic:
                return False
        return True

    def piece_optimum(self, active: list[np.ndarray], signal_vector: np.ndarray | None = None
                      ) -> tuple[np.ndarray, list[np.ndarray], float, list[np.ndarray]] | None:
        """The leader's optimum over one complementarity piece, a convex program (Clarabel).

        With the pattern fixed (``active[i][j]``: inequality row j of follower i tight, its dual
        free ≥ 0; else its dual 0 and its slack ≥ 0) the model is convex when
        :meth:`piece_convex`. Integer signal entries are fixed at ``signal_vector``'s (rounded).
        Returns ``(σ, xs, objective, zs)`` (objective in minimisation form; ``zs[i]`` follower i's
        duals, one per row), or None when the piece is not convex, is empty, or its solve fails.
        """
        game = self.game
        if not self.piece_convex():
            return None
        weights = [self._strong_duality_weight(i) for i in range(game.n_followers)]
        layout = game.layout
        problem = ConicProgram()
        sig = problem.variables(layout.size)
        finite_lo, finite_hi = np.isfinite(layout.lower()), np.isfinite(layout.upper())
        if finite_hi.any():
            problem.add_rows([(sig[finite_hi], sp.eye(int(finite_hi.sum())))], layout.upper()[finite_hi], "nonneg")
        if finite_lo.any():
            problem.add_rows([(sig[finite_lo], -sp.eye(int(finite_lo.sum())))], -layout.lower()[finite_lo], "nonneg")
        integer = layout.integer_mask()
        if integer.any():
            if signal_vector is None:
                return None
            fixed = np.rint(np.asarray(signal_vector, dtype=float)[integer])
            problem.add_rows([(sig[integer], sp.eye(int(integer.sum())))], fixed, "zero")
        xs, zs = [], []
        for i, f in enumerate(game.followers):
            prog = f.program
            d, m = prog.dims, prog.A.shape[0]
            x, z = problem.variables(prog.n), problem.variables(m)
            xs.append(x)
            zs.append(z)
            own = sig[game.signal_index[i]]
            A, Bs = sp.csr_matrix(prog.A), sp.csr_matrix(prog.Bs)
            P = symmetric(prog.P)
            # stationarity P x + Aᵀz + Qs σ = −q0
            problem.add_rows([(x, P), (z, sp.csr_matrix(prog.A.T)), (own, prog.Qs)], -prog.q0, "zero")
            # A x − Bs σ = b0 on equality rows and on active rows; ≤ b0 on inactive rows (their dual 0)
            on = np.concatenate([np.arange(d.zero), d.zero + np.flatnonzero(active[i])]).astype(int)
            off = (d.zero + np.flatnonzero(~active[i])).astype(int)
            if on.size:
                problem.add_rows([(x, A[on]), (own, -Bs[on])], prog.b0[on], "zero")
            if off.size:
                problem.add_rows([(x, A[off]), (own, -Bs[off])], prog.b0[off], "nonneg")
                problem.add_rows([(z[off], sp.eye(off.size))], np.zeros(off.size), "zero")
            act = (d.zero + np.flatnonzero(active[i])).astype(int)
            if act.size:
                problem.add_rows([(z[act], -sp.eye(act.size))], np.zeros(act.size), "nonneg")
            c = weights[i]
            if c is not None:
                # −c (xᵀPx + q0ᵀx + b0ᵀz): the objective's ½-convention needs 2·(−c)·P
                problem.add_objective(x, -2.0 * c * P if prog.is_quadratic else None, -c * prog.q0)
                problem.add_objective(z, q=-c * prog.b0)
            for j, coef in self.sigma_costs[i].items():     # the constant part of a priced output
                problem.add_objective(own[[j]], q=np.array([coef]))
        if self.leader is not None:
            problem.add_leader(self.leader, game, xs, sigma_cols=sig)
        found = problem.solve(tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
        if found.x is None or found.objective is None:
            return None
        return (layout.round_integers(found.x[sig]), [found.x[x] for x in xs], found.objective,
                [found.x[z] for z in zs])

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
        box (LPs, HiGHS; integer signals relaxed to their box, which only widens the bounds):
        every bilevel-feasible point satisfies them. SCIP's spatial branch
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
        P = symmetric(prog.P)
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
        for j, c in self.sigma_costs[i].items():     # the constant part of a priced output (linear in σ)
            terms.append(c * sig[int(idx[j])])
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
        terms: list[Any] = [0.5 * (2.0 if r != c else 1.0) * v * w[r] * w[c]
                            for r, c, v in zip(P.row, P.col, P.data) if v]
        terms += [float(prog.q0[c]) * w[c] for c in np.flatnonzero(prog.q0)]
        terms.append(float(prog.d0))
        return terms


def _epigraph_objective(model: Any, quicksum: Any, terms: Sequence[Any]) -> Any:
    """A linear SCIP objective for a sum of linear and quadratic terms.

    Quadratic terms are grouped by the variables they share (connected components of the
    graph "two variables appear in one term"); each group gets its own epigraph variable
    ``θ_g ≥ Σ_{k∈g} term_k``, constants and linear terms stay in the objective. One
    epigraph for the whole sum couples every variable in one nonlinear row and hides a
    block-separable model's structure from SCIP; one per monomial splits a convex quadratic
    form such as (x − y)² into nonconvex pieces (the measured effect of each choice is in
    ``benchmarks/README.md``).
    """
    linear: list[Any] = []
    quadratic: list[Any] = []
    constant = 0.0
    for term in terms:
        if isinstance(term, (int, float)):
            constant += float(term)
        elif term.degree() >= 2:
            quadratic.append(term)
        else:
            linear.append(term)
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    names = []
    for term in quadratic:
        vars_ = [v.name for monomial in term.terms for v in monomial.vartuple]
        names.append(vars_[0])
        for other in vars_[1:]:
            parent[root(other)] = root(vars_[0])
    groups: dict[str, list[Any]] = {}
    for term, name in zip(quadratic, names):
        groups.setdefault(root(name), []).append(term)
    for k, members in enumerate(groups.values()):
        theta = model.addVar(f"theta{k}", lb=None, ub=None)
        model.addCons(theta >= quicksum(members), name=f"objective{k}")
        linear.append(theta)
    if constant:
        model.addObjoffset(constant)
    return quicksum(linear) if linear else 0.0


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
