"""``admm-mccormick`` (the alias ``admm`` on Stackelberg games): consensus ADMM on the McCormick
relaxation, with bound tightening. Options: :class:`strategies.admm.McCormickOptions`.

The relaxation itself — each follower's strong-duality single-level reformulation with
McCormick envelopes on w = σ∘v, t = σ∘r (signals in the constraints' right-hand sides) and
u = σ∘y, finite bounds on the factors derived from the data (conic bounds, then SOS1 MIPs
over the KKT set) and OBBT, and the mapping of the leader's bilinear terms onto w / u — is
:mod:`gamecore.bilevel`. This module holds the ADMM iteration over it.

**Scope** (:func:`check_bilevel`, then at the start of the solve): followers with zero /
nonnegative / second-order cones and signals in their objective and right-hand sides;
finite declared bounds on the signals the relaxation uses; a leader whose first objective is
bilinear terms plus a convex (min) / concave (max) ``cost(signals, aggregates)``; leader
constraints ``constraints(signals, agg)`` (convex in signals and aggregates). Refused with
a :class:`StrategyError` naming the follower and the factor: a product factor without a
finite bound over the bilevel-feasible set (the game has none, or SCIP proved none; a
second-order-cone follower whose conic bound is infinite, as the KKT bounds need LP/QP
followers).

The leader's objective (its first, in minimisation form) is Σ bilinear terms (linear on the
followers' w / u, :func:`gamecore.bilevel.leader_bilinear_costs`) + its convex
``cost(signals, aggregates)`` (negated for ``sense="max"``).

**Splitting** (global consensus ADMM, Boyd §7.1, scaled form): the leader holds σ and
copies ŷ_i of the outputs its cost and constraints use; follower i holds local copies σ_i of
the signal entries that reach it and its (x_i, z_i, w_i, u_i, t_i); consensus σ_i = σ[S_i],
y_i = ŷ_i with scaled duals. Follower block: the relaxation plus the leader's linear
bilinear weights on w_i/u_i plus the two augmented terms — a convex QP/SOCP assembled
directly in Clarabel form from the follower's canonical data (built once per box; only the
linear term changes per iteration, P only when ρ changes — no cvxpy canonicalisation per
solve). These blocks run in-process (they need the followers' canonical data, which the
engine holds; they are embarrassingly parallel). Leader block: ``min F(σ, Y) + (ρσ/2)
Σ_j n_j (σ_j − ā_j)² + Σ_o (ρy / 2N_o)‖Y_o − B_o‖²`` over the box and the leader's
constraints ``constraints(σ, Y)``, with Y_o the aggregate Σ_i y_i[o] over every follower
sending output o (the copies ŷ_i follow in closed form, as in Boyd's sharing problem); one
cvxpy problem built once with Parameters (DPP), solved by Clarabel. At the consensus the
followers' outputs sum to Y, so the relaxation's optimum meets the constraints. The
consensus is normalised per round so one ρ fits signals and outputs and the tolerances are
relative to the current box: σ by the widest entry wσ of the current box, y by the largest
|output| over the start and sampled points (1 when all are 0) times wσ / (declared width)
(ρσ = ρ/wσ², ρy = ρ/wy²; the actual penalties carry over between rounds). Residuals,
stopping rule and balancing are those of Boyd §3.3 / §3.4.1 (as in the market mode) on the
normalised stacked consensus residual, with the primal norms taken relative to the box
centre / the round's starting outputs; defaults ε_abs = 1e-5, ε_rel = 1e-4 in this mode;
ρ changes at most once per :data:`_BALANCE_EVERY` iterations. ``rho=0`` starts at
ρ = max(1, |F(σ⁰)|) / N (objective per follower per normalised signal unit).

**True objective.** F(σ) is the leader's first objective with the followers at best
response (one batched pool call for several points); +inf where a follower has no optimal
response or the leader's constraints fail there (relative violation > :data:`_LEADER_TOL`).
At each round's consensus and at the answer, on games with leader constraints or at most
:data:`_OPTIMISTIC_MAX_VARS` follower variables, the leader-best selection from the
followers' optimal sets (:func:`gamecore.optimistic.optimistic_selection`) is used when it
is better by more than :data:`_SELECTION_GAIN` (optimistic notion: degenerate followers,
coupled constraints); the plain value is an upper bound on it, so a point found better
with plain values is better.

**Outer loop** (rounds), a trust-region scheme whose model is the relaxation. Round 1 uses
the declared box; ADMM starts at the best of the box midpoint and ``samples`` points on the
box diagonal — the incumbent. After ADMM converges on a box, the relaxation gap
``max |π − σ·f| / max(1, max |σ·f|)`` over the products π = w, u, t is measured at the
consensus σ, and F(σ) is evaluated; σ replaces the incumbent when F(σ) is better. When F(σ)
is +inf because a follower is infeasible at σ (a relaxed consensus just outside the signals
at which a follower whose constraints move with σ is feasible, typically at an optimum on
the edge of that domain), the nearest signals at which every follower is feasible
(:meth:`BilevelADMM._restore`, one convex program) are a candidate for the incumbent. The
next box (:func:`~gamecore.relaxations.resize_box`) is centred on the incumbent; entries
whose consensus value sits on an open face of the box (:func:`~gamecore.relaxations.
on_open_face`: a face that is not a declared limit — the box optimum wants to leave there)
get ``expand`` times the width when σ was accepted, all others ``factor`` times the width.
The factor boxes are reset to the initial bounds and re-tightened by OBBT; ADMM restarts
warm. When the gap ≤ ``relax_tol`` and no entry sits on an open face, the face probe
(:meth:`BilevelADMM._face_probe`, two batched pool calls): F at the 2k face centres of the
box around σ and at the vertices of the parabolas through the three values on each
segment (the relaxation's optimum leans towards the box centre, where the envelopes are
loosest; on a smooth objective the parabola step removes that bias). If a face improves on
F(σ) and on the incumbent by more than ``relax_tol``/10 (relative), it becomes the
incumbent and the improving entries move as above; a parabola vertex that does re-centres
the box for another round; otherwise stop. Also stop after ``max_rounds`` rounds (status
``max_iter``), or when a block's solver fails on a box even with the fallbacks (status
``max_iter``, the message says why).

**Branch and bound.** A local solution may be short of the first-round relaxation value (a
bound on the leader's optimum over the declared box, valid to ADMM accuracy). When it is short
by more than ``branch_tol`` (relative) and the followers see at most ``branch_signals`` signal
entries, the rounds go on as a branch and bound over the declared box of those entries: the
root's two halves (split along the entry where the first round's relaxation gap × relative
width was largest) are open boxes carrying the root's value as their bound; the open box with
the smallest bound is solved by one ADMM round (warm, from the incumbent clipped into it; a box
in which no signals meet the leader's constraints is pruned without a round), its relaxation
value (never below its parent's) becomes its bound, its consensus is evaluated (incumbent),
and it is split again (entry of the largest gap × width at its iterates) while its bound is
below the incumbent by more than the margin. A better incumbent hands the rounds back to the
trust region around it; when that settles again, branching resumes. It stops when no open box
is better than the incumbent by more than ``branch_tol`` (``extra['global']``: global to
ADMM accuracy) or after ``branch_nodes`` nodes; when it stops early (nodes, ``max_rounds``,
``max_iter``, the time limit) without having found a better point, the answer is the local
solution the trust region settled on (status ``converged``, the message says so).

**The leader's own decisions** (signal entries no follower sees, ``game.leader_only``) are
exact in the leader block and keep their declared box in every round; the true objective at
σ sets them to their best for the followers' responses
(:func:`gamecore.optimistic.leader_recourse`, or the optimistic selection, which chooses them
too), and the answer reports them so.

**Loops.** Both loops run through the solve's :class:`~gamecore.driver.Driver`
(:meth:`strategies.admm.ADMMMcCormick.run`): the outer loop ``"rounds"`` (one record per round,
the :class:`_Round` summary) and, per round k, the nested loop ``"round k"`` of ADMM
iterations (:meth:`BilevelADMM.step`, one record each), which stops at Boyd's rule, at
``round_iter`` iterations, or when ``max_iter`` (the total over all rounds) is used up.
:class:`BilevelADMM` holds the state and the pieces: :meth:`BilevelADMM.step` (one ADMM iteration),
:meth:`BilevelADMM.end_round` (gap, true objective, incumbent, face probe: whether to stop),
:meth:`BilevelADMM.next_round` (the next box) and :meth:`BilevelADMM.outcome`.

Why not simply shrink around the consensus σ (the textbook scheme): on a wide box the
relaxation is flat in σ — its optimal set is large and the interior-point/ADMM answer is
near the box centre, not near the leader's optimum (measured here: 50 % leader regret on
``analytic-stackelberg`` with plain shrinking). The incumbent and the open-face moves make
the box travel towards better true objectives; OBBT makes the envelopes tight enough for
the relaxation's σ to reach the face when the optimum lies outside.

**Fixed point.** Each round computes (to ADMM tolerance) the optimum of the McCormick
relaxation on that round's box. At termination (gap ≤ ``relax_tol``, σ off every open face, no
better face centre or parabola vertex) the consensus σ and the followers' x are bilevel
feasible up to the gap and optimal over the final box, with σ strictly inside it: a local
Stackelberg solution (a local optimum of the leader's problem with followers at best
response). It is global when its true objective matches the first-round relaxation value (a
bound on the leader's optimum over the declared box, valid up to the ADMM tolerance;
``extra['first_relaxation_value']``, with the difference in ``extra['bound_gap']``). The
answer is the consensus σ of the last round or the incumbent, whichever has the better true
objective (both re-evaluated); the outcome reports the responses achieving it (the
optimistic selection where it matters) and the certificate checks them. No bilevel-feasible
point found at all: status ``failed``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from gamecore.bilevel import (
    BilinearCosts,
    FollowerRelaxation,
    ReformulationError,
    check_reformulable,
    complete_bounds,
    leader_bilinear_costs,
)
from gamecore.canonical import Response
from gamecore.errors import FollowerSolveError, GameError, StrategyError
from gamecore.game import Game
from gamecore.leader import LeaderObjective
from gamecore.optimistic import follower_rows, leader_recourse, optimistic_selection
from gamecore.relaxations import on_open_face, resize_box
from gamecore.solver import (
    BASE_SETTINGS,
    LOOSEN_THEN_EQUILIBRATE,
    OK_STATUSES,
    new_solver,
)
from gamecore.solver import solve as solve_conic
from gamecore.strategy import Outcome, SolveContext
from gamecore.upper_level import leader_arguments

#: a consensus signal within this fraction of the box width of an open face is "on the face"
_EDGE_TOL = 1e-3
#: relative violation of the leader's constraints above which a point counts as infeasible
#: (the certificate's tolerance is 1e-5)
_LEADER_TOL = 1e-6
#: games with at most this many follower variables (canonical, summed) get the optimistic
#: selection at every round's consensus (a convex program over all followers, whose cost grows
#: with their variables); larger ones without leader constraints only at the answer
_OPTIMISTIC_MAX_VARS = 500
#: the optimistic selection replaces the plain best responses only when it improves the
#: leader's objective by more than this (relative; the certificate's optimistic-gap tolerance
#: is 1e-4)
_SELECTION_GAIN = 1e-6
#: residual balancing changes ρ at most once per this many iterations (changing it every
#: iteration made ρ oscillate on small boxes and rounds stall at ``round_iter``)
_BALANCE_EVERY = 10
#: registry name of the strategy this module implements (:class:`strategies.admm.ADMMMcCormick`)
NAME = "admm-mccormick"
#: retry policy of a block's solve when Clarabel stalls at 1e-8 (documented there)
_RETRY = LOOSEN_THEN_EQUILIBRATE


@contextmanager
def _as_strategy_error() -> Iterator[None]:
    """Report a follower the reformulation cannot handle as this strategy's usage error."""
    try:
        yield
    except ReformulationError as err:
        raise StrategyError(f"strategy '{NAME}': {err}") from None


def _parabola_vertex(a: float, b: float, c: float, fa: float, fb: float, fc: float) -> float | None:
    """Minimiser of the parabola through (a, fa), (b, fb), (c, fc), a < b < c, clipped to [a, c];
    None when it is not strictly convex there."""
    d1, d2 = (fb - fa) / (b - a), (fc - fb) / (c - b)
    curvature = (d2 - d1) / (c - a)          # half the second derivative
    if not curvature > 1e-12 * max(1.0, abs(d1), abs(d2)) / max(c - a, 1e-300):
        return None
    vertex = 0.5 * (a + b) - d1 / (2.0 * curvature)
    return float(np.clip(vertex, a, c))


def _signal_labels(prog: Any) -> list[str]:
    """Readable name of each program signal entry: ``price`` (scalar) or ``price[3]``."""
    labels = []
    for name in prog.signal_names:
        shape = tuple(prog.signal_shapes[name])
        size = int(np.prod(shape, dtype=int))
        labels += [f"'{name}'"] if not shape else [f"'{name}'[{e}]" for e in range(size)]
    return labels


def check_bilevel(game: Game) -> None:
    """Stackelberg mode: every follower reformulable, finite bounds on the signals it relaxes.

    (Finite bounds on the product factors are derived when the solve starts:
    :func:`gamecore.bilevel.complete_bounds`; a factor without one is refused there.)
    A leader with several objectives is refused: ADMM optimises one (use ``nsga-qp`` for a
    Pareto set, or a scalarised single objective).
    """
    if len(game.leader.objectives) > 1:
        objectives = [o.name for o in game.leader.objectives]
        raise StrategyError(f"strategy '{NAME}': the leader has {len(objectives)} objectives {objectives}; ADMM "
                            "optimises one. Use 'nsga-qp' for the Pareto set, or give the leader one (scalarised) "
                            "objective")
    with _as_strategy_error():
        for f in game.followers:
            check_reformulable(f.name, f.program)
    objective = game.leader.objectives[0]
    names = (set(game.layout.names) if objective.cost is not None or game.has_leader_constraints
             else {t.signal for t in objective.bilinear})
    names |= {nm for f in game.followers for nm in f.signal_names}
    for nm in sorted(names):
        sig = game.layout.signals[nm]
        if not sig.bounded:
            raise StrategyError(f"strategy '{NAME}': signal '{nm}' needs finite lower and upper bounds "
                                "(the McCormick envelopes of the Stackelberg mode are built on its box)")


class RelaxationBlock:
    """Follower i's ADMM block: its relaxation plus the two augmented consensus terms.

    ``argmin cost·ξ + (ρσ/2)‖σ_loc − α‖² + (ρy/2)‖y − β‖²`` over the relaxation on the
    current σ box, y = ``ξ[y_cols]`` the output columns the leader's cost uses.
    """

    def __init__(self, relaxation: FollowerRelaxation, y_cols: np.ndarray) -> None:
        self.rel = relaxation
        self.y_cols = np.asarray(y_cols, dtype=int)
        self.solver: Any = None
        self.rho_key: tuple[float, float] | None = None
        self.fallbacks = 0
        self.solver_s = 0.0          # seconds inside Clarabel of this block's solves
        self._system: tuple[sp.csc_matrix, np.ndarray, list[Any]] | None = None
        self._P_now: sp.csc_matrix | None = None     # P at rho_key
        #: nothing to agree on (no signal reaches it, no output the leader uses): never solved
        self.trivial = relaxation.S == 0 and self.y_cols.size == 0

    def build(self, sig_lo: np.ndarray, sig_hi: np.ndarray, rho_sig: float, rho_y: float) -> None:
        """(Re)build the Clarabel solver of the augmented block for the current box."""
        A, b, cones = self.rel.system(sig_lo, sig_hi)
        self._system = (A, b, cones)
        self._P_now = self._P(rho_sig, rho_y)
        self.solver = new_solver(self._P_now, self.rel.cost.copy(), A, b, cones, BASE_SETTINGS)
        self.rho_key = (rho_sig, rho_y)

    def _P(self, rho_sig: float, rho_y: float) -> sp.csc_matrix:
        rel = self.rel
        diag = np.zeros(rel.N)
        diag[rel.isig: rel.isig + rel.S] = rho_sig
        diag[self.y_cols] = rho_y
        idx = np.concatenate([np.arange(rel.isig, rel.isig + rel.S), self.y_cols]).astype(int)
        idx = np.unique(idx)
        return sp.csc_matrix((diag[idx], (idx, idx)), shape=(rel.N, rel.N))

    def solve(self, rho_sig: float, rho_y: float, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """argmin cost·ξ + (ρσ/2)‖σ_loc − α‖² + (ρy/2)‖y − β‖² over the relaxation; returns ξ."""
        rel = self.rel
        q = rel.cost.copy()
        q[rel.isig: rel.isig + rel.S] -= rho_sig * alpha
        q[self.y_cols] -= rho_y * beta
        if self.rho_key != (rho_sig, rho_y):
            self._P_now = self._P(rho_sig, rho_y)
            self.solver.update(P=self._P_now, q=q)
            self.rho_key = (rho_sig, rho_y)
        else:
            self.solver.update(q=q)
        # an interior-point stall near a degenerate optimum is retried on fresh solvers (_RETRY)
        assert self._system is not None and self._P_now is not None, "build() first"
        A, b, cones = self._system
        found = solve_conic(self._P_now, q, A, b, cones, BASE_SETTINGS, _RETRY, solver=self.solver)
        self.fallbacks += found.retries
        self.solver_s += found.solve_time
        if found.x is None:
            raise FollowerSolveError(rel.name, found.status, {"sigma_local": alpha},
                                     "ADMM block of the McCormick relaxation")
        return found.x

    def y(self, xi: np.ndarray) -> np.ndarray:
        return xi[self.y_cols]


@dataclass
class _Round:
    """Summary of one bound-tightening round."""

    round: int
    iterations: int
    relaxation_value: float
    gap: float
    box_width: float
    leader_objective: float
    obbt_failures: int
    accepted: bool
    moving: int
    face_probe: bool
    inexact: bool
    phase: str = "local"
    open_boxes: int = 0


@dataclass
class _Box:
    """An open box of the branch and bound: its bounds on the signals and the relaxation value of
    its parent (a lower bound on the leader's objective over the box, to ADMM tolerance)."""

    lo: np.ndarray
    hi: np.ndarray
    bound: float


class BilevelADMM:
    """State and logic of the Stackelberg mode: one :meth:`step` = one ADMM iteration on the
    current box, :meth:`end_round` / :meth:`next_round` between rounds (the loops themselves
    run in :meth:`strategies.admm.ADMMMcCormick.run`)."""

    def __init__(self, ctx: SolveContext) -> None:
        self.ctx = ctx
        game, opts = ctx.game, ctx.options
        self.game = game
        objective = game.leader.objectives[0]
        self.sign = 1.0 if objective.sense == "min" else -1.0
        layout = game.layout
        self.limits = (layout.lower(), layout.upper())
        self._solver_counted = 0.0   # block and bound-tightening solver seconds already in ctx.leader_solver_s
        # true objectives at the consensus by optimistic selection (exact for degenerate
        # followers and coupled constraints) on small games and games with leader constraints
        self.optimistic = (game.has_leader_constraints
                           or sum(f.program.n for f in game.followers) <= _OPTIMISTIC_MAX_VARS)
        # -- leader terms -> per follower linear costs on w / u ---------------------------
        self._leader_cost(objective)
        self._make_blocks(leader_bilinear_costs(game, objective))
        self.count = np.zeros(layout.size)
        for blk in self.blocks:
            self.count[blk.rel.local] += 1
        # -- normalisation of the consensus (one rho for signals and outputs) -------------------
        width = self.limits[1] - self.limits[0]
        finite = np.isfinite(width) & (width > 0)
        self.w_sig0 = self.w_sig = float(width[finite].max()) if finite.any() else 1.0
        # -- box, start point --------------------------------------------------------------------
        self.lo = np.where(np.isfinite(self.limits[0]), self.limits[0], 0.0)
        self.hi = np.where(np.isfinite(self.limits[1]), self.limits[1], 0.0)
        start, F0 = self._incumbent_start(opts.samples)
        self.incumbent, self.F_inc = start.copy(), F0
        best = self._responses(start)
        self.w_y0 = self.w_y = self._output_scale([best] + list(self._sampled))
        self.sigma = start.copy()
        self.u = [np.zeros(b.rel.S) for b in self.blocks]
        self.yhat = [self._y_of(i, best[i]) for i in range(len(self.blocks))]
        self.t = [np.zeros_like(y) for y in self.yhat]
        scale = abs(F0) if np.isfinite(F0) else 1.0
        self.rho = float(opts.rho) if opts.rho > 0 else max(1.0, scale) / max(1, len(self.blocks))
        self._leader_problem()
        # -- first round ---------------------------------------------------------------------------
        self.round = 1
        self.obbt_failures = self._tighten()
        self._set_scales()
        self._build_blocks()
        self.iter_in_round = 0
        self.rounds: list[_Round] = []
        self.first_value: float | None = None
        self.r_norm = self.s_norm = np.inf
        self.r_sig = self.r_y = np.inf
        self.eps_pri = self.eps_dual = 0.0
        self.rho_changes = 0
        self.last_balance = 0
        self.inexact_rounds = 0
        #: the relaxation rule held at the end of the last round (set by :meth:`end_round`)
        self.done = False
        self.gap = np.inf
        self.xi: list[np.ndarray] = []
        self.leader_F = 0.0
        self.F_round = float("inf")
        self.restored = 0
        self.block_error: str | None = None
        # branch and bound (options.branch): open boxes, the node being solved, the next box
        self.phase = "local"
        self.open_boxes: list[_Box] = []
        self.branched = False
        self.nodes = 0
        self._node: _Box | None = None
        self._next_box: tuple[np.ndarray, np.ndarray] | None = None
        self._root_scores = np.zeros(layout.size)
        #: the incumbent's objective when the trust region's rule last held (None: never)
        self.settled_F: float | None = None
        self.settled_gap = float("nan")
        self.settled_sigma: np.ndarray | None = None
        self.closed_bound = float("inf")     # smallest bound of the boxes the branch and bound closed

    def _leader_cost(self, objective: LeaderObjective) -> None:
        """The leader's convex remainder F(σ, Y) (minimisation form), its constraints, and the aggregates Y they use."""
        game, layout = self.game, self.game.layout
        self.sigma_var = cp.Variable(layout.size, name="sigma")
        shapes = game.output_shapes
        agg_vars = {o: cp.Variable(int(np.prod(s, dtype=int)), name=f"agg_{o}") for o, s in shapes.items()}
        self.cost_expr: cp.Expression | None = None
        ids: set[int] = set()
        if objective.cost is not None:
            sig_exprs, agg_exprs = leader_arguments(layout, self.sigma_var, agg_vars, shapes)
            expr = cp.sum(cp.Expression.cast_to_const(objective.cost(sig_exprs, agg_exprs)))
            expr = self.sign * expr
            if not expr.is_convex():
                raise StrategyError(f"strategy '{NAME}': the cost of leader objective '{objective.name}' is not "
                                    f"{'convex' if self.sign > 0 else 'concave'} (DCP) in signals and aggregates")
            ids |= {v.id for v in expr.variables()}
            self.cost_expr = expr
        # leader constraints over (σ, Y): Y_o = Σ_i y_i[o] over every follower sending output o
        self.leader_constraints: list[cp.Constraint] = []
        if game.has_leader_constraints:
            assert game.leader_constraints is not None
            self.leader_constraints = game.leader_constraints.build(self.sigma_var, agg_vars)
            ids |= {v.id for con in self.leader_constraints for v in con.variables()}
        self.used: list[str] = [o for o, v in agg_vars.items() if v.id in ids]
        self.agg_vars = {o: agg_vars[o] for o in self.used}

    def _make_blocks(self, costs: BilinearCosts) -> None:
        """One relaxation block per follower, with the output columns the leader's cost uses."""
        game = self.game
        self.senders = {o: game.senders(o) for o in self.used}
        self.blocks: list[RelaxationBlock] = []
        self.y_slices: list[dict[str, slice]] = []
        for i, f in enumerate(game.followers):
            cols, slices, off = [], {}, 0
            for o in self.used:
                if o in f.output_shapes:
                    c, _ = f.program.outputs[o]
                    cols.append(c)
                    slices[o] = slice(off, off + c.size)
                    off += c.size
            y_cols = np.concatenate(cols) if cols else np.zeros(0, dtype=int)
            with _as_strategy_error():
                relaxation = FollowerRelaxation(f.name, f.program, game.signal_index[i], costs.w[i], costs.u[i],
                                                signal_box=self.limits, signal_labels=_signal_labels(f.program),
                                                sigma_cost=costs.sigma[i])
            self.blocks.append(RelaxationBlock(relaxation, y_cols))
            self.y_slices.append(slices)
        # finite initial bounds on every product factor (KKT-set MIPs where the conic bounds are infinite)
        start = time.perf_counter()
        with _as_strategy_error():
            self.bound_mips = complete_bounds(game, [blk.rel for blk in self.blocks])
        self.bound_s = time.perf_counter() - start

    def _incumbent_start(self, samples: int) -> tuple[np.ndarray, float]:
        """Best of the box midpoint and ``samples`` points on the box diagonal (one batched pool call).

        Returns the point and its true leader objective (:meth:`_evaluate`; +inf when none
        of the points is bilevel feasible).
        """
        layout = self.game.layout
        lo, hi = self.lo, self.hi
        points = [self.ctx.project(layout.midpoint())]
        points += [self.ctx.project(lo + th * (hi - lo)) for th in (np.arange(samples) + 0.5) / max(samples, 1)]
        values = self._evaluate(points, keep=True)
        k = int(np.argmin(values))
        return points[k], float(values[k])

    # -- true objective --------------------------------------------------------------------------
    def _responses(self, sigma: np.ndarray, keep_x: bool = False) -> list[Response]:
        """Followers' best responses at σ (a failed follower keeps its status; nothing raises)."""
        return self.ctx.pool.respond_many([self.ctx.project(sigma)], keep_x=keep_x, raise_on_failure=False)[0]

    def _value(self, sigma: np.ndarray, responses: Sequence[Response]) -> float:
        """The leader's first objective (min form) at given responses (:meth:`_value_at`)."""
        return self._value_at(sigma, responses)[0]

    def _value_at(self, sigma: np.ndarray, responses: Sequence[Response]) -> tuple[float, np.ndarray]:
        """The leader's first objective (min form) at given responses and the signals it is at; +inf
        when a follower has no optimal response or the leader's constraints fail there by more than
        :data:`_LEADER_TOL`.

        With leader-only signal entries (its own decisions) the value is that of its best own
        decisions at these responses and the signals have them
        (:func:`gamecore.optimistic.leader_recourse`; +inf when none meets its constraints)."""
        if not all(r.ok for r in responses):
            return float("inf"), sigma
        game = self.game
        if game.has_leader_only:
            recourse = leader_recourse(game, sigma, responses)
            if recourse.value is None or recourse.signals is None:
                return float("inf"), sigma
            sigma = recourse.signals
        if game.has_leader_constraints and game.leader_violation(sigma, responses) > _LEADER_TOL:
            return float("inf"), sigma
        return float(game.leader_objectives(game.layout.unpack(sigma), responses)[0]), sigma

    def _evaluate(self, points: Sequence[np.ndarray], keep: bool = False) -> np.ndarray:
        """True leader objective at each point, followers at (plain) best response (one batched pool call).

        With a follower indifferent between responses the re-solved response is one of its
        optima, so this is an upper bound on the optimistic value (:meth:`_evaluate_at`): a
        point found better here is better.
        """
        vectors = [self.ctx.project(p) for p in points]
        batches = self.ctx.pool.respond_many(vectors, keep_x=False, raise_on_failure=False)
        if keep:
            self._sampled = batches
        return np.array([self._value(v, r) for v, r in zip(vectors, batches)])

    def _followers_infeasible(self, sigma: np.ndarray) -> bool:
        """True when some follower has no feasible point at σ (its response is ``infeasible``)."""
        return any(r.status == "infeasible" for r in self._responses(sigma))

    def _evaluate_at(self, sigma: np.ndarray) -> tuple[float, list[Response] | None, np.ndarray]:
        """True leader objective at σ, the responses achieving it and the signals it is at.

        With :attr:`optimistic` the leader-best selection from the followers' optimal sets
        (:func:`gamecore.optimistic.optimistic_selection`, leader constraints included; +inf
        when no selection meets them), else the plain best responses. The signals are σ
        with the leader-only entries at their best (:func:`gamecore.optimistic.leader_recourse`
        or the selection's), σ itself on a game without such entries.
        """
        sigma = self.ctx.project(sigma)
        best = self._responses(sigma, keep_x=True)
        plain, completed = self._value_at(sigma, best)
        if not np.isfinite(plain) and all(r.ok for r in best) and self._signal_constraints_only:
            # the leader's constraints bind the signals alone and the consensus misses them by the
            # ADMM tolerance: evaluate the nearest signals that meet them
            restored = self._restore(sigma)
            if restored is not None:
                sigma, best = restored, self._responses(restored, keep_x=True)
                plain, completed = self._value_at(sigma, best)
        at = self.ctx.project(completed) if self.game.has_leader_only and np.isfinite(plain) else sigma
        if not all(r.ok for r in best):
            return plain, None, at
        if self.optimistic:
            selection = optimistic_selection(self.game, sigma, best)
            if selection.value is not None and selection.responses is not None and selection.signals is not None:
                chosen = self.ctx.project(selection.signals)
                value = self._value(chosen, selection.responses)
                # the selection's tolerance lets a follower with a unique response move by ~1e-7 in
                # the leader's favour: keep the exact best responses unless the selection matters
                if not np.isfinite(plain) or value < plain - _SELECTION_GAIN * max(1.0, abs(plain)):
                    return value, selection.responses, chosen
            elif selection.status == "infeasible" and self.game.has_leader_constraints:
                return float("inf"), None, at
        return plain, (best if np.isfinite(plain) else None), at

    @property
    def _signal_constraints_only(self) -> bool:
        """True when the leader has constraints and none of them involves a follower output."""
        cons = self.game.leader_constraints
        return self.game.has_leader_constraints and cons is not None and not cons.outputs

    def _restore(self, sigma: np.ndarray) -> np.ndarray | None:
        """The nearest σ' (box-normalised distance, declared box) at which every follower is feasible.

        A relaxed consensus can lie just outside the signals for which a follower whose
        constraints move with σ (``Bs ≠ 0``) has a feasible point (the relaxation holds to the
        solver's tolerance), typically when the optimum sits on the edge of that domain.
        One convex program over (σ', x_1, …, x_N): primal feasibility of each follower, the
        leader's constraints on σ alone, σ' in the declared box. None when it fails.
        """
        game = self.game
        lo, hi = self.limits
        width = np.where(np.isfinite(hi - lo) & (hi > lo), hi - lo, 1.0)
        s = cp.Variable(game.layout.size)
        cons: list[cp.Constraint] = [s >= np.where(np.isfinite(lo), lo, -1e20),
                                     s <= np.where(np.isfinite(hi), hi, 1e20)]
        for i, f in enumerate(game.followers):
            prog = f.program
            if not (prog.Bs.nnz and np.abs(prog.Bs.data).max() > 0):
                continue
            x = cp.Variable(prog.n)
            cons += follower_rows(prog, x, prog.b0 + sp.csr_matrix(prog.Bs) @ s[game.signal_index[i]])
        leader_cons = game.leader_constraints if game.has_leader_constraints else None
        if leader_cons is not None and not leader_cons.outputs:
            aggs = {o: cp.Variable(int(np.prod(sh, dtype=int))) for o, sh in game.output_shapes.items()}
            cons += leader_cons.build(s, aggs)
        problem = cp.Problem(cp.Minimize(cp.sum_squares(cp.multiply(1.0 / width, s - sigma))), cons)
        try:
            problem.solve(solver=cp.CLARABEL)
        except cp.SolverError:
            return None
        if problem.status not in OK_STATUSES or s.value is None:
            return None
        return self.ctx.project(np.asarray(s.value, dtype=float))

    # -- setup helpers ---------------------------------------------------------------------------
    def _y_of(self, i: int, response: Response) -> np.ndarray:
        parts = [np.ravel(response.outputs[o]) for o in self.y_slices_for(i)]
        y = np.concatenate(parts) if parts else np.zeros(0)
        return np.where(np.isfinite(y), y, 0.0)     # a follower without a response at the start: 0

    def y_slices_for(self, i: int) -> list[str]:
        f = self.game.followers[i]
        return [o for o in self.used if o in f.output_shapes]

    def _output_scale(self, batches: Sequence[Sequence[Response]]) -> float:
        """Normaliser of the y consensus: the largest |output| entry the leader uses over the
        start point and the sampled points (1 output unit when they are all 0, e.g. a follower
        that answers 0 everywhere sampled: a tiny scale would freeze y by a huge ρy)."""
        mags = [float(np.abs(np.ravel(best[i].outputs[o])).max()) for best in batches for i in range(len(best))
                for o in self.y_slices_for(i) if best[i].ok and np.size(best[i].outputs[o])]
        mags = [m for m in mags if np.isfinite(m)]
        top = max(mags, default=0.0)
        return top if top > 1e-9 else 1.0

    def _leader_problem(self) -> None:
        """Leader block: min F/ρσ + ½Σ n_j(σ_j − ā_j)² + Σ_o (wσ²/wy²)/(2N_o)‖Y_o − B_o‖² over the box."""
        n = self.game.layout.size
        self.p_inv_rho = cp.Parameter(nonneg=True, value=1.0)
        self.p_abar = cp.Parameter(n, value=np.zeros(n))
        self.p_lo = cp.Parameter(n, value=self.lo.copy())
        self.p_hi = cp.Parameter(n, value=self.hi.copy())
        self.p_B = {o: cp.Parameter(v.size, value=np.zeros(v.size)) for o, v in self.agg_vars.items()}
        weight = np.sqrt(self.count)
        terms = [0.5 * cp.sum_squares(cp.multiply(weight, self.sigma_var - self.p_abar))]
        ratio = (self.w_sig / self.w_y) ** 2
        for o, var in self.agg_vars.items():
            terms.append(ratio / (2.0 * len(self.senders[o])) * cp.sum_squares(var - self.p_B[o]))
        if self.cost_expr is not None:
            terms.append(self.p_inv_rho * self.cost_expr)
        self.leader = cp.Problem(cp.Minimize(cp.sum(cp.hstack(terms)) if len(terms) > 1 else terms[0]),
                                 [self.sigma_var >= self.p_lo, self.sigma_var <= self.p_hi] + self.leader_constraints)
        self.closed_form = self.cost_expr is None and not self.agg_vars and not self.leader_constraints

    def _rhos(self) -> tuple[float, float]:
        return self.rho / self.w_sig ** 2, self.rho / self.w_y ** 2

    def _build_blocks(self) -> None:
        rs, ry = self._rhos()
        for blk in self.blocks:
            if not blk.trivial:
                blk.build(self.lo[blk.rel.local], self.hi[blk.rel.local], rs, ry)

    def _set_scales(self) -> None:
        """Normalise the consensus by the current box: σ by its widest entry, y proportionally.

        The actual penalties ρσ = ρ/wσ², ρy = ρ/wy² are kept (warm start), so the normalised
        ρ is rescaled with the box.
        """
        new = self._held_width()
        new = max(new if new > 0 else self.w_sig, 1e-12 * self.w_sig0)
        self.rho *= (new / self.w_sig) ** 2
        self.w_sig = new
        self.w_y = self.w_y0 * new / self.w_sig0
        self.center = 0.5 * (self.lo + self.hi)
        self.y_round = [y.copy() for y in self.yhat]

    def _count_solver_time(self) -> None:
        """Add the seconds the relaxation blocks and the bound tightening spent inside Clarabel
        since the last call to ``ctx.leader_solver_s`` (so ``Result.solver_s`` includes them)."""
        total = sum(blk.solver_s + blk.rel.solver_s for blk in self.blocks)
        self.ctx.leader_solver_s += total - self._solver_counted
        self._solver_counted = total

    def _tighten(self) -> int:
        failures = 0
        for blk in self.blocks:
            rel = blk.rel
            rel.reset_bounds()
            if self.ctx.options.obbt:
                for _ in range(self.ctx.options.obbt_passes):
                    failures += rel.tighten_bounds(self.lo[rel.local], self.hi[rel.local])
        return failures

    # -- one ADMM iteration ------------------------------------------------------------------------
    @property
    def boyd_converged(self) -> bool:
        """Boyd's rule on the last iteration: primal and dual residuals within ε_pri / ε_dual
        (False after a block failure: that iteration's residuals were not computed)."""
        return self.block_error is None and self.r_norm <= self.eps_pri and self.s_norm <= self.eps_dual

    def step(self, iteration: int) -> None:
        """ADMM iteration ``iteration`` (1-based, within the current round).

        A block whose solver fails on this box even with the fallbacks sets
        :attr:`block_error` and ends the iteration (the caller stops with the best point so far).
        """
        opts = self.ctx.options
        self._count_solver_time()
        self.iter_in_round = iteration
        rs, ry = self._rhos()
        # follower blocks (in-process)
        self.xi = []
        sig_loc, y_loc = [], []
        for i, blk in enumerate(self.blocks):
            if blk.trivial:
                xi = np.zeros(blk.rel.N)
                self.xi.append(xi)
                sig_loc.append(xi[:0])
                y_loc.append(xi[:0])
                continue
            alpha = self.sigma[blk.rel.local] - self.u[i]
            beta = self.yhat[i] - self.t[i]
            try:
                xi = blk.solve(rs, ry, alpha, beta)
            except FollowerSolveError as err:
                # the block's solver fails on this box even with the fallbacks: stop with the
                # best point found so far (status max_iter, the message says why)
                self.block_error = str(err)
                return
            self.xi.append(xi)
            sig_loc.append(blk.rel.sigma(xi))
            y_loc.append(blk.y(xi))
        # leader block
        old_sigma, old_yhat = self.sigma.copy(), [y.copy() for y in self.yhat]
        try:
            self._leader_update(sig_loc, y_loc)
        except GameError as err:
            # the leader block fails on this box (e.g. Clarabel's iteration limit on a thin
            # branch-and-bound node): stop with the best point so far, as for a follower block
            self.block_error = str(err)
            return
        self._dual_update(sig_loc, y_loc, old_sigma, old_yhat)
        if self.boyd_converged or self.iter_in_round >= opts.round_iter:
            return       # the round ends here (no rebalancing on its last iteration)
        if opts.balance and self.iter_in_round - self.last_balance >= _BALANCE_EVERY:
            new_rho, changed = opts.rebalance(self.rho, self.r_norm / self.eps_pri, self.s_norm / self.eps_dual)
            if changed:
                scale = self.rho / new_rho
                self.u = [u * scale for u in self.u]
                self.t = [t * scale for t in self.t]
                self.rho = new_rho
                self.rho_changes += 1
                self.last_balance = self.iter_in_round

    def _dual_update(self, sig_loc: list[np.ndarray], y_loc: list[np.ndarray], old_sigma: np.ndarray,
                     old_yhat: list[np.ndarray]) -> None:
        """Scaled dual updates; Boyd's residuals and ε's on the box-normalised consensus."""
        opts = self.ctx.options
        r2_sig = r2_y = s2 = x2 = z2 = d2 = 0.0
        count = 0
        for i, blk in enumerate(self.blocks):
            local = blk.rel.local
            rs_i = sig_loc[i] - self.sigma[local]
            ry_i = y_loc[i] - self.yhat[i]
            self.u[i] += rs_i
            self.t[i] += ry_i
            r2_sig += float(rs_i @ rs_i) / self.w_sig ** 2
            r2_y += float(ry_i @ ry_i) / self.w_y ** 2
            ds = self.sigma[local] - old_sigma[local]
            dy = self.yhat[i] - old_yhat[i]
            s2 += float(ds @ ds) / self.w_sig ** 2 + float(dy @ dy) / self.w_y ** 2
            # primal iterate norms relative to the round's box centre / starting outputs
            xs, xy = sig_loc[i] - self.center[local], y_loc[i] - self.y_round[i]
            zs, zy = self.sigma[local] - self.center[local], self.yhat[i] - self.y_round[i]
            x2 += float(xs @ xs) / self.w_sig ** 2 + float(xy @ xy) / self.w_y ** 2
            z2 += float(zs @ zs) / self.w_sig ** 2 + float(zy @ zy) / self.w_y ** 2
            d2 += float(self.u[i] @ self.u[i]) / self.w_sig ** 2 + float(self.t[i] @ self.t[i]) / self.w_y ** 2
            count += blk.rel.S + self.yhat[i].size
        self.r_norm = float(np.sqrt(r2_sig + r2_y))
        # its two parts: the followers' copies of the signals (prices) and their outputs (power)
        self.r_sig, self.r_y = float(np.sqrt(r2_sig)), float(np.sqrt(r2_y))
        self.s_norm = self.rho * float(np.sqrt(s2))
        root = np.sqrt(max(count, 1))
        eps_abs, eps_rel = opts.tolerances()
        self.eps_pri = root * eps_abs + eps_rel * float(np.sqrt(max(x2, z2)))
        self.eps_dual = root * eps_abs + eps_rel * self.rho * float(np.sqrt(d2))

    def _leader_update(self, sig_loc: list[np.ndarray], y_loc: list[np.ndarray]) -> None:
        n = self.game.layout.size
        acc = np.zeros(n)
        for i, blk in enumerate(self.blocks):
            np.add.at(acc, blk.rel.local, sig_loc[i] + self.u[i])
        held = self.count > 0
        abar = np.where(held, acc / np.maximum(self.count, 1), self.sigma)
        B = {o: np.zeros(v.size) for o, v in self.agg_vars.items()}
        for i in range(len(self.blocks)):
            for o, sl in self.y_slices[i].items():
                B[o] += y_loc[i][sl] + self.t[i][sl]
        if self.closed_form:
            self.sigma = np.where(held, np.clip(abar, self.lo, self.hi), self.sigma)
            Y = {}
        else:
            rs, _ = self._rhos()
            self.p_inv_rho.value = 1.0 / rs
            self.p_abar.value = abar
            self.p_lo.value, self.p_hi.value = self.lo, self.hi
            for o, p in self.p_B.items():
                p.value = B[o]
            start = time.perf_counter()
            self.leader.solve(solver=cp.CLARABEL)
            self.ctx.leader_solver_s += time.perf_counter() - start
            if self.leader.status not in ("optimal", "optimal_inaccurate"):
                raise GameError(f"admm: leader block of the relaxation is {self.leader.status}")
            self.sigma = np.clip(np.asarray(self.sigma_var.value, dtype=float), self.lo, self.hi)
            Y = {o: np.asarray(v.value, dtype=float).ravel() for o, v in self.agg_vars.items()}
            self.leader_F = float(np.asarray(self.cost_expr.value)) if self.cost_expr is not None else 0.0
        for i in range(len(self.blocks)):
            yh = self.yhat[i].copy()
            for o, sl in self.y_slices[i].items():
                yh[sl] = y_loc[i][sl] + self.t[i][sl] + (Y[o] - B[o]) / len(self.senders[o])
            self.yhat[i] = yh

    # -- rounds ---------------------------------------------------------------------------------------
    def relaxation_gap(self) -> float:
        worst, scale = 0.0, 0.0
        for blk, xi in zip(self.blocks, self.xi):
            relaxed, exact = blk.rel.products(xi, self.sigma)
            if relaxed.size:
                worst = max(worst, float(np.abs(relaxed - exact).max()))
                scale = max(scale, float(np.abs(exact).max()))
        return worst / max(1.0, scale)

    def relaxation_value(self) -> float:
        return self.leader_F + sum(blk.rel.cost_value(xi) for blk, xi in zip(self.blocks, self.xi))

    def end_round(self, inexact: bool = False) -> _Round:
        """Close the current round (its ADMM iterations are done): relaxation gap, true objective
        at the consensus, incumbent update, face probe; sets :attr:`done` when the relaxation
        rule holds (stop). ``inexact``: the round ended at ``round_iter`` before Boyd's rule held.
        Returns the round's summary (also appended to :attr:`rounds`)."""
        opts = self.ctx.options
        if inexact:
            self.inexact_rounds += 1
        self.gap = self.relaxation_gap()
        value = self.relaxation_value()
        if self.first_value is None:
            self.first_value = value
            self._root_scores = self._gap_scores()     # where the declared box's relaxation is loosest
        F, _, at = self._evaluate_at(self.sigma)
        self.F_round = F
        F_before = self.F_inc
        self.accepted = F < self.F_inc
        if self.accepted:
            self.incumbent, self.F_inc = at.copy(), F
        elif not np.isfinite(F) and self._followers_infeasible(self.sigma):
            # the consensus lies (to the relaxation's tolerance) outside the followers' domain:
            # its nearest feasible signals are a candidate
            restored = self._restore(self.sigma)
            if restored is not None:
                F_restored, _, at = self._evaluate_at(restored)
                if F_restored < self.F_inc:
                    self.incumbent, self.F_inc = at, F_restored
                    self.restored += 1
        phase = self.phase
        probed = False
        if phase == "branch":
            # a node of the branch and bound: prune or split it, go on locally from a better incumbent
            self.moving = np.zeros_like(self.lo, dtype=bool)
            stop = self._end_node(value, F_before)
        else:
            self.moving = self._moving_entries()
            stop = self.gap <= opts.relax_tol and not self.moving.any()
            if stop:
                # about to stop: check box-local optimality on the true objective
                probed = True
                improving, moved = self._face_probe(F)
                if improving.any() or moved:
                    self.moving, self.accepted, stop = improving, True, False
            if stop:
                self.settled_F = self.F_inc     # the trust region's rule holds at the incumbent
                self.settled_gap = self.gap
                self.settled_sigma = self.incumbent.copy()
                if 0 < int((self.count > 0).sum()) <= opts.branch_signals:
                    stop = self._branch()
        summary = _Round(self.round, self.iter_in_round, value, self.gap, self._held_width(), F,
                         self.obbt_failures, bool(self.accepted), int(self.moving.sum()), probed, inexact, phase,
                         len(self.open_boxes))
        self.rounds.append(summary)
        self.done = bool(stop)
        return summary

    # -- branch and bound ------------------------------------------------------------------------
    def _held_width(self) -> float:
        """Widest current box entry among the signals the followers see (the leader's own entries
        keep their declared box)."""
        held = self.count > 0
        widths = (self.hi - self.lo)[held] if held.any() else self.hi - self.lo
        return float(widths.max()) if widths.size else 0.0

    def _tolerance(self) -> float:
        """The branch and bound's pruning margin: ``branch_tol · max(1, |F_inc|)`` (objective units)."""
        return self.ctx.options.branch_tol * max(1.0, abs(self.F_inc)) if np.isfinite(self.F_inc) else 0.0

    def _gap_scores(self) -> np.ndarray:
        """Per game signal entry: the largest relaxation gap |π − σ·f| of the products it enters at the
        last round's iterates, relative to ``max(1, max |σ·f|)`` (zeros before any round)."""
        scores = np.zeros(self.game.layout.size)
        scale = 1.0
        for blk, xi in zip(self.blocks, self.xi):
            relaxed, exact = blk.rel.products(xi, self.sigma)
            if relaxed.size:
                scale = max(scale, float(np.abs(exact).max()))
                np.maximum.at(scores, blk.rel.local[blk.rel.product_signals()], np.abs(relaxed - exact))
        return scores / scale

    def _split(self, lo: np.ndarray, hi: np.ndarray, bound: float, scores: np.ndarray) -> list[_Box]:
        """The two halves of a box among the signals the followers see, along the entry with the largest
        relaxation gap ``scores`` times its width relative to the declared box (the widest such entry
        when every gap is 0); none when every entry is narrower than 1e-6 of its declared width."""
        declared = self.limits[1] - self.limits[0]
        held = (self.count > 0) & (declared > 0)
        rel = np.where(held, (hi - lo) / np.where(declared > 0, declared, 1.0), 0.0)
        if rel.max(initial=0.0) <= 1e-6:
            return []
        weighted = np.where(rel > 1e-6, scores * rel, 0.0)
        j = int(np.argmax(weighted)) if weighted.max(initial=0.0) > 0 else int(np.argmax(rel))
        mid = 0.5 * (lo[j] + hi[j])
        left_hi, right_lo = hi.copy(), lo.copy()
        left_hi[j], right_lo[j] = mid, mid
        return [_Box(lo.copy(), left_hi, bound), _Box(right_lo, hi.copy(), bound)]

    def _branch(self) -> bool:
        """The trust region has stopped: True (stop) when no open box's bound is better than the
        incumbent by more than the tolerance; else the best-bound open box is the next round's."""
        if not np.isfinite(self.F_inc):
            return True
        if not self.branched:
            self.branched = True
            root = self.first_value if self.first_value is not None else -np.inf
            lo = np.where(np.isfinite(self.limits[0]), self.limits[0], self.lo)
            hi = np.where(np.isfinite(self.limits[1]), self.limits[1], self.hi)
            self.open_boxes = (self._split(lo, hi, root, self._root_scores) if root < self.F_inc - self._tolerance()
                               else [])
        margin = self.F_inc - self._tolerance()
        self._close([b.bound for b in self.open_boxes if b.bound >= margin])
        self.open_boxes = sorted((b for b in self.open_boxes if b.bound < margin), key=lambda b: b.bound)
        while self.open_boxes and self.nodes < self.ctx.options.branch_nodes:
            node = self.open_boxes.pop(0)
            if self._leader_feasible(node.lo, node.hi):
                self._node = node
                self._next_box = (node.lo, node.hi)
                self.phase = "branch"
                return False
            self.nodes += 1         # no signals in the box meet the leader's constraints: pruned
        return True

    def _leader_feasible(self, lo: np.ndarray, hi: np.ndarray) -> bool:
        """Whether some signals in the box (the leader's own entries in their declared box) meet the
        leader's constraints: the leader block solved once on it (aggregates free)."""
        if not self.leader_constraints:
            return True
        own = self.game.leader_only
        self.p_lo.value = np.where(own, self.limits[0], lo)
        self.p_hi.value = np.where(own, self.limits[1], hi)
        try:
            self.leader.solve(solver=cp.CLARABEL)
        except cp.SolverError:
            return True             # undecided: let the round find out
        return self.leader.status not in ("infeasible", "infeasible_inaccurate")

    def _end_node(self, value: float, F_before: float) -> bool:
        """Close a node round: its relaxation value bounds its box (never below the parent's); split
        the box when that bound is better than the incumbent; a better incumbent restarts the trust
        region from it, else the next open box follows. Returns True to stop."""
        node = self._node
        assert node is not None
        self.nodes += 1
        bound = max(node.bound, value)
        tol = self._tolerance()
        children = self._split(node.lo, node.hi, bound, self._gap_scores()) if bound < self.F_inc - tol else []
        self.open_boxes += children
        if not children:                # pruned, or too narrow to split: its bound stands for it
            self._close([bound])
        self._node = None
        if self.F_inc < F_before - tol:
            self.phase, self._next_box = "local", None      # trust region around the new incumbent
            return False
        return self._branch()

    def _close(self, bounds: Sequence[float]) -> None:
        """Boxes leave the branch and bound with these bounds: keep the smallest (the bound of the
        closed part of the signal box)."""
        if bounds:
            self.closed_bound = min(self.closed_bound, min(bounds))

    @property
    def settled(self) -> bool:
        """The answer is a point at which the trust region's rule held: the branch and bound, if it
        ran, found nothing better (an early stop in it then leaves that local solution)."""
        return self.settled_F is not None and self.F_inc >= self.settled_F

    @property
    def branch_bound(self) -> float | None:
        """The smallest bound of every box the branch and bound opened (closed or still open; the
        answer's value when that is lower); None before branching. A lower bound on the leader's
        optimum over the declared box to ADMM accuracy (not a proven bound: ADMM solves each
        relaxation to its tolerance only)."""
        if not self.branched:
            return None
        bounds = [b.bound for b in self.open_boxes] + [self.closed_bound]
        return float(min(bounds + [self.F_inc]))

    def _face_probe(self, F: float) -> tuple[np.ndarray, bool]:
        """True leader objective around the consensus σ in the box (two batched pool calls).

        First σ itself and, for each held entry j, σ with σ_j at the box's lower / upper
        bound (the face centres); with :attr:`optimistic` these points are also evaluated by
        optimistic selection (the better value counts). Then, per entry j strictly inside its box, the vertex of
        the parabola through the three values on the segment (when convex), alone and all
        entries at once: the relaxation's optimum is biased towards the box centre (the
        envelopes over-estimate the products most there), which these candidates undo on a
        smooth objective. The best point tried becomes the incumbent if it beats it.

        Returns ``(improving, moved)``: the mask of entries with a face better than both
        F(σ) and the incumbent by more than ``relax_tol / 10`` relative (smaller improvements
        are below the accuracy asked for; those entries move the box), and whether a
        parabola candidate beat them by that much (the box is re-centred on it for another
        round). With a tight relaxation and a smooth objective neither happens; a face that
        improves reveals relaxation bias.
        """
        layout_size = self.game.layout.size
        improving = np.zeros(layout_size, dtype=bool)
        entries = np.flatnonzero((self.count > 0) & (self.hi > self.lo))
        points, owners = [self.sigma.copy()], [-1]
        for j in map(int, entries):
            for bound in (self.lo[j], self.hi[j]):
                if bound != self.sigma[j]:
                    point = self.sigma.copy()
                    point[j] = bound
                    points.append(point)
                    owners.append(j)
        if len(points) == 1:
            return improving, False
        values = self._evaluate(points)
        if self.optimistic:
            # a face on which a follower is indifferent (typically the optimum of a degenerate
            # follower) is only better with the leader-best selection
            values = np.array([min(v, self._evaluate_at(p)[0]) for p, v in zip(points, values)])
        owners_arr = np.asarray(owners)
        # better than the consensus and than the incumbent (when the consensus was not accepted)
        reference = min(F, self.F_inc)
        scale = max(1.0, abs(reference)) if np.isfinite(reference) else 1.0
        threshold = reference - 0.1 * self.ctx.options.relax_tol * scale
        better = values[1:] < threshold
        improving[owners_arr[1:][better]] = True
        # parabolic candidates on each segment [lo_j, hi_j] through σ (plain values, consistent)
        f0 = values[0]
        candidates, combined = [], self.sigma.copy()
        if np.isfinite(f0):
            for j in map(int, entries):
                lo_j, hi_j, s_j = self.lo[j], self.hi[j], self.sigma[j]
                mask = owners_arr == j
                if mask.sum() != 2 or not (lo_j < s_j < hi_j):
                    continue
                f_lo, f_hi = values[mask]
                if not (np.isfinite(f_lo) and np.isfinite(f_hi)):
                    continue
                vertex = _parabola_vertex(lo_j, s_j, hi_j, f_lo, f0, f_hi)
                if vertex is None:
                    continue
                point = self.sigma.copy()
                point[j] = vertex
                candidates.append(point)
                combined[j] = vertex
            if len(candidates) > 1:
                candidates.append(combined)
        moved = False
        tried, tried_values = points[1:], values[1:]
        if candidates:
            cand_values = self._evaluate(candidates)
            moved = bool(cand_values.min() < threshold)
            tried, tried_values = tried + candidates, np.concatenate([tried_values, cand_values])
        k = int(np.argmin(tried_values))
        if tried_values[k] < self.F_inc:
            self.incumbent, self.F_inc = tried[k].copy(), float(tried_values[k])
        return improving, moved

    def _moving_entries(self) -> np.ndarray:
        """Held signal entries whose consensus value sits on an open face of the box."""
        return on_open_face(self.lo, self.hi, self.sigma, self.limits, _EDGE_TOL) & (self.count > 0)

    def next_round(self) -> None:
        """Set up the next round: the box around the incumbent, OBBT, scales, blocks."""
        opts = self.ctx.options
        if self._next_box is not None:      # a branch-and-bound node
            self.lo, self.hi = self._next_box[0].copy(), self._next_box[1].copy()
            self._next_box = None
            self.sigma = np.clip(self.incumbent, self.lo, self.hi)
        else:
            scale = np.where(self.moving & self.accepted, opts.expand, opts.factor)
            self.lo, self.hi = resize_box(self.lo, self.hi, self.incumbent, scale, self.limits)
        own = self.game.leader_only     # the leader's own decisions keep their declared box (exact in its block)
        self.lo[own], self.hi[own] = self.limits[0][own], self.limits[1][own]
        self.sigma = np.clip(self.sigma, self.lo, self.hi)
        self.obbt_failures = self._tighten()
        self._set_scales()
        self._build_blocks()
        self.round += 1
        self.iter_in_round = 0
        self.last_balance = 0

    # -- reporting ----------------------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {"round": self.round, "primal_residual": self.r_norm, "price_residual": self.r_sig,
                "power_residual": self.r_y, "dual_residual": self.s_norm,
                "eps_pri": self.eps_pri, "eps_dual": self.eps_dual, "rho": self.rho,
                "box_width": float(np.max(self.hi - self.lo)), "signals": self.sigma.copy()}

    def outcome(self, stopped: str | None = None) -> Outcome:
        """The answer (status ``converged``), or with ``stopped`` — why the solve stopped before the
        relaxation rule held — status ``max_iter`` and that reason first in the message."""
        self._count_solver_time()
        last = self.rounds[-1] if self.rounds else None
        gap = last.gap if last else self.relaxation_gap() if self.xi else float("nan")
        if self.branched and self.settled:
            gap = self.settled_gap      # the round the answer comes from, not the last node's
        # the answer: the last consensus, or the incumbent when its true objective is better
        # (both re-evaluated here, optimistic selection included; the responses are reported)
        answer = self.ctx.project(self.sigma)
        F, responses, at = self._evaluate_at(answer)
        use_incumbent = False
        # the incumbent, and the point the trust region settled on (a branch and bound may have
        # moved the incumbent since), compete with the last consensus on their re-evaluated values
        candidates = [self.incumbent] if np.isfinite(self.F_inc) else []
        if self.settled_sigma is not None:
            candidates.append(self.settled_sigma)
        for point in candidates:
            if np.array_equal(self.ctx.project(point), answer):
                continue
            F_inc, resp_inc, at_inc = self._evaluate_at(point)
            if F_inc < F:
                use_incumbent = True
                F, responses, at = F_inc, resp_inc, at_inc
        settled_note = ""
        if not np.isfinite(F) and self.settled_sigma is not None:
            # the point the trust region settled on re-evaluates with the leader's constraints
            # violated by more than _LEADER_TOL (a degenerate follower's re-solved vertex can
            # differ from the one seen then): report it with its best responses, the
            # certificate judges its violation with its own tolerance
            point = self.ctx.project(self.settled_sigma)
            best = self._responses(point, keep_x=True)
            if all(r.ok for r in best):
                use_incumbent, responses, at = True, best, point
                F = float(self.game.leader_objectives(self.game.layout.unpack(point), best)[0])
                settled_note = (f"; the settled point's leader constraints re-evaluate violated by "
                                f"{self.game.leader_violation(point, best):.3g} (> {_LEADER_TOL:g})")
        answer = at
        first = self.first_value
        extra = {
            "rounds": len(self.rounds),
            "first_relaxation_value": first,
            "final_box_width": self._held_width(),
            "relaxation_gap": gap,
            "leader_objective": F,
            "bound_gap": (F - first) / max(1.0, abs(first)) if first is not None and last else None,
            "branch_nodes": self.nodes,
            "open_boxes": len(self.open_boxes),
            "branch_bound": self.branch_bound,
            "answer": "incumbent" if use_incumbent else "consensus",
            "rho": self.rho,
            "rho_changes": self.rho_changes,
            "solver_fallbacks": sum(b.fallbacks for b in self.blocks),
            "inexact_rounds": self.inexact_rounds,
            "restored": self.restored,
            "bound_mips": self.bound_mips,
            "bound_s": self.bound_s,
            "factor_bounds": [[blk.rel.bounds0[0].tolist(), blk.rel.bounds0[1].tolist()] for blk in self.blocks],
            "round_history": [r.__dict__.copy() for r in self.rounds],
        }
        msg = (f"McCormick/strong-duality ADMM: {len(self.rounds)} round(s), relaxation gap {gap:.3g} "
               f"(tol {self.ctx.options.relax_tol:g}), box width {extra['final_box_width']:.3g}, "
               f"primal residual {self.r_norm:.3g} (eps {self.eps_pri:.3g}), dual {self.s_norm:.3g} "
               f"(eps {self.eps_dual:.3g}), rho {self.rho:.4g}")
        if self.inexact_rounds:
            msg += f"; {self.inexact_rounds} round(s) ended at round_iter={self.ctx.options.round_iter}"
        if use_incumbent:
            msg += "; answer = incumbent (better true leader objective than the last consensus)" + settled_note
        if self.branched:
            bound = self.branch_bound
            closed = not self.open_boxes
            extra["global"] = closed
            msg += (f"; branch and bound: {self.nodes} node(s), relaxation bound {bound:.10g}, "
                    + ("every box within branch_tol (global to ADMM accuracy)" if closed else
                       f"{len(self.open_boxes)} box(es) still open (branch_nodes={self.ctx.options.branch_nodes} "
                       "used up: a local solution, not proven global)"))
        if stopped:
            msg = f"{stopped}; " + msg
        if not np.isfinite(F):
            return Outcome("failed", "no bilevel-feasible point found (no follower response, or the leader's "
                           "constraints fail, at the consensus and at every incumbent tried); " + msg, 0, answer,
                           None, None, extra=extra)
        return Outcome("max_iter" if stopped else "converged", msg, 0, answer, responses, None, extra=extra)
