"""Equilibrium certificates: how far a strategy's answer is from an equilibrium.

Every quantity is computed independently of the strategy that produced the answer:

* **best-response gap** of follower i: ``(J_i(x_i; p) − φ_i(p)) / max(1, |φ_i(p)|)`` where
  ``x_i`` is what the strategy reports for i, ``J_i`` its objective at the final signals p and
  ``φ_i(p)`` its optimal value, obtained by re-solving i at p. (In a deployment each follower
  computes this locally and reports one number.)
* **coupling residual** of a market coupling: ``‖Σ_i y_i − s‖_∞ / max(1, ‖Σ_i |y_i|‖_∞, ‖s‖_∞)``
  with ``s`` the leader's supply (its best supply at p unless the strategy reports one); the
  floor of 1 output unit keeps it meaningful when nobody trades at equilibrium.
* **duality gap**: ``(P* − D(p)) / max(1, |P*|)`` where P* is the centralized welfare optimum
  and ``D(p) = Σ_i φ_i(p) + Σ_c min_s (C_c(s) − ⟨p_c, s⟩)`` is the Lagrangian dual value at
  the final prices (≥ 0 by weak duality; 0 exactly at a market equilibrium).
* **leader regret** (Stackelberg games with a reference): ``(F(p) − F*) / max(1, |F*|)`` with
  F the leader's (first) objective in minimisation form, evaluated at the followers' best
  responses to p.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from gamecore.canonical import Response
from gamecore.game import SUPPLY, Game


@dataclass
class Certificate:
    """Equilibrium certificate (relative measures; ``None`` where not applicable)."""

    best_response_gap: float | None = None
    coupling_residual: float | None = None
    duality_gap: float | None = None
    leader_regret: float | None = None
    best_response_gaps: list[float] = field(default_factory=list)
    coupling_residuals: dict[str, list[float]] = field(default_factory=dict)
    dual_value: float | None = None
    centralized_bound: float | None = None
    welfare_cost: float | None = None

    def summary(self) -> dict[str, float | None]:
        return {"best_response_gap": self.best_response_gap, "coupling_residual": self.coupling_residual,
                "duality_gap": self.duality_gap, "leader_regret": self.leader_regret}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def within(self, best_response: float = 1e-5, coupling: float = 1e-4, duality: float = 1e-4,
               regret: float = 1e-3) -> bool:
        """True when every applicable measure is under its tolerance."""
        checks = [(self.best_response_gap, best_response), (self.coupling_residual, coupling),
                  (self.duality_gap, duality), (self.leader_regret, regret)]
        return all(v is None or (np.isfinite(v) and v <= tol) for v, tol in checks)


def relative(value: float, scale: float) -> float:
    return float(value / max(1.0, abs(scale)))


def coupling_residual(total: np.ndarray, volume: np.ndarray, supply: np.ndarray) -> float:
    """Relative residual of one coupling: ``‖total − supply‖_∞ / max(1, ‖volume‖_∞, ‖supply‖_∞)``.

    ``total`` = Σ_i y_i, ``volume`` = Σ_i |y_i| (same shape, output units).
    """
    scale = max(1.0, float(np.max(np.abs(volume))), float(np.max(np.abs(supply))))
    return float(np.max(np.abs(np.ravel(total) - np.ravel(supply)))) / scale


def certify(game: Game, signal_vector: np.ndarray, reported: Sequence[Response], best: Sequence[Response],
            supplies: Mapping[str, Response] | None = None, centralized_bound: float | None = None,
            reference_leader_objective: float | None = None) -> Certificate:
    """Build a certificate.

    Args:
        game: the game.
        signal_vector: final signals (game layout).
        reported: the strategy's follower solutions (with canonical ``x``).
        best: each follower's best response at the final signals (re-solved).
        supplies: the strategy's leader supply responses per coupling (default: best supply at p).
        centralized_bound: P* of the welfare problem (market games).
        reference_leader_objective: F* (Stackelberg games), minimisation form.
    """
    cert = Certificate()
    gaps = []
    for i, (rep, br) in enumerate(zip(reported, best)):
        sigma = game.follower_signals(i, signal_vector)
        value = game.followers[i].program.objective_at(rep.x, sigma) if rep.x is not None else rep.objective
        gaps.append(max(0.0, relative(value - br.objective, br.objective)))
    cert.best_response_gaps = gaps
    cert.best_response_gap = float(max(gaps)) if gaps else None
    signals = game.layout.unpack(signal_vector)
    if game.is_market:
        residuals, worst = {}, 0.0
        dual = sum(r.objective for r in best)
        welfare = sum(rep_obj - game.payments(i, signals, rep) for i, (rep, rep_obj) in
                      enumerate(zip(reported, _objectives(game, signal_vector, reported))))
        for coupling in game.leader.couplings:
            price = signals[coupling.signal]
            supplier = game.suppliers[coupling.name]
            best_supply = supplier.solve(price.ravel())
            dual += best_supply.objective
            chosen = supplies[coupling.name] if supplies and coupling.name in supplies else best_supply
            supply = chosen.outputs[SUPPLY]
            welfare += game.supply_cost(coupling, price, _at(supplier, chosen, price.ravel()))
            senders = game.senders(coupling.output, coupling.followers)
            total = np.sum([reported[i].outputs[coupling.output] for i in senders], axis=0)
            volume = np.sum([np.abs(reported[i].outputs[coupling.output]) for i in senders], axis=0)
            residuals[coupling.name] = np.ravel(total - supply).tolist()
            worst = max(worst, coupling_residual(total, volume, supply))
        cert.coupling_residuals = residuals
        cert.coupling_residual = worst
        cert.dual_value = float(dual)
        cert.welfare_cost = float(welfare)
        if centralized_bound is not None:
            cert.centralized_bound = float(centralized_bound)
            cert.duality_gap = relative(centralized_bound - dual, centralized_bound)
    if game.is_stackelberg and reference_leader_objective is not None:
        value = float(game.leader_objectives(signals, best)[0])
        cert.leader_regret = relative(value - reference_leader_objective, reference_leader_objective)
    return cert


def _objectives(game: Game, signal_vector: np.ndarray, responses: Sequence[Response]) -> list[float]:
    out = []
    for i, r in enumerate(responses):
        if r.x is not None:
            out.append(game.followers[i].program.objective_at(r.x, game.follower_signals(i, signal_vector)))
        else:
            out.append(r.objective)
    return out


def _at(program: Any, response: Response, sigma: np.ndarray) -> Response:
    """``response`` with its objective re-evaluated at signals ``sigma`` (needs ``x``)."""
    if response.x is None:
        return response
    return Response(response.status, response.outputs, program.objective_at(response.x, sigma),
                    response.solve_time, response.iterations, response.x)
