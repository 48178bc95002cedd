"""``admm`` — ADMM for both game kinds, with residual balancing and Boyd's stopping rule.

Market games (``game.is_market``): exchange ADMM
=================================================
Boyd et al. (2011), *Distributed optimization and statistical learning via ADMM*, §7.3.2
("exchange", Jacobi form). For each coupling c the agents are its senders i ∈ N_c (output
``y_i``) and one more agent, the leader's supply, whose exchanged quantity is ``−s``; the
coupling is ``Σ_i y_i − s = 0``. With m_c = |N_c| + 1 agents, ``r_c = Σ_i y_i − s`` and
``x̄_c = r_c / m_c`` one iteration is::

    y_i ← argmin f_i(y) + ⟨p, y⟩ + (ρ/2)‖y − (y_i − x̄_c)‖²          (every follower, in parallel)
    s   ← argmin C(s) − ⟨p, s⟩ + (ρ/2)‖s − (s + x̄_c)‖²               (leader supply)
    p   ← Π_box( p + ρ · x̄_c⁺ )                                       (price = ρ · scaled dual)

The followers' objectives already contain the payment ⟨p, y⟩, so with p = ρu this is exactly
scaled exchange ADMM: ``ctx.respond(p, proxes=[Prox(ρ, {output: y_i − x̄_c})])`` and
``ctx.supply(c, p, Prox(ρ, {SUPPLY: s + x̄_c}))``. Followers that send no coupling output
get no proximal term. The projection of p on the leader's signal box is a safeguard: at a
fixed point with the projection inactive it is exact ADMM; with it active the fixed point
is the maximiser of the dual function over the box (price at a bound with the excess
pushing outward).

Residuals (exchange form of Boyd §3.3 with x = (x_1..x_m) stacked agent quantities, z_a =
x_a − x̄ the exchange-feasible projection; n = Σ_c m_c · size_c)::

    ‖r‖₂ = sqrt(Σ_c m_c ‖x̄_c‖²)                                   primal
    ‖s‖₂ = ρ · sqrt(Σ_c Σ_a ‖(x_a − x̄_c)⁺ − (x_a − x̄_c)‖²)           dual
    ε_pri  = √n ε_abs + ε_rel · max(‖x‖₂, ‖z‖₂)
    ε_dual = √n ε_abs + ε_rel · sqrt(Σ_c m_c ‖p_c‖²)

Stop when ‖r‖ ≤ ε_pri and ‖s‖ ≤ ε_dual (defaults ε_abs = ε_rel = 1e-6 in this mode).
Residual balancing (Boyd §3.4.1), on the residuals measured in units of their tolerances
(as OSQP and Wohlberg 2017 do, so balancing and stopping agree): ρ ← τρ when
‖r‖/ε_pri > μ‖s‖/ε_dual, ρ ← ρ/τ when ‖s‖/ε_dual > μ‖r‖/ε_pri (defaults μ = 10, τ = 2;
p = ρu is kept unscaled, so nothing else changes).

**Fixed point.** There r = 0 and every prox term vanishes: each y_i is a best response to p,
the supply is the leader's best supply and the balance clears — the KKT system of the
centralized welfare problem ``min Σ f_i + Σ C_c s.t. Σ y = s`` with p its optimal coupling
duals, i.e. the market equilibrium (``equilibrium = "market"``).

Start: the signal-box midpoint p⁰ is evaluated, then one probe at p⁰ − 1 % of the price
range gives the per-entry slope L_t of the excess. ``rho=0`` (default) takes
ρ = median_t(m_c / L_t): the agents' harmonic mean curvature (for a follower with
y = (a − p)/b, dy/dp = −1/b, so m/L is the harmonic mean of the b's). The start price is
the secant step p⁰ + E(p⁰)/L (projected), whose best responses seed y⁰, s⁰.

Stackelberg games (leader objective with bilinear price × quantity terms)
=========================================================================
ADMM on the McCormick relaxation of the strong-duality single-level reformulation, with
bound tightening. For follower i with canonical data (P, q0, Qs, A, b0, K) (signals only in
the objective: Bs = 0; cones zero / nonneg / SOC) and signals σ, x is a best response iff
∃ z::

    b0 − A x ∈ K,   P x + q0 + Qs σ + Aᵀ z = 0,   z ∈ K*,
    xᵀ P x + q0ᵀ x + b0ᵀ z + Σ_j w_j ≤ 0,   w_j = σ_j v_j,  v = Qsᵀ x

(the last line is primal value ≤ dual value; its left side equals zᵀ(b0 − Ax) ≥ 0 by the
other lines, so it forces complementarity; P symmetric, ½xᵀPx is the follower's quadratic
term). The quadratic constraint is a rotated second-order cone. Each w_j = σ_j v_j is
replaced by its McCormick envelope over the σ box × the v box. v bounds come from LPs
min/max v_j over the follower's feasible set (once), then — every round — from
optimality-based bound tightening (OBBT): min/max v_j over the follower's own relaxation
with σ in the current box (valid: no bilevel-feasible point with σ in the box is cut).

The leader's objective (its first, in minimisation form) is Σ bilinear terms + its convex
``cost(signals, aggregates)`` (negated for ``sense="max"``). A term weight·⟨σ_s, y_i[o]⟩
reuses w_i when the priced quantity equals the output on the follower's feasible set
(v_j − y_j in the row space of its equality constraints, checked exactly as the game checks
payments); otherwise it gets its own u = σ ∘ y_i[o] with a McCormick envelope (y bounds by
LP/OBBT as for v). Per follower these envelopes sum to the envelope of σ ∘ Σ_i y_i.

**Splitting** (global consensus ADMM, Boyd §7.1, scaled form): the leader holds σ and
copies ŷ_i of the outputs its cost uses; follower i holds local copies σ_i of the signal
entries that reach it and its (x_i, z_i, w_i, u_i); consensus σ_i = σ[S_i], y_i = ŷ_i with
scaled duals. Follower block: the relaxation above plus the leader's linear bilinear weights
on w_i/u_i plus the two augmented terms — a convex QP/SOCP assembled directly in Clarabel
form from the follower's canonical data (built once per box; only the linear term changes
per iteration, P only when ρ changes — no cvxpy canonicalisation per solve). These blocks
run in-process (they need the followers' canonical data, which the engine holds; they are
embarrassingly parallel). Leader block: ``min F(σ, Y) + (ρσ/2) Σ_j n_j (σ_j − ā_j)² +
Σ_o (ρy / 2N_o)‖Y_o − B_o‖²`` over the box, with Y_o the aggregate (the copies ŷ_i follow
in closed form, as in Boyd's sharing problem); one cvxpy problem built once with Parameters
(DPP), solved by Clarabel. The consensus is normalised per round so one ρ fits signals and
outputs and the tolerances are relative to the current box: σ by the widest entry wσ of the
current box, y by its start magnitude times wσ / (declared width) (ρσ = ρ/wσ², ρy = ρ/wy²;
the actual penalties carry over between rounds). Residuals, stopping rule and balancing are
those of Boyd §3.3 / §3.4.1 (as in the market mode) on the normalised stacked consensus
residual, with the primal norms taken relative to the box centre / the round's starting
outputs; defaults ε_abs = 1e-5, ε_rel = 1e-4 in this mode. ``rho=0`` starts at
ρ = max(1, |F(σ⁰)|) / N (objective per follower per normalised signal unit).

**Outer loop** (rounds), a trust-region scheme whose model is the relaxation. Round 1 uses
the declared box; ADMM starts at the best of the box midpoint and ``samples`` points on the
box diagonal (true leader objective with followers at best response, one batched pool
call) — the incumbent. After ADMM converges on a box, the relaxation gap
``max |w − σ·v| / max(1, max |σ·v|)`` (same for u) is measured at the consensus σ, and the
followers best-respond to σ (one pool call) to give the true leader objective F(σ); σ
replaces the incumbent when F(σ) is better. The next box (:func:`~gamecore.relaxations.resize_box`)
is centred on the incumbent; entries whose consensus value sits on an open face of the box
(:func:`~gamecore.relaxations.on_open_face`: a face that is not a declared limit — the
box optimum wants to leave there) get ``expand`` times the width when σ was accepted, all
others ``factor`` times the width. The v / y boxes are reset to the LP bounds and
re-tightened by OBBT; ADMM restarts warm. When the gap ≤ ``relax_tol`` and no entry sits
on an open face, the followers best-respond (one batched pool call) at the 2k face centres
of the box around σ (σ with one entry at a box bound); if one improves the true objective by
more than ``relax_tol``/10 (relative) — the relaxation's bias hid it — it becomes the
incumbent and the improving entries move as above; otherwise stop. Also stop after
``max_rounds`` rounds (status ``max_iter``).

Why not simply shrink around the consensus σ (the textbook scheme): on a wide box the
relaxation is flat in σ — its optimal set is large and the interior-point/ADMM answer is
near the box centre, not near the leader's optimum (measured here: 50 % leader regret on
``analytic-stackelberg`` with plain shrinking). The incumbent and the open-face moves make
the box travel towards better true objectives; OBBT makes the envelopes tight enough for
the relaxation's σ to reach the face when the optimum lies outside.

**Fixed point.** Each round computes (to ADMM tolerance) the optimum of the McCormick
relaxation on that round's box. At termination (gap ≤ ``relax_tol``, σ off every open face, no
better face centre) the consensus σ and the followers' x are bilevel feasible up to the gap and optimal over the
final box, with σ strictly inside it: a local Stackelberg solution (a local optimum of the
leader's problem with followers at best response). It is global when its true objective
matches the first-round relaxation value (a bound on the leader's optimum over the declared
box, valid up to the ADMM tolerance; ``extra['first_relaxation_value']``, with the
difference in ``extra['bound_gap']``). The answer is the consensus σ of the last round (or
the incumbent if its true objective is better — it lies in the final box, so only within
the relaxation tolerance); the certificate re-solves the followers at it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import clarabel
import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from gamecore.canonical import _STATUS, OK_STATUSES, CanonicalProgram, Prox, Response
from gamecore.cases.base import Case
from gamecore.errors import FollowerSolveError, GameError, StrategyError
from gamecore.game import SUPPLY, Game
from gamecore.leader import LeaderObjective
from gamecore.relaxations import on_open_face, resize_box
from gamecore.strategy import IterativeStrategy, Outcome, SolveContext


@dataclass
class ADMMOptions:
    """Options of ``admm`` (market mode uses the first block, Stackelberg mode all).

    Attributes:
        max_iter: total ADMM iterations (over all rounds in Stackelberg mode).
        rho: initial penalty, > 0; 0 (default) = automatic (see the module docstring).
            Market mode: in $/unit² (price per unit of quantity mismatch); Stackelberg mode:
            on the box-normalised consensus (objective units).
        eps_abs, eps_rel: Boyd's absolute / relative tolerances of the stopping rule; 0 =
            the mode's default (market 1e-6 / 1e-6, Stackelberg 1e-5 / 1e-4).
        balance: residual balancing on/off; mu (> 1), tau (> 1): its ratio threshold and factor.
        relax_tol: (Stackelberg) relative McCormick gap ``max|w − σv| / max(1, max|σv|)`` at
            which the outer loop may stop.
        max_rounds: (Stackelberg) maximum number of box rounds.
        factor: (Stackelberg) box width factor on entries that shrink, in (0, 1).
        expand: (Stackelberg) box width factor (≥ 1) on entries whose accepted consensus
            value sits on an open face of the box.
        obbt: (Stackelberg) optimality-based tightening of the v / y boxes each round;
            obbt_passes: sweeps per round (each uses the previous sweep's bounds).
        samples: (Stackelberg) points on the box diagonal tried (with the midpoint) for the
            starting incumbent; 0 = midpoint only.
        round_iter: (Stackelberg) ADMM iterations after which a round ends even if Boyd's
            rule does not hold yet (on tiny boxes the blocks' solver accuracy can sit at the
            tolerance); such rounds are flagged ``inexact`` in the round history.
    """

    max_iter: int = 5000
    rho: float = 0.0
    eps_abs: float = 0.0
    eps_rel: float = 0.0
    balance: bool = True
    mu: float = 10.0
    tau: float = 2.0
    relax_tol: float = 1e-3
    max_rounds: int = 30
    factor: float = 0.5
    obbt: bool = True
    obbt_passes: int = 2
    expand: float = 2.0
    samples: int = 16
    round_iter: int = 400

    def __post_init__(self) -> None:
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        if self.rho < 0:
            raise ValueError(f"rho must be >= 0 (0 = automatic), got {self.rho}")
        if self.eps_abs < 0 or self.eps_rel < 0:
            raise ValueError(f"eps_abs and eps_rel must be >= 0 (0 = the mode's default), "
                             f"got {self.eps_abs}, {self.eps_rel}")
        if self.mu <= 1:
            raise ValueError(f"mu must be > 1, got {self.mu}")
        if self.tau <= 1:
            raise ValueError(f"tau must be > 1, got {self.tau}")
        if not 0 < self.relax_tol < 1:
            raise ValueError(f"relax_tol must be in (0, 1), got {self.relax_tol}")
        if self.max_rounds < 1:
            raise ValueError(f"max_rounds must be >= 1, got {self.max_rounds}")
        if not 0 < self.factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {self.factor}")
        if self.expand < 1:
            raise ValueError(f"expand must be >= 1, got {self.expand}")
        if self.round_iter < 1:
            raise ValueError(f"round_iter must be >= 1, got {self.round_iter}")
        if self.samples < 0:
            raise ValueError(f"samples must be >= 0, got {self.samples}")
        if self.obbt_passes < 0:
            raise ValueError(f"obbt_passes must be >= 0, got {self.obbt_passes}")


class ADMM(IterativeStrategy[ADMMOptions]):
    """Exchange ADMM (market games) / consensus ADMM on a McCormick relaxation (Stackelberg)."""

    name = "admm"
    equilibrium = "both"
    summary = ("ADMM: exchange ADMM on coupling prices (market); consensus ADMM on the McCormick relaxation "
               "of the strong-duality reformulation with bound tightening (Stackelberg)")
    Options = ADMMOptions

    # ------------------------------------------------------------------ applicability
    def check(self, game: Game) -> None:
        """Market games (exchange ADMM) or pure Stackelberg games (relaxation ADMM), else StrategyError."""
        if not (game.is_market or game.is_stackelberg):
            raise StrategyError(f"strategy '{self.name}' needs a market coupling or a leader objective; "
                                f"game '{game.name}' has neither")
        if game.is_market:
            _check_exchange(game)
        else:
            _check_bilevel(game)

    # ------------------------------------------------------------------ iteration
    def initialize(self, ctx: SolveContext) -> Any:
        if ctx.game.is_market:
            return _exchange_init(ctx)
        return _BilevelADMM(ctx)

    def step(self, ctx: SolveContext, state: Any) -> Any:
        if isinstance(state, _ExchangeState):
            return _exchange_step(ctx, state)
        state.step()
        return state

    def converged(self, ctx: SolveContext, state: Any) -> bool:
        return bool(state.done)

    def record(self, ctx: SolveContext, state: Any) -> dict[str, Any]:
        return state.record()

    def outcome(self, ctx: SolveContext, state: Any) -> Outcome:
        if isinstance(state, _ExchangeState):
            return _exchange_outcome(ctx, state)
        return state.outcome()


# ==========================================================================================
# Market games: exchange ADMM
# ==========================================================================================

@dataclass
class _ExchangeState:
    """Exchange ADMM iterate.

    ``X[c]`` is the (m_c, size_c) matrix of agent quantities of coupling c: one row per
    sender (its output), last row ``−s`` (leader supply, negated).
    """

    p: np.ndarray
    responses: list[Response]
    supplies: dict[str, Response]
    X: list[np.ndarray]
    rho: float
    senders: list[list[int]]
    r_norm: float = np.inf
    s_norm: float = np.inf
    eps_pri: float = 0.0
    eps_dual: float = 0.0
    rho_changes: int = 0
    done: bool = False

    def record(self) -> dict[str, Any]:
        return {"primal_residual": self.r_norm, "dual_residual": self.s_norm, "eps_pri": self.eps_pri,
                "eps_dual": self.eps_dual, "rho": self.rho, "signals": self.p.copy()}


def _agent_matrix(game: Game, coupling: Any, senders: list[int], responses: Sequence[Response],
                  supply: Response) -> np.ndarray:
    rows = [np.ravel(responses[i].outputs[coupling.output]) for i in senders]
    rows.append(-np.ravel(supply.outputs[SUPPLY]))
    return np.vstack(rows)


def _check_exchange(game: Game) -> None:
    """Exchange ADMM needs each follower output in at most one coupling."""
    seen: dict[tuple[int, str], str] = {}
    for c in game.leader.couplings:
        for i in game.senders(c.output, c.followers):
            if (i, c.output) in seen:
                raise StrategyError(f"strategy 'admm': output '{c.output}' of follower '{game.followers[i].name}' "
                                    f"enters couplings '{seen[(i, c.output)]}' and '{c.name}'; exchange ADMM "
                                    "needs each output in at most one coupling")
            seen[(i, c.output)] = c.name


def _exchange_init(ctx: SolveContext) -> _ExchangeState:
    game, opts = ctx.game, ctx.options
    couplings = game.leader.couplings
    senders = [game.senders(c.output, c.followers) for c in couplings]
    mask = ctx.price_mask()
    lower, upper = game.layout.lower(), game.layout.upper()
    p0 = ctx.project(game.layout.midpoint())
    point0 = ctx.market_point(p0)
    span = np.where(np.isfinite(upper - lower), upper - lower, np.maximum(1.0, np.abs(p0)))
    delta = np.where(mask, 0.01 * span, 0.0)
    p1 = ctx.project(p0 - delta)
    if not np.any(np.abs(p1 - p0)[mask] > 0):
        p1 = ctx.project(p0 + delta)
    point1 = ctx.market_point(p1)
    moved = np.abs(p1 - p0)
    slope = np.zeros_like(p0)
    ok = mask & (moved > 0)
    slope[ok] = np.abs(point1.excess[ok] - point0.excess[ok]) / moved[ok]
    # secant start (per entry, only where the excess responds to the price)
    start = p0.copy()
    good = ok & (slope > 0)
    start[good] = p0[good] + point0.excess[good] / slope[good]
    start = ctx.project(start)
    if opts.rho > 0:
        rho = float(opts.rho)
    else:
        cands = []
        for c, snd in zip(couplings, senders):
            sl = game.layout.slices[c.signal]
            sc = slope[sl][slope[sl] > 0]
            if sc.size:
                cands.append((len(snd) + 1) / float(np.median(sc)))
        rho = float(np.median(cands)) if cands else 1.0
    point = ctx.market_point(start)
    X = [_agent_matrix(game, c, snd, point.responses, point.supplies[c.name]) for c, snd in zip(couplings, senders)]
    return _ExchangeState(start, point.responses, dict(point.supplies), X, rho, senders)


def _exchange_step(ctx: SolveContext, st: _ExchangeState) -> _ExchangeState:
    game, opts = ctx.game, ctx.options
    couplings = game.leader.couplings
    rho = st.rho
    xbar = [X.mean(axis=0) for X in st.X]
    targets: list[dict[str, np.ndarray]] = [{} for _ in game.followers]
    for c, snd, X, xb in zip(couplings, st.senders, st.X, xbar):
        shape = game.leader.signal(c.signal).shape
        for row, i in enumerate(snd):
            targets[i][c.output] = (X[row] - xb).reshape(shape)
    proxes = [Prox(rho, t) if t else None for t in targets]
    responses = ctx.respond(st.p, proxes)
    supplies: dict[str, Response] = {}
    for c, X, xb in zip(couplings, st.X, xbar):
        sl = game.layout.slices[c.signal]
        shape = game.leader.signal(c.signal).shape
        supplies[c.name] = ctx.supply(c, st.p[sl], Prox(rho, {SUPPLY: (-X[-1] + xb).reshape(shape)}))
    X_new = [_agent_matrix(game, c, snd, responses, supplies[c.name]) for c, snd in zip(couplings, st.senders)]
    xbar_new = [X.mean(axis=0) for X in X_new]
    p = st.p.copy()
    for c, xb in zip(couplings, xbar_new):
        p[game.layout.slices[c.signal]] += rho * xb
    p = ctx.project(p)
    # Boyd §3.3 residuals in exchange form (see module docstring)
    n = sum(X.size for X in X_new)
    r_norm = float(np.sqrt(sum(X.shape[0] * float(xb @ xb) for X, xb in zip(X_new, xbar_new))))
    dz = [(Xn - xn) - (Xo - xo) for Xn, xn, Xo, xo in zip(X_new, xbar_new, st.X, xbar)]
    s_norm = rho * float(np.sqrt(sum(float(np.sum(d * d)) for d in dz)))
    x_norm = float(np.sqrt(sum(float(np.sum(X * X)) for X in X_new)))
    z_norm = float(np.sqrt(sum(float(np.sum((X - xb) ** 2)) for X, xb in zip(X_new, xbar_new))))
    y_norm = float(np.sqrt(sum(X.shape[0] * float(np.sum(p[game.layout.slices[c.signal]] ** 2))
                               for c, X in zip(couplings, X_new))))
    eps_abs, eps_rel = _eps(opts, "market")
    eps_pri = np.sqrt(n) * eps_abs + eps_rel * max(x_norm, z_norm)
    eps_dual = np.sqrt(n) * eps_abs + eps_rel * y_norm
    done = r_norm <= eps_pri and s_norm <= eps_dual
    new_rho, changes = rho, st.rho_changes
    if opts.balance and not done:
        new_rho, changed = _balance(rho, r_norm / eps_pri, s_norm / eps_dual, opts.mu, opts.tau)
        changes += int(changed)
    return _ExchangeState(p, responses, supplies, X_new, new_rho, st.senders, r_norm, s_norm, eps_pri, eps_dual,
                          changes, done)


#: a consensus signal within this fraction of the box width of an open face is "on the face"
_EDGE_TOL = 1e-3
#: default (eps_abs, eps_rel) per mode; Stackelberg residuals are in box-normalised units
_EPS = {"market": (1e-6, 1e-6), "stackelberg": (1e-5, 1e-4)}


def _eps(opts: ADMMOptions, mode: str) -> tuple[float, float]:
    """Boyd's (ε_abs, ε_rel): the options, or the mode's default where an option is 0."""
    abs_default, rel_default = _EPS[mode]
    return (opts.eps_abs or abs_default, opts.eps_rel or rel_default)


def _balance(rho: float, r_norm: float, s_norm: float, mu: float, tau: float) -> tuple[float, bool]:
    """Boyd §3.4.1 residual balancing: returns the new ρ and whether it changed."""
    if r_norm > mu * s_norm:
        return rho * tau, True
    if s_norm > mu * r_norm:
        return rho / tau, True
    return rho, False


def _exchange_outcome(ctx: SolveContext, st: _ExchangeState) -> Outcome:
    msg = (f"exchange ADMM: primal residual {st.r_norm:.3g} (eps {st.eps_pri:.3g}), dual residual "
           f"{st.s_norm:.3g} (eps {st.eps_dual:.3g}), rho {st.rho:.4g} ({st.rho_changes} balancing changes)")
    return Outcome("converged", msg, 0, st.p, st.responses, st.supplies,
                   extra={"rho": st.rho, "rho_changes": st.rho_changes, "primal_residual": st.r_norm,
                          "dual_residual": st.s_norm})


# ==========================================================================================
# Stackelberg games: consensus ADMM on the McCormick relaxation
# ==========================================================================================

#: Clarabel settings of the relaxation blocks: updatable in place, and no equilibration, whose
#: scaling Clarabel computes once at construction (as in gamecore.canonical: results must not
#: depend on the history of updates)
_SETTINGS = {"verbose": False, "presolve_enable": False, "equilibrate_enable": False}
#: retry settings when Clarabel stalls (NumericalError / InsufficientProgress) at 1e-8
_FALLBACK = {"tol_gap_abs": 1e-7, "tol_gap_rel": 1e-7, "tol_feas": 1e-7, "static_regularization_constant": 1e-7}


def _settings(**extra: Any) -> Any:
    s = clarabel.DefaultSettings()
    for key, value in {**_SETTINGS, **extra}.items():
        setattr(s, key, value)
    return s


def _status(sol: Any) -> str:
    return _STATUS.get(str(sol.status), "solver_error")


def _check_follower(name: str, prog: CanonicalProgram) -> None:
    """The strong-duality reformulation needs Bs = 0 and zero / nonneg / SOC cones only."""
    if prog.Bs.nnz and np.abs(prog.Bs.data).max() > 0:
        raise StrategyError(f"strategy 'admm': follower '{name}' has signals in its constraints (Bs != 0); "
                            "the strong-duality reformulation needs signals in the objective only")
    d = prog.dims
    if d.exp or d.psd or d.p3d:
        raise StrategyError(f"strategy 'admm': follower '{name}' has exponential/PSD/power cones; "
                            "only zero, nonnegative and second-order cones are supported")


def _check_bilevel(game: Game) -> None:
    """Stackelberg mode: every follower reformulable, finite bounds on the signals it relaxes."""
    for f in game.followers:
        _check_follower(f.name, f.program)
    objective = game.leader.objectives[0]
    names = set(game.layout.names) if objective.cost is not None else {t.signal for t in objective.bilinear}
    names |= {nm for f in game.followers for nm in f.signal_names}
    for nm in sorted(names):
        sig = game.layout.signals[nm]
        if not sig.bounded:
            raise StrategyError(f"strategy 'admm': signal '{nm}' needs finite lower and upper bounds "
                                "(the McCormick envelopes of the Stackelberg mode are built on its box)")


def _sym(P: sp.spmatrix) -> sp.csc_matrix:
    """Full symmetric matrix from an upper-triangular one."""
    P = sp.csc_matrix(P)
    return sp.csc_matrix(P + P.T - sp.diags(P.diagonal()))


def _psd_factor(P_sym: sp.csc_matrix, name: str) -> np.ndarray:
    """F with FᵀF = P_sym (rows for positive eigenvalues only); shape (r, n)."""
    dense = P_sym.toarray()
    used = np.flatnonzero(np.abs(dense).sum(axis=0) > 0)
    if used.size == 0:
        return np.zeros((0, dense.shape[0]))
    vals, vecs = np.linalg.eigh(dense[np.ix_(used, used)])
    if vals.min() < -1e-8 * max(1.0, abs(vals).max()):
        raise StrategyError(f"strategy 'admm': follower '{name}': quadratic term is not positive semidefinite")
    keep = vals > 1e-12 * max(1.0, vals.max())
    F = np.zeros((int(keep.sum()), dense.shape[0]))
    F[:, used] = (vecs[:, keep] * np.sqrt(vals[keep])).T
    return F


def _same_on_feasible_set(prog: CanonicalProgram, direction: np.ndarray) -> bool:
    """True when ``directionᵀ x`` vanishes on the follower's equality set (row-space test)."""
    if not np.abs(direction).max() > 1e-12:
        return True
    a_eq = prog.A[: prog.dims.zero, :]
    if a_eq.shape[0] == 0:
        return False
    sol = lsqr(a_eq.T, direction, atol=1e-12, btol=1e-12, iter_lim=10 * prog.n)[0]
    resid = direction - a_eq.T @ sol
    return bool(np.abs(resid).max() <= 1e-6 * max(1.0, np.abs(direction).max()))


@dataclass
class _Blocks:
    """Rows ``A ξ + s = b, s ∈ cones`` of one block (sparse, over the follower's ξ)."""

    A: list[sp.spmatrix] = field(default_factory=list)
    b: list[np.ndarray] = field(default_factory=list)
    cones: list[Any] = field(default_factory=list)

    def add(self, A: sp.spmatrix, b: np.ndarray, cone: Any) -> None:
        self.A.append(sp.csr_matrix(A))
        self.b.append(np.asarray(b, dtype=float).ravel())
        self.cones.append(cone)

    def stack(self, ncols: int) -> tuple[sp.csc_matrix, np.ndarray, list[Any]]:
        A = sp.vstack(self.A, format="csc") if self.A else sp.csc_matrix((0, ncols))
        b = np.concatenate(self.b) if self.b else np.zeros(0)
        return A, b, list(self.cones)


class _FollowerRelaxation:
    """Follower i's block of the relaxed single-level problem (see module docstring).

    Variable ξ = [x (n) | z (m) | σ_loc (S) | w (J) | u (U)]:
    ``σ_loc`` are local copies of the game signal entries ``local`` (game indices);
    ``w_j ≈ σ_j v_j`` for the program signal positions ``J`` with a non-zero Qs column;
    ``u_l ≈ σ_g(l) · x[col(l)]`` for non-reusable leader bilinear terms.
    """

    def __init__(self, name: str, prog: CanonicalProgram, sig_game: np.ndarray, w_cost: Mapping[int, float],
                 u_terms: Sequence[tuple[int, int, float]], y_cols: np.ndarray) -> None:
        self.name = name
        self.prog = prog
        _check_follower(name, prog)
        n, m = prog.n, prog.A.shape[0]
        Qs = sp.csc_matrix(prog.Qs)
        colnorm = np.asarray(abs(Qs).sum(axis=0)).ravel() if prog.k else np.zeros(0)
        self.J = np.flatnonzero(colnorm > 0)                          # program signal positions
        self.u_terms = list(u_terms)
        local = set(int(sig_game[j]) for j in self.J) | {g for g, _, _ in self.u_terms}
        self.local = np.array(sorted(local), dtype=int)               # game indices of σ_loc
        pos = {g: k for k, g in enumerate(self.local)}
        self.J_loc = np.array([pos[int(sig_game[j])] for j in self.J], dtype=int)
        self.U_loc = np.array([pos[g] for g, _, _ in self.u_terms], dtype=int)
        self.U_col = np.array([c for _, c, _ in self.u_terms], dtype=int)
        self.y_cols = np.asarray(y_cols, dtype=int)
        S, nJ, nU = self.local.size, self.J.size, len(self.u_terms)
        self.n, self.m, self.S, self.nJ, self.nU = n, m, S, nJ, nU
        self.iz = n
        self.isig = n + m
        self.iw = n + m + S
        self.iu = n + m + S + nJ
        self.N = n + m + S + nJ + nU
        self.QJ = Qs[:, self.J].T.tocsr() if nJ else sp.csr_matrix((0, n))   # v = QJ x
        self.lin = np.zeros(self.N)
        for j, c in w_cost.items():
            k = int(np.flatnonzero(self.J == j)[0])
            self.lin[self.iw + k] += c
        for l, (_, _, c) in enumerate(self.u_terms):
            self.lin[self.iu + l] += c
        self._static = self._static_blocks()
        self.solver: Any = None
        self.rho_key: tuple[float, float] | None = None
        self.lp_bounds = self._lp_bounds()
        self.box_v: tuple[np.ndarray, np.ndarray] = self.lp_bounds
        self.fallbacks = 0
        #: nothing to agree on (no signal reaches it, no output the leader uses): never solved
        self.trivial = self.S == 0 and self.y_cols.size == 0

    # -- columns helpers ----------------------------------------------------------------
    def _cols(self, start: int, idx: np.ndarray, width: int) -> sp.csr_matrix:
        """Selection matrix (len(idx), N) with ones at ``start + idx``."""
        idx = np.asarray(idx, dtype=int)
        return sp.csr_matrix((np.ones(idx.size), (np.arange(idx.size), start + idx)), shape=(idx.size, width))

    def _x_rows(self, M: sp.spmatrix) -> sp.csr_matrix:
        M = sp.csr_matrix(M)
        return sp.hstack([M, sp.csr_matrix((M.shape[0], self.N - self.n))], format="csr")

    # -- static part of the relaxation ---------------------------------------------------
    def _static_blocks(self) -> _Blocks:
        prog, n, m, N = self.prog, self.n, self.m, self.N
        d = prog.dims
        blocks = _Blocks()
        P_sym = _sym(prog.P)
        # stationarity: P x + A^T z + Qs σ = -q0
        Qloc = sp.csr_matrix((n, self.S))
        if self.nJ:
            Qloc = sp.csr_matrix(sp.csc_matrix(prog.Qs)[:, self.J] @ self._sel(self.J_loc, self.S))
        stat = sp.hstack([P_sym, sp.csc_matrix(prog.A).T, Qloc, sp.csr_matrix((n, self.nJ + self.nU))], format="csr")
        blocks.add(stat, -prog.q0, clarabel.ZeroConeT(n))
        # primal feasibility: A x + s = b0, s in K
        prim = self._x_rows(prog.A)
        offset = 0
        for size, cone in self._cone_sizes():
            blocks.add(prim[offset:offset + size], prog.b0[offset:offset + size], cone)
            offset += size
        # dual feasibility: z in K* (zero cone -> free; nonneg, soc self-dual)
        offset = d.zero
        for size, cone in self._cone_sizes()[1:] if d.zero else self._cone_sizes():
            rows = -self._cols(self.iz + offset, np.arange(size), N)
            blocks.add(rows, np.zeros(size), cone)
            offset += size
        # strong duality: x'Px + q0'x + b0'z + 1'w <= 0
        lin = sp.hstack([sp.csr_matrix(prog.q0[None, :]), sp.csr_matrix(prog.b0[None, :]),
                         sp.csr_matrix((1, self.S)), sp.csr_matrix(np.ones((1, self.nJ))),
                         sp.csr_matrix((1, self.nU))], format="csr")
        F = _psd_factor(P_sym, self.name)
        if F.shape[0] == 0:
            blocks.add(lin, np.zeros(1), clarabel.NonnegativeConeT(1))
        else:
            # ||F x||^2 <= tau, tau = -(lin xi):  ||(tau - k, 2 sqrt(k) F x)|| <= tau + k
            kappa = self._kappa(P_sym)
            rows = sp.vstack([lin, lin, self._x_rows(-2.0 * np.sqrt(kappa) * F)], format="csr")
            b = np.concatenate([[kappa, -kappa], np.zeros(F.shape[0])])
            blocks.add(rows, b, clarabel.SecondOrderConeT(F.shape[0] + 2))
        return blocks

    def _sel(self, idx: np.ndarray, width: int) -> sp.csr_matrix:
        idx = np.asarray(idx, dtype=int)
        return sp.csr_matrix((np.ones(idx.size), (np.arange(idx.size), idx)), shape=(idx.size, width))

    def _cone_sizes(self) -> list[tuple[int, Any]]:
        d = self.prog.dims
        out: list[tuple[int, Any]] = []
        if d.zero:
            out.append((d.zero, clarabel.ZeroConeT(d.zero)))
        if d.nonneg:
            out.append((d.nonneg, clarabel.NonnegativeConeT(d.nonneg)))
        out += [(s, clarabel.SecondOrderConeT(s)) for s in d.soc]
        return out

    def _kappa(self, P_sym: sp.csc_matrix) -> float:
        """Scale of the rotated cone: xᵀPx of the best response at zero signals (≥ 1)."""
        sol = self.prog.solve(np.zeros(self.prog.k), keep_x=True)
        if not sol.ok or sol.x is None:
            return 1.0
        return float(max(1.0, sol.x @ (P_sym @ sol.x)))

    # -- bounds --------------------------------------------------------------------------
    def _directions(self) -> list[np.ndarray]:
        """x-space directions whose range is bounded: v_j = Qs_jᵀx, then y columns of u terms."""
        dirs = [np.asarray(self.QJ[k].toarray()).ravel() for k in range(self.nJ)]
        for col in self.U_col:
            e = np.zeros(self.n)
            e[col] = 1.0
            dirs.append(e)
        return dirs

    def _lp_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """min / max of each direction over the follower's feasible set (LPs, once)."""
        prog = self.prog
        dirs = self._directions()
        lo, hi = np.zeros(len(dirs)), np.zeros(len(dirs))
        if not dirs:
            return lo, hi
        solver = clarabel.DefaultSolver(sp.csc_matrix((prog.n, prog.n)), np.zeros(prog.n), prog.A, prog.b0,
                                        prog.dims.clarabel_cones(), _settings())
        for k, dvec in enumerate(dirs):
            for sign, out in ((1.0, lo), (-1.0, hi)):
                solver.update(q=sign * dvec)
                sol = solver.solve()
                status = _status(sol)
                if status not in OK_STATUSES:
                    what = f"v[{k}] = Qs[:, {self.J[k]}]ᵀx" if k < self.nJ else f"output column {self.U_col[k - self.nJ]}"
                    raise StrategyError(f"strategy 'admm': follower '{self.name}': {what} is {status} over its "
                                        "feasible set; McCormick envelopes need finite bounds")
                out[k] = sign * min(float(sol.obj_val), float(sol.obj_val_dual))
        return lo, hi

    def reset_bounds(self) -> None:
        self.box_v = (self.lp_bounds[0].copy(), self.lp_bounds[1].copy())

    # -- box-dependent rows --------------------------------------------------------------
    def _box_coo(self, sig_lo: np.ndarray, sig_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """McCormick rows of w and u, bounds of v / y and of σ_loc, as COO triplets + rhs.

        For each product π = s·f (s a local signal in [xL, xU], f = V x a factor in [yL, yU];
        V = Qs_Jᵀ for w, output columns for u) the rows, all ``≤`` (nonnegative slack), are::

            xL f + yL s − π ≤ xL yL        xU f + yU s − π ≤ xU yU
            π − xU f − yL s ≤ −xU yL       π − xL f − yU s ≤ −xL yU
            f ≤ yU                          −f ≤ −yL

        then σ_loc ≤ hi and −σ_loc ≤ −lo. The sparsity pattern is fixed; only values change
        with the box, so rows/cols are computed once and values are vectorised per call.
        """
        vlo, vhi = self.box_v
        if not hasattr(self, "_box_pattern"):
            self._box_pattern = self._make_box_pattern()
        rows, cols, kinds, _ = self._box_pattern
        # per product: (xL, xU, yL, yU), products ordered w then u
        sloc = np.concatenate([self.J_loc, self.U_loc]).astype(int)
        xL, xU = sig_lo[sloc], sig_hi[sloc]
        yL, yU = vlo, vhi
        coef_f = [xL, xU, -xU, -xL, np.ones_like(xL), -np.ones_like(xL)]
        coef_s = [yL, yU, -yL, -yU]
        vals = np.empty(rows.size)
        # kinds: 0 = factor entry (value = coef_f[g][r] * V value), 1 = signal entry, 2 = product, 3 = box
        fv, g, r = self._box_values
        mask = kinds == 0
        vals[mask] = np.stack(coef_f)[g[mask], r[mask]] * fv[mask]
        mask = kinds == 1
        vals[mask] = np.stack(coef_s)[g[mask], r[mask]]
        mask = kinds == 2
        vals[mask] = np.where(g[mask] < 2, -1.0, 1.0)
        mask = kinds == 3
        vals[mask] = np.where(g[mask] == 0, 1.0, -1.0)
        b = np.concatenate([xL * yL, xU * yU, -xU * yL, -xL * yU, yU, -yL, sig_hi, -sig_lo])
        return rows, cols, vals, b

    def _make_box_pattern(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows/cols of the box block (relative row numbers) and what each entry's value is."""
        E = sp.csr_matrix((np.ones(self.nU), (np.arange(self.nU), self.U_col)), shape=(self.nU, self.n))
        V = sp.vstack([self.QJ, E], format="coo") if self.nU else sp.coo_matrix(self.QJ)
        nprod = self.nJ + self.nU
        sloc = np.concatenate([self.J_loc, self.U_loc]).astype(int)
        prod = np.concatenate([self.iw + np.arange(self.nJ), self.iu + np.arange(self.nU)]).astype(int)
        R, C, K, G, RI, FV = [], [], [], [], [], []
        for g in range(6):
            base = g * nprod
            R.append(base + V.row); C.append(V.col); K.append(np.zeros(V.nnz, int)); G.append(np.full(V.nnz, g))
            RI.append(V.row); FV.append(V.data)
            if g < 4:
                R.append(base + np.arange(nprod)); C.append(self.isig + sloc); K.append(np.ones(nprod, int))
                G.append(np.full(nprod, g)); RI.append(np.arange(nprod)); FV.append(np.zeros(nprod))
                R.append(base + np.arange(nprod)); C.append(prod); K.append(np.full(nprod, 2))
                G.append(np.full(nprod, g)); RI.append(np.arange(nprod)); FV.append(np.zeros(nprod))
        for g in range(2):
            base = 6 * nprod + g * self.S
            R.append(base + np.arange(self.S)); C.append(self.isig + np.arange(self.S))
            K.append(np.full(self.S, 3)); G.append(np.full(self.S, g)); RI.append(np.arange(self.S))
            FV.append(np.zeros(self.S))
        cat = lambda parts, dt=int: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)  # noqa: E731
        self._box_values = (cat(FV, float), cat(G), cat(RI))
        self.n_box_rows = 6 * nprod + 2 * self.S
        return cat(R), cat(C), cat(K), cat(RI)

    def _system(self, sig_lo: np.ndarray, sig_hi: np.ndarray) -> tuple[sp.csc_matrix, np.ndarray, list[Any]]:
        """Constraint data ``A ξ + s = b, s ∈ cones`` of the relaxation on the given σ_loc box."""
        if not hasattr(self, "_static_coo"):
            A0, b0, cones0 = self._static.stack(self.N)
            coo = A0.tocoo()
            self._static_coo = (coo.row, coo.col, coo.data, b0, cones0, A0.shape[0])
        r0, c0, v0, b0, cones0, m0 = self._static_coo
        rows, cols, vals, b = self._box_coo(sig_lo, sig_hi)
        A = sp.csc_matrix((np.concatenate([v0, vals]), (np.concatenate([r0, m0 + rows]), np.concatenate([c0, cols]))),
                          shape=(m0 + self.n_box_rows, self.N))
        return A, np.concatenate([b0, b]), cones0 + [clarabel.NonnegativeConeT(self.n_box_rows)]

    # -- OBBT ----------------------------------------------------------------------------
    def tighten_bounds(self, sig_lo: np.ndarray, sig_hi: np.ndarray) -> int:
        """One OBBT sweep: min / max of every bounded direction over this follower's relaxation.

        Returns the number of failed sub-solves (their old bound is kept, which is valid).
        """
        dirs = self._directions()
        if not dirs:
            return 0
        A, b, cones = self._system(sig_lo, sig_hi)
        solver = clarabel.DefaultSolver(sp.csc_matrix((self.N, self.N)), np.zeros(self.N), A, b, cones, _settings())
        lo, hi = self.box_v[0].copy(), self.box_v[1].copy()
        failures = 0
        for k, dvec in enumerate(dirs):
            q = np.zeros(self.N)
            q[: self.n] = dvec
            for sign in (1.0, -1.0):
                solver.update(q=sign * q)
                sol = solver.solve()
                if _status(sol) not in OK_STATUSES:
                    failures += 1
                    continue
                # the weaker of the primal and dual objectives, less a margin: stays a valid bound
                value = sign * min(float(sol.obj_val), float(sol.obj_val_dual))
                slack = 1e-7 * max(1.0, abs(value))
                if sign > 0:
                    lo[k] = max(lo[k], value - slack)
                else:
                    hi[k] = min(hi[k], value + slack)
        hi = np.maximum(hi, lo)
        self.box_v = (lo, hi)
        return failures

    # -- ADMM block ------------------------------------------------------------------------
    def build(self, sig_lo: np.ndarray, sig_hi: np.ndarray, rho_sig: float, rho_y: float) -> None:
        """(Re)build the Clarabel solver of the augmented block for the current box."""
        A, b, cones = self._system(sig_lo, sig_hi)
        self._last_system = (A, b, cones)
        self.solver = clarabel.DefaultSolver(self._P(rho_sig, rho_y), self.lin.copy(), A, b, cones, _settings())
        self.rho_key = (rho_sig, rho_y)

    def _P(self, rho_sig: float, rho_y: float) -> sp.csc_matrix:
        diag = np.zeros(self.N)
        diag[self.isig: self.isig + self.S] = rho_sig
        diag[self.y_cols] = rho_y
        idx = np.concatenate([np.arange(self.isig, self.isig + self.S), self.y_cols]).astype(int)
        idx = np.unique(idx)
        return sp.csc_matrix((diag[idx], (idx, idx)), shape=(self.N, self.N))

    def solve(self, rho_sig: float, rho_y: float, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """argmin lin·ξ + (ρσ/2)‖σ_loc − α‖² + (ρy/2)‖y − β‖² over the relaxation; returns ξ."""
        q = self.lin.copy()
        q[self.isig: self.isig + self.S] -= rho_sig * alpha
        q[self.y_cols] -= rho_y * beta
        if self.rho_key != (rho_sig, rho_y):
            P = self._P(rho_sig, rho_y)
            self.solver.update(P=P, q=q)
            self.rho_key = (rho_sig, rho_y)
        else:
            self.solver.update(q=q)
        sol = self.solver.solve()
        status = _status(sol)
        if status not in OK_STATUSES:
            # interior-point stall near a degenerate optimum: retry once, looser and regularised
            A, b, cones = self._last_system
            sol = clarabel.DefaultSolver(self._P(rho_sig, rho_y), q, A, b, cones, _settings(**_FALLBACK)).solve()
            status = _status(sol)
            self.fallbacks += 1
        if status not in OK_STATUSES:
            raise FollowerSolveError(self.name, status, {"sigma_local": alpha},
                                     "ADMM block of the McCormick relaxation")
        return np.asarray(sol.x, dtype=float)

    # -- reading a solution ----------------------------------------------------------------
    def sigma(self, xi: np.ndarray) -> np.ndarray:
        return xi[self.isig: self.isig + self.S]

    def y(self, xi: np.ndarray) -> np.ndarray:
        return xi[self.y_cols]

    def products(self, xi: np.ndarray, sigma_game: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(relaxed products [w, u], exact products σ·[v, y]) at the consensus signals."""
        x = xi[: self.n]
        v = np.concatenate([self.QJ @ x, x[self.U_col]])
        sig = np.concatenate([sigma_game[self.local[self.J_loc]], sigma_game[self.local[self.U_loc]]])
        relaxed = np.concatenate([xi[self.iw: self.iw + self.nJ], xi[self.iu: self.iu + self.nU]])
        return relaxed, sig * v

    def linear_value(self, xi: np.ndarray) -> float:
        return float(self.lin @ xi)


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


class _BilevelADMM:
    """State and logic of the Stackelberg mode (one :meth:`step` = one ADMM iteration)."""

    def __init__(self, ctx: SolveContext) -> None:
        self.ctx = ctx
        game, opts = ctx.game, ctx.options
        self.game = game
        objective = game.leader.objectives[0]
        self.sign = 1.0 if objective.sense == "min" else -1.0
        layout = game.layout
        self.limits = (layout.lower(), layout.upper())
        # -- leader terms -> per follower linear costs on w / u ---------------------------
        w_costs: list[dict[int, float]] = [{} for _ in game.followers]
        u_terms: list[list[tuple[int, int, float]]] = [[] for _ in game.followers]
        for term in objective.bilinear:
            sl = layout.slices[term.signal]
            coef = self.sign * term.weight
            for i in game.senders(term.output, term.followers):
                self._add_term(i, term.signal, term.output, sl, coef, w_costs[i], u_terms[i])
        self._leader_cost(objective)
        self._make_blocks(w_costs, u_terms)
        self.count = np.zeros(layout.size)
        for blk in self.blocks:
            self.count[blk.local] += 1
        # -- normalisation of the consensus (one rho for signals and outputs) -------------------
        width = self.limits[1] - self.limits[0]
        finite = np.isfinite(width) & (width > 0)
        self.w_sig0 = self.w_sig = float(width[finite].max()) if finite.any() else 1.0
        # -- box, start point --------------------------------------------------------------------
        self.lo = np.where(np.isfinite(self.limits[0]), self.limits[0], 0.0)
        self.hi = np.where(np.isfinite(self.limits[1]), self.limits[1], 0.0)
        start, F0 = self._incumbent_start(opts.samples)
        self.incumbent, self.F_inc = start.copy(), F0
        best = ctx.respond(start)
        self.w_y0 = self.w_y = self._output_scale(best)
        self.sigma = start.copy()
        self.u = [np.zeros(b.S) for b in self.blocks]
        self.yhat = [self._y_of(i, best[i]) for i in range(len(self.blocks))]
        self.t = [np.zeros_like(y) for y in self.yhat]
        self.rho = float(opts.rho) if opts.rho > 0 else max(1.0, abs(F0)) / max(1, len(self.blocks))
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
        self.eps_pri = self.eps_dual = 0.0
        self.rho_changes = 0
        self.inexact_rounds = 0
        self.round_done = False
        self.done = False
        self.exhausted = False
        self.gap = np.inf
        self.xi: list[np.ndarray] = []
        self.leader_F = 0.0

    def _leader_cost(self, objective: LeaderObjective) -> None:
        """The leader's convex remainder F(σ, Y) (minimisation form) and the aggregates Y it uses."""
        game, layout = self.game, self.game.layout
        self.sigma_var = cp.Variable(layout.size, name="sigma")
        shapes = {o: s for f in game.followers for o, s in f.output_shapes.items()}
        agg_vars = {o: cp.Variable(int(np.prod(s, dtype=int)), name=f"agg_{o}") for o, s in shapes.items()}
        self.cost_expr: cp.Expression | None = None
        self.used: list[str] = []
        if objective.cost is not None:
            sig_exprs = {name: cp.reshape(self.sigma_var[layout.slices[name]], sig.shape, order="C")
                         if sig.shape else self.sigma_var[layout.slices[name].start]
                         for name, sig in layout.signals.items()}
            agg_exprs = {o: cp.reshape(v, shapes[o], order="C") if len(shapes[o]) != 1 else v
                         for o, v in agg_vars.items()}
            expr = cp.sum(cp.Expression.cast_to_const(objective.cost(sig_exprs, agg_exprs)))
            expr = self.sign * expr
            if not expr.is_convex():
                raise StrategyError(f"strategy 'admm': the cost of leader objective '{objective.name}' is not "
                                    f"{'convex' if self.sign > 0 else 'concave'} (DCP) in signals and aggregates")
            ids = {v.id for v in expr.variables()}
            self.used = [o for o, v in agg_vars.items() if v.id in ids]
            self.cost_expr = expr
        self.agg_vars = {o: agg_vars[o] for o in self.used}

    def _make_blocks(self, w_costs: list[dict[int, float]], u_terms: list[list[tuple[int, int, float]]]) -> None:
        """One relaxation block per follower, with the output columns the leader's cost uses."""
        game = self.game
        self.senders = {o: game.senders(o) for o in self.used}
        self.blocks: list[_FollowerRelaxation] = []
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
            self.blocks.append(_FollowerRelaxation(f.name, f.program, game.signal_index[i], w_costs[i],
                                                   u_terms[i], y_cols))
            self.y_slices.append(slices)

    def _incumbent_start(self, samples: int) -> tuple[np.ndarray, float]:
        """Best of the box midpoint and ``samples`` points on the box diagonal (one batched pool call).

        Returns the point and its true leader objective (followers at best response).
        """
        layout = self.game.layout
        lo, hi = self.lo, self.hi
        points = [self.ctx.project(layout.midpoint())]
        points += [self.ctx.project(lo + th * (hi - lo)) for th in (np.arange(samples) + 0.5) / max(samples, 1)]
        batches = self.ctx.respond_many(points)
        values = [float(self.game.leader_objectives(layout.unpack(v), r)[0]) for v, r in zip(points, batches)]
        k = int(np.argmin(values))
        return points[k], values[k]

    # -- setup helpers ---------------------------------------------------------------------------
    def _add_term(self, i: int, signal: str, output: str, sl: slice, coef: float, w_cost: dict[int, float],
                  u_terms: list[tuple[int, int, float]]) -> None:
        f = self.game.followers[i]
        prog = f.program
        out_cols, _ = prog.outputs[output]
        size = sl.stop - sl.start
        if signal in prog.signal_names:
            offset = 0
            for nm in prog.signal_names:
                if nm == signal:
                    break
                offset += int(np.prod(prog.signal_shapes[nm], dtype=int))
            positions = np.arange(offset, offset + size)
            rng = np.random.default_rng(2024)
            r = rng.standard_normal(size)
            direction = np.asarray(sp.csc_matrix(prog.Qs)[:, positions] @ r).ravel()
            direction[out_cols] -= r
            colnorm = np.asarray(abs(sp.csc_matrix(prog.Qs)[:, positions]).sum(axis=0)).ravel()
            if np.all(colnorm > 0) and _same_on_feasible_set(prog, direction):
                for j in positions:
                    w_cost[int(j)] = w_cost.get(int(j), 0.0) + coef
                return
        for e in range(size):
            u_terms.append((sl.start + e, int(out_cols[e]), coef))

    def _y_of(self, i: int, response: Response) -> np.ndarray:
        parts = [np.ravel(response.outputs[o]) for o in self.y_slices_for(i)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def y_slices_for(self, i: int) -> list[str]:
        f = self.game.followers[i]
        return [o for o in self.used if o in f.output_shapes]

    def _output_scale(self, best: Sequence[Response]) -> float:
        """Normaliser of the y consensus: the largest |output| entry the leader uses at the start."""
        mags = [float(np.abs(np.ravel(best[i].outputs[o])).max()) for i in range(len(best))
                for o in self.y_slices_for(i)]
        return max(max(mags, default=1.0), 1e-9)

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
                                 [self.sigma_var >= self.p_lo, self.sigma_var <= self.p_hi])
        self.closed_form = self.cost_expr is None and not self.agg_vars

    def _rhos(self) -> tuple[float, float]:
        return self.rho / self.w_sig ** 2, self.rho / self.w_y ** 2

    def _build_blocks(self) -> None:
        rs, ry = self._rhos()
        for blk in self.blocks:
            if not blk.trivial:
                blk.build(self.lo[blk.local], self.hi[blk.local], rs, ry)

    def _set_scales(self) -> None:
        """Normalise the consensus by the current box: σ by its widest entry, y proportionally.

        The actual penalties ρσ = ρ/wσ², ρy = ρ/wy² are kept (warm start), so the normalised
        ρ is rescaled with the box.
        """
        held = self.count > 0
        widths = (self.hi - self.lo)[held] if held.any() else self.hi - self.lo
        new = float(widths.max()) if widths.size and widths.max() > 0 else self.w_sig
        new = max(new, 1e-12 * self.w_sig0)
        self.rho *= (new / self.w_sig) ** 2
        self.w_sig = new
        self.w_y = self.w_y0 * new / self.w_sig0
        self.center = 0.5 * (self.lo + self.hi)
        self.y_round = [y.copy() for y in self.yhat]

    def _tighten(self) -> int:
        failures = 0
        for blk in self.blocks:
            blk.reset_bounds()
            if self.ctx.options.obbt:
                for _ in range(self.ctx.options.obbt_passes):
                    failures += blk.tighten_bounds(self.lo[blk.local], self.hi[blk.local])
        return failures

    # -- one ADMM iteration ------------------------------------------------------------------------
    def step(self) -> None:
        opts = self.ctx.options
        if self.round_done:
            self._next_round()
        rs, ry = self._rhos()
        # follower blocks (in-process)
        self.xi = []
        sig_loc, y_loc = [], []
        for i, blk in enumerate(self.blocks):
            if blk.trivial:
                xi = np.zeros(blk.N)
                self.xi.append(xi)
                sig_loc.append(xi[:0])
                y_loc.append(xi[:0])
                continue
            alpha = self.sigma[blk.local] - self.u[i]
            beta = self.yhat[i] - self.t[i]
            xi = blk.solve(rs, ry, alpha, beta)
            self.xi.append(xi)
            sig_loc.append(blk.sigma(xi))
            y_loc.append(blk.y(xi))
        # leader block
        old_sigma, old_yhat = self.sigma.copy(), [y.copy() for y in self.yhat]
        self._leader_update(sig_loc, y_loc)
        self._dual_update(sig_loc, y_loc, old_sigma, old_yhat)
        self.iter_in_round += 1
        if self.r_norm <= self.eps_pri and self.s_norm <= self.eps_dual:
            self._end_round()
        elif self.iter_in_round >= opts.round_iter:
            self.inexact_rounds += 1
            self._end_round(inexact=True)
        elif opts.balance:
            new_rho, changed = _balance(self.rho, self.r_norm / self.eps_pri, self.s_norm / self.eps_dual,
                                        opts.mu, opts.tau)
            if changed:
                scale = self.rho / new_rho
                self.u = [u * scale for u in self.u]
                self.t = [t * scale for t in self.t]
                self.rho = new_rho
                self.rho_changes += 1

    def _dual_update(self, sig_loc: list[np.ndarray], y_loc: list[np.ndarray], old_sigma: np.ndarray,
                     old_yhat: list[np.ndarray]) -> None:
        """Scaled dual updates; Boyd's residuals and ε's on the box-normalised consensus."""
        opts = self.ctx.options
        r2 = s2 = x2 = z2 = d2 = 0.0
        count = 0
        for i, blk in enumerate(self.blocks):
            rs_i = sig_loc[i] - self.sigma[blk.local]
            ry_i = y_loc[i] - self.yhat[i]
            self.u[i] += rs_i
            self.t[i] += ry_i
            r2 += float(rs_i @ rs_i) / self.w_sig ** 2 + float(ry_i @ ry_i) / self.w_y ** 2
            ds = self.sigma[blk.local] - old_sigma[blk.local]
            dy = self.yhat[i] - old_yhat[i]
            s2 += float(ds @ ds) / self.w_sig ** 2 + float(dy @ dy) / self.w_y ** 2
            # primal iterate norms relative to the round's box centre / starting outputs
            xs, xy = sig_loc[i] - self.center[blk.local], y_loc[i] - self.y_round[i]
            zs, zy = self.sigma[blk.local] - self.center[blk.local], self.yhat[i] - self.y_round[i]
            x2 += float(xs @ xs) / self.w_sig ** 2 + float(xy @ xy) / self.w_y ** 2
            z2 += float(zs @ zs) / self.w_sig ** 2 + float(zy @ zy) / self.w_y ** 2
            d2 += float(self.u[i] @ self.u[i]) / self.w_sig ** 2 + float(self.t[i] @ self.t[i]) / self.w_y ** 2
            count += blk.S + self.yhat[i].size
        self.r_norm = float(np.sqrt(r2))
        self.s_norm = self.rho * float(np.sqrt(s2))
        root = np.sqrt(max(count, 1))
        eps_abs, eps_rel = _eps(opts, "stackelberg")
        self.eps_pri = root * eps_abs + eps_rel * float(np.sqrt(max(x2, z2)))
        self.eps_dual = root * eps_abs + eps_rel * self.rho * float(np.sqrt(d2))

    def _leader_update(self, sig_loc: list[np.ndarray], y_loc: list[np.ndarray]) -> None:
        n = self.game.layout.size
        acc = np.zeros(n)
        for i, blk in enumerate(self.blocks):
            np.add.at(acc, blk.local, sig_loc[i] + self.u[i])
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
            self.leader_F = float(self.cost_expr.value) if self.cost_expr is not None else 0.0
        for i in range(len(self.blocks)):
            yh = self.yhat[i].copy()
            for o, sl in self.y_slices[i].items():
                yh[sl] = y_loc[i][sl] + self.t[i][sl] + (Y[o] - B[o]) / len(self.senders[o])
            self.yhat[i] = yh

    # -- rounds ---------------------------------------------------------------------------------------
    def relaxation_gap(self) -> float:
        worst, scale = 0.0, 0.0
        for blk, xi in zip(self.blocks, self.xi):
            relaxed, exact = blk.products(xi, self.sigma)
            if relaxed.size:
                worst = max(worst, float(np.abs(relaxed - exact).max()))
                scale = max(scale, float(np.abs(exact).max()))
        return worst / max(1.0, scale)

    def relaxation_value(self) -> float:
        return self.leader_F + sum(blk.linear_value(xi) for blk, xi in zip(self.blocks, self.xi))

    def _end_round(self, inexact: bool = False) -> None:
        opts = self.ctx.options
        self.gap = self.relaxation_gap()
        value = self.relaxation_value()
        if self.first_value is None:
            self.first_value = value
        best = self.ctx.respond(self.sigma)
        F = float(self.game.leader_objectives(self.game.layout.unpack(self.sigma), best)[0])
        self.accepted = F < self.F_inc
        if self.accepted:
            self.incumbent, self.F_inc = self.sigma.copy(), F
        self.moving = self._moving_entries()
        probed = False
        if self.gap <= opts.relax_tol and not self.moving.any():
            # about to stop: check box-local optimality on the true objective
            probed = True
            improving = self._face_probe(F)
            if improving.any():
                self.moving, self.accepted = improving, True
        self.rounds.append(_Round(self.round, self.iter_in_round, value, self.gap,
                                  float(np.max(self.hi - self.lo)), F, self.obbt_failures, bool(self.accepted),
                                  int(self.moving.sum()), probed, inexact))
        if self.gap <= opts.relax_tol and not self.moving.any():
            self.done = True
        elif self.round >= opts.max_rounds:
            self.done = self.exhausted = True
        else:
            self.round_done = True

    def _face_probe(self, F: float) -> np.ndarray:
        """True leader objective at the box face centres around the consensus σ (one batched pool call).

        For each held entry j, σ with σ_j set to the box's lower / upper bound. Returns the
        mask of entries with a face better than F(σ) by more than ``relax_tol / 10`` relative
        (smaller improvements are below the accuracy asked for); the best probe becomes the
        incumbent if it beats it. With a tight relaxation the consensus σ is box-optimal and
        no probe improves; a probe that does reveals relaxation bias.
        """
        entries = np.flatnonzero((self.count > 0) & (self.hi > self.lo))
        points, owners = [], []
        for j in entries:
            for bound in (self.lo[j], self.hi[j]):
                if bound != self.sigma[j]:
                    point = self.sigma.copy()
                    point[j] = bound
                    points.append(point)
                    owners.append(j)
        improving = np.zeros(self.game.layout.size, dtype=bool)
        if not points:
            return improving
        layout = self.game.layout
        batches = self.ctx.respond_many(points)
        values = np.array([float(self.game.leader_objectives(layout.unpack(v), r)[0])
                           for v, r in zip(points, batches)])
        better = values < F - 0.1 * self.ctx.options.relax_tol * max(1.0, abs(F))
        improving[np.asarray(owners)[better]] = True
        k = int(np.argmin(values))
        if values[k] < self.F_inc:
            self.incumbent, self.F_inc = points[k].copy(), float(values[k])
        return improving

    def _moving_entries(self) -> np.ndarray:
        """Held signal entries whose consensus value sits on an open face of the box."""
        return on_open_face(self.lo, self.hi, self.sigma, self.limits, _EDGE_TOL) & (self.count > 0)

    def _next_round(self) -> None:
        opts = self.ctx.options
        scale = np.where(self.moving & self.accepted, opts.expand, opts.factor)
        self.lo, self.hi = resize_box(self.lo, self.hi, self.incumbent, scale, self.limits)
        self.sigma = np.clip(self.sigma, self.lo, self.hi)
        self.obbt_failures = self._tighten()
        self._set_scales()
        self._build_blocks()
        self.round += 1
        self.iter_in_round = 0
        self.round_done = False

    # -- reporting ----------------------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {"round": self.round, "primal_residual": self.r_norm, "dual_residual": self.s_norm,
                "eps_pri": self.eps_pri, "eps_dual": self.eps_dual, "rho": self.rho,
                "box_width": float(np.max(self.hi - self.lo)), "signals": self.sigma.copy()}

    def outcome(self) -> Outcome:
        last = self.rounds[-1] if self.rounds else None
        gap = last.gap if last else self.relaxation_gap() if self.xi else float("nan")
        answer, F = self.sigma.copy(), (last.leader_objective if last else float("nan"))
        use_incumbent = bool(last is not None and self.F_inc < F)
        if use_incumbent:
            answer, F = self.incumbent.copy(), self.F_inc
        first = self.first_value
        extra = {
            "rounds": len(self.rounds),
            "first_relaxation_value": first,
            "final_box_width": float(np.max(self.hi - self.lo)),
            "relaxation_gap": gap,
            "leader_objective": F,
            "bound_gap": (F - first) / max(1.0, abs(first)) if first is not None and last else None,
            "answer": "incumbent" if use_incumbent else "consensus",
            "rho": self.rho,
            "rho_changes": self.rho_changes,
            "solver_fallbacks": sum(b.fallbacks for b in self.blocks),
            "inexact_rounds": self.inexact_rounds,
            "round_history": [r.__dict__.copy() for r in self.rounds],
        }
        msg = (f"McCormick/strong-duality ADMM: {len(self.rounds)} round(s), relaxation gap {gap:.3g} "
               f"(tol {self.ctx.options.relax_tol:g}), box width {extra['final_box_width']:.3g}, "
               f"primal residual {self.r_norm:.3g} (eps {self.eps_pri:.3g}), dual {self.s_norm:.3g} "
               f"(eps {self.eps_dual:.3g}), rho {self.rho:.4g}")
        if self.inexact_rounds:
            msg += f"; {self.inexact_rounds} round(s) ended at round_iter={self.ctx.options.round_iter}"
        if use_incumbent:
            msg += "; answer = incumbent (better true leader objective than the last consensus)"
        if self.exhausted:
            msg = f"max_rounds={self.ctx.options.max_rounds} reached before the relaxation gap met relax_tol; " + msg
        return Outcome("max_iter" if self.exhausted else "converged", msg, 0, answer, None, None, extra=extra)
