"""Market building blocks: the one place where a coupling's balance, the dual value and the
automatic price probe are computed, shared by every market strategy and the certificate.

Notation (game ``G``, market coupling ``c`` with price signal ``p_c`` of ``m`` entries):

* **flows** of ``c``: each sender's coupling output ``y_i`` (output units), raveled, one row
  per sender (:func:`coupling_flows`, shape ``(n_senders, m)``);
* **total** ``Σ_i y_i`` and **volume** ``Σ_i |y_i|`` per entry (:func:`coupling_totals`);
* **excess** ``Σ_i y_i − s`` with ``s`` the leader's supply, and the relative **residual**
  ``‖Σ_i y_i − s‖_∞ / max(1, ‖Σ_i |y_i|‖_∞, ‖s‖_∞)`` (:class:`Balance`,
  :func:`coupling_residual`; the floor of one output unit keeps it meaningful when nobody
  trades);
* the **dual value** ``D(p) = Σ_i φ_i(p) + Σ_c min_s (C_c(s) − ⟨p_c, s⟩)`` of the welfare
  problem, from best responses and best supplies at ``p`` (:func:`dual_value`);
* the **price probe**: one step of :data:`PROBE_FRACTION` of the price range and the
  per-entry secant slope ``|Δexcess / Δp|`` it shows (:func:`probe_delta`,
  :func:`probe_vector`, :func:`secant_slopes`), from which strategies pick step sizes;
* the **priced-signal check** (:func:`price_mask`, :func:`require_priced`) and the
  centralized bound ``P*`` when the welfare problem has one (:func:`centralized_bound`).

Vectors "in the game layout" have shape ``(game.layout.size,)``, signal entries in
:class:`~gamecore.signals.SignalLayout` order. Nothing here keeps state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from gamecore.canonical import Response
from gamecore.errors import GameError
from gamecore.game import SUPPLY, Game
from gamecore.leader import MarketCoupling
from gamecore.solver import OK_STATUSES

#: the automatic step probe moves each price by this fraction of its range
PROBE_FRACTION = 0.01
#: a price that moved by no more than this (price units) gives no slope (noise, not signal)
MIN_MOVE = 1e-12


# ------------------------------------------------------------------ priced signals
def price_mask(game: Game) -> np.ndarray:
    """Boolean mask, game layout ``(layout.size,)``: the entries of signals that price a coupling."""
    mask = np.zeros(game.layout.size, dtype=bool)
    for c in game.leader.couplings:
        mask[game.layout.slices[c.signal]] = True
    return mask


def unpriced_signals(game: Game) -> list[str]:
    """Names of the signals of ``game`` that price no market coupling (layout order)."""
    priced = {c.signal for c in game.leader.couplings}
    return [s for s in game.layout.names if s not in priced]


def require_priced(game: Game, needed_by: str, error: type[Exception] = GameError) -> None:
    """Raise ``error`` unless every signal of ``game`` is the price of a market coupling.

    ``needed_by`` names what needs it (e.g. ``"the centralized welfare problem"``) in the message.
    """
    unpriced = unpriced_signals(game)
    if unpriced:
        raise error(f"game '{game.name}': signals {unpriced} price no market coupling; {needed_by} needs "
                    "every signal to be a coupling price")


# ------------------------------------------------------------------ balance of a coupling
def coupling_flows(game: Game, coupling: MarketCoupling, responses: Sequence[Response],
                   entries: slice = slice(None)) -> np.ndarray:
    """The senders' coupling outputs, shape ``(n_senders, m)`` (output units).

    Row k is the raveled output ``coupling.output`` of the k-th sender
    (``game.senders(coupling.output, coupling.followers)``), restricted to ``entries`` of the
    price (default all ``m = size`` entries; ``slice(0, 1)``: the current period only).
    """
    senders = game.senders(coupling.output, coupling.followers)
    if not senders:
        size = game.layout.slices[coupling.signal].stop - game.layout.slices[coupling.signal].start
        return np.zeros((0, size))[:, entries]
    return np.vstack([np.ravel(responses[i].outputs[coupling.output])[entries] for i in senders])


def coupling_totals(game: Game, coupling: MarketCoupling, responses: Sequence[Response],
                    entries: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """``(Σ_i y_i, Σ_i |y_i|)`` over the coupling's senders, each of shape ``(m,)`` (output units)."""
    flows = coupling_flows(game, coupling, responses, entries)
    return flows.sum(axis=0), np.abs(flows).sum(axis=0)


def coupling_residual(total: np.ndarray, volume: np.ndarray, supply: np.ndarray) -> float:
    """Relative residual of one coupling: ``‖total − supply‖_∞ / max(1, ‖volume‖_∞, ‖supply‖_∞)``.

    ``total`` = Σ_i y_i, ``volume`` = Σ_i |y_i|, ``supply`` = s (same size, output units).
    NaN/inf in any of them gives inf (a failure, never a pass).
    """
    arrays = [np.asarray(a, dtype=float) for a in (total, volume, supply)]
    if not all(np.isfinite(a).all() for a in arrays):
        return float("inf")
    scale = max(1.0, float(np.max(np.abs(arrays[1]))), float(np.max(np.abs(arrays[2]))))
    return float(np.max(np.abs(np.ravel(arrays[0]) - np.ravel(arrays[2])))) / scale


@dataclass(frozen=True)
class Balance:
    """Balance of one coupling at one set of responses; every array has shape ``(m,)``.

    Attributes:
        total: Σ_i y_i; volume: Σ_i |y_i|; supply: the leader's supply s (output units).
    """

    total: np.ndarray
    volume: np.ndarray
    supply: np.ndarray

    @property
    def excess(self) -> np.ndarray:
        """``Σ_i y_i − s`` per entry (> 0: demand exceeds supply, the price should rise)."""
        return self.total - self.supply

    @property
    def residual(self) -> float:
        """The relative residual :func:`coupling_residual` (inf on NaN/inf)."""
        return coupling_residual(self.total, self.volume, self.supply)


def coupling_balance(game: Game, coupling: MarketCoupling, responses: Sequence[Response], supply: np.ndarray,
                     entries: slice = slice(None)) -> Balance:
    """:class:`Balance` of ``coupling`` with the followers' ``responses`` and the leader's ``supply``.

    ``supply``: the supply output (any shape with the price's entries, output units);
    ``entries`` restricts both sides to those entries of the price (see :func:`coupling_flows`).
    """
    total, volume = coupling_totals(game, coupling, responses, entries)
    return Balance(total, volume, np.ravel(np.asarray(supply, dtype=float))[entries])


# ------------------------------------------------------------------ dual value
def best_supplies(game: Game, signal_vector: np.ndarray) -> dict[str, Response]:
    """The leader's best supply response of every coupling at prices ``signal_vector`` (game layout).

    Statuses are not checked: a caller that needs a solved supply checks ``response.ok``.
    """
    vector = np.asarray(signal_vector, dtype=float)
    return {c.name: game.suppliers[c.name].solve(vector[game.layout.slices[c.signal]])
            for c in game.leader.couplings}


def dual_value(game: Game, best: Sequence[Response], supplies: Mapping[str, Response]) -> float:
    """``D(p) = Σ_i φ_i(p) + Σ_c ψ_c(p_c)`` (objective units), the welfare problem's Lagrangian dual.

    ``best``: every follower's best response at p (``φ_i(p)`` = its objective, payments
    included); ``supplies``: coupling name -> the leader's best supply at p_c (``ψ_c(p_c) =
    min_s C_c(s) − ⟨p_c, s⟩`` = its objective). D(p) ≤ P* (weak duality), with equality at a
    market equilibrium.
    """
    value = sum(r.objective for r in best)
    for c in game.leader.couplings:
        value += supplies[c.name].objective
    return float(value)


def clearing_welfare(game: Game, signal_vector: np.ndarray, responses: Sequence[Response],
                     supplies: Mapping[str, Response] | None = None) -> float | None:
    """``W = Σ_i (J_i(y_i; p) − ⟨p, y_i⟩) + Σ_c C_c(s_c)`` (objective units): the welfare cost of the
    followers' points with each coupling's supply ``s_c`` as close as its program allows to what
    they demand, ``Σ_i y_i``.

    ``s_c`` is the cheapest supply within ``max_t |Σ_i y_i − s'_t|`` of the demand, ``s'`` the given
    supply (default: the leader's best supply at p) — a band that contains ``s'``, so it is never
    empty, and that is 0 at a cleared market. When the band is 0 and each point is feasible for its
    follower, ``(y, s)`` is a feasible point of the welfare problem, so ``P* ≤ W``; with weak duality
    ``D(p) ≤ P*``, ``W − D(p)`` bounds the duality gap from above without solving the welfare
    problem: it is the followers' best-response gaps plus the leader's supply gap plus ``⟨p, s − Σ
    y⟩``, all 0 at a market equilibrium. A small imbalance enters through the last term (as it enters
    the certificate's coupling residual). ``J_i`` is evaluated at the response's canonical ``x`` when
    it has one. None when a supply program cannot be solved in its band.
    """
    vector = np.asarray(signal_vector, dtype=float)
    signals = game.layout.unpack(vector)
    welfare = 0.0
    for i, (follower, response) in enumerate(zip(game.followers, responses)):
        sigma = game.follower_signals(i, vector)
        value = follower.program.objective_at(response.x, sigma) if response.x is not None else response.objective
        welfare += value - game.payments(i, signals, response)
    given = supplies or best_supplies(game, vector)
    for coupling in game.leader.couplings:
        total, _ = coupling_totals(game, coupling, responses)
        offset = total - np.ravel(np.asarray(given[coupling.name].outputs[SUPPLY], dtype=float))
        band = float(np.abs(offset).max(initial=0.0))
        cost = pinned_supply_cost(game, coupling, vector[game.layout.slices[coupling.signal]], total, band)
        if cost is None:
            return None
        welfare += cost
    return float(welfare)


def pinned_supply_cost(game: Game, coupling: MarketCoupling, price: np.ndarray, supply: np.ndarray,
                       slack: float = 0.0) -> float | None:
    """``C_c(s)``: the leader's supply cost of ``coupling`` at a given supply ``s`` (output units; its
    program minimised over everything else, ``s`` pinned within ``slack`` output units per entry,
    widened by 1e-6 relative and at least 1e-9 relative to ``s`` so that a supply on the band's
    edge stays inside it). None when no supply that close is feasible for the supply program."""
    prog = game.suppliers[coupling.name]
    cols, _ = prog.outputs[SUPPLY]
    s = np.ravel(np.asarray(supply, dtype=float))
    pick = sp.csc_matrix((np.ones(cols.size), (np.arange(cols.size), cols)), shape=(cols.size, prog.n))
    slack = max(float(slack) * (1.0 + 1e-6), 1e-9 * max(1.0, float(np.abs(s).max(initial=0.0))))
    sigma = np.ravel(np.asarray(price, dtype=float))
    status, x, _, _ = prog.solve_restricted(sigma, prog.P, prog.q(sigma), sp.vstack([prog.A, pick, -pick]).tocsc(),
                                            np.concatenate([s + slack, -s + slack]))
    if x is None or status not in OK_STATUSES:
        return None
    return float(prog.objective_at(x, sigma) + sigma @ x[cols])


def mix_responses(a: Response, b: Response, theta: float, program: Any, sigma: np.ndarray) -> Response:
    """``θ·a + (1 − θ)·b`` of two responses of the same program (outputs and canonical x).

    A convex combination of two feasible points of a convex program is feasible; its
    objective is re-evaluated at ``sigma`` (the program's signals). Needs both ``x``.
    """
    if a.x is None or b.x is None:
        raise GameError("mix_responses: both responses must carry their canonical x")
    x = theta * a.x + (1.0 - theta) * b.x
    outputs = {k: theta * np.asarray(a.outputs[k]) + (1.0 - theta) * np.asarray(b.outputs[k]) for k in a.outputs}
    status = a.status if a.status == b.status else "optimal_inaccurate"
    return Response(status, outputs, program.objective_at(x, sigma), a.solve_time + b.solve_time,
                    a.iterations + b.iterations, x)


def centralized_bound(game: Game) -> float | None:
    """P*, the centralized welfare optimum of ``game`` (objective units), or None when the
    welfare problem is not defined (a signal prices no coupling) or not solved."""
    # imported here: gamecore.centralized itself imports this module (require_priced)
    from gamecore.centralized import solve_centralized

    try:
        return solve_centralized(game).objective
    except GameError:
        return None


# ------------------------------------------------------------------ price probe
def probe_delta(lower: np.ndarray, upper: np.ndarray, at: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Probe step per entry (price units, shape of ``at``): :data:`PROBE_FRACTION` of the price
    range ``upper − lower``, of ``max(1, |at|)`` where the range is infinite; 0 off ``mask``."""
    span = np.where(np.isfinite(upper - lower), upper - lower, np.maximum(1.0, np.abs(at)))
    return np.where(mask, PROBE_FRACTION * span, 0.0)


def probe_vector(at: np.ndarray, lower: np.ndarray, upper: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``at − delta`` projected on ``[lower, upper]``; ``at + delta`` (projected) when the first
    moves no entry where ``delta > 0`` (every probed price sits at its lower bound)."""
    probe = np.clip(at - delta, lower, upper)
    probed = delta > 0
    if not np.any(np.abs(probe - at)[probed] > 0):
        probe = np.clip(at + delta, lower, upper)
    return probe


def secant_slopes(p0: np.ndarray, g0: np.ndarray, p1: np.ndarray, g1: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-entry slope ``|g1 − g0| / |p1 − p0|`` of an excess ``g`` between prices ``p0``, ``p1``
    (output units per price unit, game layout); 0 off ``mask`` and where the price moved by no
    more than :data:`MIN_MOVE`."""
    moved = np.abs(p1 - p0)
    ok = mask & (moved > MIN_MOVE)
    slopes = np.zeros_like(moved)
    slopes[ok] = np.abs(g1[ok] - g0[ok]) / moved[ok]
    return slopes
