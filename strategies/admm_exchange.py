"""``admm-exchange`` (the alias ``admm`` on market games): exchange ADMM on the coupling prices.
Options: :class:`strategies.admm.ExchangeOptions`.

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

Stop when ‖r‖ ≤ ε_pri and ‖s‖ ≤ ε_dual (defaults ε_abs = ε_rel = 1e-6 here).
Residual balancing (:meth:`strategies.admm.BoydOptions.rebalance`) on the residuals
measured in units of their tolerances; p = ρu is kept unscaled, so nothing else changes.

**Fixed point.** There r = 0 and every prox term vanishes: each y_i is a best response to p,
the supply is the leader's best supply and the balance clears — the KKT system of the
centralized welfare problem ``min Σ f_i + Σ C_c s.t. Σ y = s`` with p its optimal coupling
duals, i.e. the market equilibrium (``equilibrium = "market"``).

Start: the signal-box midpoint p⁰ is evaluated, then one probe at p⁰ − 1 % of the price
range gives the per-entry slope L_t of the excess. ``rho=0`` (default) takes
ρ = median_t(m_c / L_t): the agents' harmonic mean curvature (for a follower with
y = (a − p)/b, dy/dp = −1/b, so m/L is the harmonic mean of the b's). The start price is
the secant step p⁰ + E(p⁰)/L (projected), whose best responses seed y⁰, s⁰.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gamecore.canonical import Prox, Response
from gamecore.errors import StrategyError
from gamecore.game import SUPPLY, Game
from gamecore.market import coupling_flows
from gamecore.strategy import Outcome, SolveContext

#: registry name of the strategy this module implements (:class:`strategies.admm.ADMMExchange`)
NAME = "admm-exchange"


@dataclass
class ExchangeState:
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


def check_exchange(game: Game) -> None:
    """Exchange ADMM needs each follower output in at most one coupling."""
    seen: dict[tuple[int, str], str] = {}
    for c in game.leader.couplings:
        for i in game.senders(c.output, c.followers):
            if (i, c.output) in seen:
                raise StrategyError(f"strategy '{NAME}': output '{c.output}' of follower '{game.followers[i].name}' "
                                    f"enters couplings '{seen[(i, c.output)]}' and '{c.name}'; exchange ADMM "
                                    "needs each output in at most one coupling")
            seen[(i, c.output)] = c.name


def _agent_matrix(game: Game, coupling: Any, responses: Sequence[Response], supply: Response) -> np.ndarray:
    """``(m_c, size_c)``: the senders' flows (:func:`gamecore.market.coupling_flows`), then ``−s``."""
    return np.vstack([coupling_flows(game, coupling, responses), -np.ravel(supply.outputs[SUPPLY])])


def exchange_init(ctx: SolveContext) -> ExchangeState:
    """Secant start and automatic ρ (module docstring)."""
    game, opts = ctx.game, ctx.options
    couplings = game.leader.couplings
    senders = [game.senders(c.output, c.followers) for c in couplings]
    p0 = ctx.project(game.layout.midpoint())
    point0 = ctx.market_point(p0)
    slope, _ = ctx.probe_slopes(point0)
    # secant start (per entry, only where the excess responds to the price)
    start = p0.copy()
    good = slope > 0
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
    X = [_agent_matrix(game, c, point.responses, point.supplies[c.name]) for c in couplings]
    return ExchangeState(start, point.responses, dict(point.supplies), X, rho, senders)


def exchange_step(ctx: SolveContext, st: ExchangeState) -> ExchangeState:
    """One Jacobi exchange iteration, Boyd's residuals and stopping rule, residual balancing."""
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
    X_new = [_agent_matrix(game, c, responses, supplies[c.name]) for c in couplings]
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
    eps_abs, eps_rel = opts.tolerances()
    eps_pri = np.sqrt(n) * eps_abs + eps_rel * max(x_norm, z_norm)
    eps_dual = np.sqrt(n) * eps_abs + eps_rel * y_norm
    done = r_norm <= eps_pri and s_norm <= eps_dual
    new_rho, changes = rho, st.rho_changes
    if opts.balance and not done:
        new_rho, changed = opts.rebalance(rho, r_norm / eps_pri, s_norm / eps_dual)
        changes += int(changed)
    return ExchangeState(p, responses, supplies, X_new, new_rho, st.senders, r_norm, s_norm, eps_pri, eps_dual,
                         changes, done)


def exchange_outcome(ctx: SolveContext, st: ExchangeState) -> Outcome:
    """Final prices with the iterate's (proximal) responses and supplies."""
    msg = (f"exchange ADMM: primal residual {st.r_norm:.3g} (eps {st.eps_pri:.3g}), dual residual "
           f"{st.s_norm:.3g} (eps {st.eps_dual:.3g}), rho {st.rho:.4g} ({st.rho_changes} balancing changes)")
    return Outcome("converged", msg, 0, st.p, st.responses, st.supplies,
                   extra={"rho": st.rho, "rho_changes": st.rho_changes, "primal_residual": st.r_norm,
                          "dual_residual": st.s_norm})
