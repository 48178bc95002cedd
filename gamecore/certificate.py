"""Equilibrium certificates: how far a strategy's answer is from an equilibrium.

Every quantity is computed independently of the strategy that produced the answer, and
each can fail on a wrong answer: NaN/inf is a failure, and a measure the game needs that
could not be computed is listed in :attr:`Certificate.unchecked` (``within()`` is then
False: "not certified").

Every game:

* **best-response gap** of follower i: ``(J_i(x_i; p) − φ_i(p)) / max(1, |φ_i(p)|)`` where
  ``x_i`` is what the strategy reports for i, ``J_i`` its objective at the final signals p and
  ``φ_i(p)`` its optimal value, obtained by re-solving i at p. (In a deployment each follower
  computes this locally and reports one number.)
* **follower infeasibility**: how far each reported point lies outside its follower's
  feasible set at the final signals (cone violation of ``b(p) − A x`` relative to
  ``max(1, ‖b(p)‖∞)``; a point can have a small gap by being infeasible).

Market games:

* **coupling residual** of a market coupling: ``‖Σ_i y_i − s‖_∞ / max(1, ‖Σ_i |y_i|‖_∞, ‖s‖_∞)``
  with ``s`` the leader's supply (its best supply at p unless the strategy reports one); the
  floor of 1 output unit keeps it meaningful when nobody trades at equilibrium.
* **duality gap**: ``(P* − D(p)) / max(1, |P*|)`` where P* is the centralized welfare optimum
  and ``D(p) = Σ_i φ_i(p) + Σ_c min_s (C_c(s) − ⟨p_c, s⟩)`` is the Lagrangian dual value at
  the final prices (≥ 0 by weak duality; 0 exactly at a market equilibrium). Two-sided: a
  gap below ``−tol`` means the bound or a follower solve is wrong, and fails.
  Without P* (``duality="clearing"``: the welfare problem is not solved, e.g. on every stage of a
  rolling day), the gap is bounded from above by ``(W − D(p)) / max(1, |W|)`` with ``W`` the
  welfare cost of the reported points with each supply as close to their demand as the reported
  imbalance allows (:func:`gamecore.market.clearing_welfare`; a feasible welfare point when the
  market clears: ``D(p) ≤ P* ≤ W``); small only at an equilibrium, so it fails like the exact gap.

Both market measures and D(p) are computed by :mod:`gamecore.market`, the same blocks the
market strategies use.

Stackelberg games (the leader's first objective F, minimisation form, optimistic notion):

* **leader violation**: largest relative violation of the leader's constraints at the
  reported responses (games with leader constraints), and for integer / binary signals the
  largest ``|x − round(x)|`` of their entries (absolute, signal units; games with integer
  signals, either notion): a non-integral value is infeasible for the leader. Besides the
  measure's own tolerance, an integer signal off an integer by more than
  :data:`INTEGRALITY_TOL` fails it, the failure naming the signal
  (:attr:`Certificate.integrality_violations`).
* **optimistic gap**: ``(F(p, y_reported) − F_opt(p)) / max(1, |F_opt(p)|)`` with F_opt the
  leader-best selection from the followers' optimal sets at p (:mod:`gamecore.optimistic`):
  how much better the leader could do at the same signals by the followers' tie-breaking.
* **leader regret**: ``(F(p, y_reported) − F_lb) / max(1, |F_lb|)`` against a lower bound
  F_lb on the leader's optimum (:mod:`gamecore.bounds`: a closed form, ``kkt``'s proven
  bound). Two-sided: a regret below ``−tol`` means the answer beats a valid bound (the
  bound or the answer is wrong), and fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from gamecore.canonical import Response
from gamecore.game import SUPPLY, Game
from gamecore.market import best_supplies, clearing_welfare, coupling_balance, dual_value

#: every measure, with its default tolerance (relative)
TOLERANCES: dict[str, float] = {
    "best_response_gap": 1e-5, "follower_infeasibility": 1e-6, "coupling_residual": 1e-4, "duality_gap": 1e-4,
    "leader_violation": 1e-5, "optimistic_gap": 1e-4, "leader_regret": 1e-3,
}
#: largest |x − round(x)| (signal units) of an integer signal's entry that still counts as
#: integral; above it the leader's point is infeasible (``leader_violation`` fails, naming the
#: signal). Override with ``failures(integrality=...)``.
INTEGRALITY_TOL = 1e-6
#: measures that also fail when clearly negative (they compare with a valid bound)
TWO_SIDED = ("duality_gap", "leader_regret")
#: per notion, the measures that say the answer is a feasible point of the game, as opposed
#: to how good it is. Market: every follower's point inside its feasible set and every
#: coupling cleared make a feasible allocation of the welfare problem (welfare cost ≥ P*),
#: best responses or not. Stackelberg: a bilevel-feasible point needs the followers at best
#: responses inside their feasible sets and the leader's constraints held (leader value ≥ F*).
FEASIBILITY: dict[str, tuple[str, ...]] = {
    "market": ("follower_infeasibility", "coupling_residual", "leader_violation"),
    "stackelberg": ("best_response_gap", "follower_infeasibility", "leader_violation"),
}
#: ``within()`` keyword -> measure (the short names of earlier versions are kept)
_KEYWORDS = {"best_response": "best_response_gap", "feasibility": "follower_infeasibility",
             "coupling": "coupling_residual", "duality": "duality_gap", "leader": "leader_violation",
             "optimistic": "optimistic_gap", "regret": "leader_regret"}


def required_measures(game: Game, notion: Literal["market", "stackelberg"]) -> list[str]:
    """The measures a certificate of ``game`` under ``notion`` must hold to certify an answer.

    ``leader_violation`` is required for a Stackelberg game with leader constraints, and for
    any game with integer signals (their integrality is a leader constraint)."""
    out = ["best_response_gap", "follower_infeasibility"]
    if notion == "market":
        out += ["coupling_residual", "duality_gap"]
        if game.layout.has_integer:
            out.append("leader_violation")
    else:
        if game.has_leader_constraints or game.layout.has_integer:
            out.append("leader_violation")
        out += ["optimistic_gap", "leader_regret"]
    return out


@dataclass
class Certificate:
    """Equilibrium certificate (relative measures; ``None`` where not computed).

    ``required`` lists the measures this game needs; any of them that is ``None`` is
    :attr:`unchecked` and the answer is not :attr:`certified`.
    """

    best_response_gap: float | None = None
    coupling_residual: float | None = None
    duality_gap: float | None = None
    leader_regret: float | None = None
    follower_infeasibility: float | None = None
    leader_violation: float | None = None
    optimistic_gap: float | None = None
    leader_bound: float | None = None
    bound_source: str | None = None
    optimistic_objective: float | None = None
    best_response_gaps: list[float] = field(default_factory=list)
    coupling_residuals: dict[str, list[float]] = field(default_factory=dict)
    #: per integer signal, ``max |x − round(x)|`` over its entries at the final signals (signal
    #: units; empty for a game without integer signals or when not computed)
    integrality_violations: dict[str, float] = field(default_factory=dict)
    dual_value: float | None = None
    centralized_bound: float | None = None
    #: W of the clearing bound on the duality gap (``duality="clearing"``; module docstring)
    clearing_welfare: float | None = None
    welfare_cost: float | None = None
    required: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    notion: Literal["market", "stackelberg"] | None = None

    def summary(self) -> dict[str, Any]:
        """Every measure (None where not computed) and ``certified``."""
        out: dict[str, Any] = {m: getattr(self, m) for m in TOLERANCES}
        out["certified"] = self.certified
        return out

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["unchecked"] = self.unchecked
        data["certified"] = self.certified
        return data

    @property
    def unchecked(self) -> list[str]:
        """Required measures that were not computed."""
        return [m for m in self.required if getattr(self, m) is None]

    @property
    def certified(self) -> bool:
        """Every required measure computed and within its default tolerance."""
        return self.within()

    @property
    def feasible(self) -> bool:
        """The required :data:`FEASIBILITY` measures of the certificate's notion computed and
        within their default tolerances: the answer is a feasible point of the game (though
        maybe not a good one). False when the notion is not known."""
        if self.notion is None or not self.required:
            return False
        return not self.failures(measures=FEASIBILITY[self.notion])

    def failures(self, measures: Sequence[str] | None = None, **tolerances: float) -> list[str]:
        """Why :meth:`within` is False (empty when it is True), one phrase per measure.

        Args:
            measures: judge only these of the required measures (default: all of them).
            tolerances: per-measure overrides (keywords of :meth:`within` or measure names;
                ``integrality`` overrides :data:`INTEGRALITY_TOL`).

        A ``leader_violation`` failure caused by an integer signal names the signal.
        """
        tols = _tolerances(tolerances)
        int_tol = tols.get("integrality", INTEGRALITY_TOL)
        out = []
        if not self.required:
            out.append("no measure was required (nothing was certified)")
        for m in self.required:
            if measures is not None and m not in measures:
                continue
            v = getattr(self, m)
            why = ""
            if m == "leader_violation" and v is not None:
                why = "; ".join(f"integer signal '{name}' not integral (max |x - round(x)| = {dev:.3g} > {int_tol:g})"
                                for name, dev in self.integrality_violations.items() if not dev <= int_tol)
            if v is None:
                out.append(f"{m} unchecked")
            elif not np.isfinite(v):
                out.append(f"{m} is {v}" + (f" ({why})" if why else ""))
            elif v > tols[m]:
                out.append(f"{m} {v:.3g} > {tols[m]:g}" + (f" ({why})" if why else ""))
            elif why:
                out.append(f"{m}: {why}")
            elif m in TWO_SIDED and v < -tols[m]:
                out.append(f"{m} {v:.3g} < -{tols[m]:g} (below a valid bound: the bound or the answer is wrong)")
        return out

    def within(self, best_response: float | None = None, coupling: float | None = None,
               duality: float | None = None, regret: float | None = None, *, feasibility: float | None = None,
               leader: float | None = None, optimistic: float | None = None) -> bool:
        """True when every required measure is computed, finite and within its tolerance.

        Tolerances default to :data:`TOLERANCES` (best response 1e-5, feasibility 1e-6,
        coupling 1e-4, duality 1e-4 two-sided, leader constraints 1e-5, optimistic 1e-4,
        regret 1e-3 two-sided). A certificate with no required measure (e.g. of a
        failed result) is never within.
        """
        given = {"best_response": best_response, "coupling": coupling, "duality": duality, "regret": regret,
                 "feasibility": feasibility, "leader": leader, "optimistic": optimistic}
        tolerances: dict[str, float] = {k: v for k, v in given.items() if v is not None}
        return not self.failures(None, **tolerances)


def _tolerances(overrides: Mapping[str, float]) -> dict[str, float]:
    tols = dict(TOLERANCES)
    for key, value in overrides.items():
        tols[_KEYWORDS.get(key, key)] = float(value)
    return tols


def relative(value: float, scale: float) -> float:
    """``value / max(1, |scale|)``; NaN/inf in either gives inf (a failure, never a pass)."""
    if not (np.isfinite(value) and np.isfinite(scale)):
        return float("inf")
    return float(value / max(1.0, abs(scale)))


@dataclass(frozen=True)
class LeaderBound:
    """A lower bound on the leader's optimal (first) objective, minimisation form.

    Attributes:
        value: the bound; source: how it was obtained (``"reference (closed form)"``,
            ``"kkt (proven optimal)"``, ``"kkt (time limit: dual bound)"`` ...).
    """

    value: float
    source: str


def certify(game: Game, signal_vector: np.ndarray, reported: Sequence[Response], best: Sequence[Response],
            supplies: Mapping[str, Response] | None = None, centralized_bound: float | None = None,
            reference_leader_objective: float | None = None, *,
            notion: Literal["market", "stackelberg"] | None = None,
            leader_bound: LeaderBound | None = None, clearing_bound: bool = False) -> Certificate:
    """Build a certificate.

    Args:
        game: the game.
        signal_vector: final signals (game layout).
        reported: the strategy's follower solutions (with canonical ``x`` where it has one).
        best: each follower's best response at the final signals (re-solved, with ``x``).
        supplies: the strategy's leader supply responses per coupling (default: best supply at p).
        centralized_bound: P* of the welfare problem (market games).
        reference_leader_objective: F* (Stackelberg games), minimisation form: used as the
            leader bound when ``leader_bound`` is not given.
        notion: the equilibrium certified (default: market for games with couplings).
        leader_bound: a lower bound on the leader's optimum (Stackelberg).
        clearing_bound: without ``centralized_bound``, bound the duality gap from above by the
            reported points' clearing welfare (module docstring) instead of leaving it unchecked.
    """
    notion = notion or ("market" if game.is_market else "stackelberg")
    cert = Certificate(required=required_measures(game, notion), notion=notion)
    gaps, infeasible = [], []
    for i, (rep, br) in enumerate(zip(reported, best)):
        sigma = game.follower_signals(i, signal_vector)
        prog = game.followers[i].program
        value = prog.objective_at(rep.x, sigma) if rep.x is not None else rep.objective
        gaps.append(max(0.0, relative(value - br.objective, br.objective)) if br.ok else float("inf"))
        infeasible.append(prog.infeasibility(rep.x, sigma) if rep.x is not None else None)
    cert.best_response_gaps = gaps
    cert.best_response_gap = float(max(gaps)) if gaps else None
    measured = [v for v in infeasible if v is not None]
    if measured and len(measured) == len(infeasible):
        cert.follower_infeasibility = float(max(measured))
    signals = game.layout.unpack(signal_vector)
    if notion == "market":
        _market_measures(cert, game, signal_vector, signals, reported, best, supplies, centralized_bound,
                         clearing_bound)
        if "leader_violation" in cert.required:
            _leader_feasibility(cert, game, signal_vector, reported)
    else:
        if leader_bound is None and reference_leader_objective is not None:
            leader_bound = LeaderBound(float(reference_leader_objective), "reference")
        _stackelberg_measures(cert, game, signal_vector, signals, reported, best, leader_bound)
    return cert


def _market_measures(cert: Certificate, game: Game, signal_vector: np.ndarray, signals: dict[str, np.ndarray],
                     reported: Sequence[Response], best: Sequence[Response],
                     supplies: Mapping[str, Response] | None, centralized_bound: float | None,
                     clearing_bound: bool = False) -> None:
    residuals, worst = {}, 0.0
    best_supply = best_supplies(game, signal_vector)
    used: dict[str, Response] = {}
    dual = dual_value(game, best, best_supply)
    welfare = sum(rep_obj - game.payments(i, signals, rep) for i, (rep, rep_obj) in
                  enumerate(zip(reported, _objectives(game, signal_vector, reported))))
    for coupling in game.leader.couplings:
        price = signals[coupling.signal]
        chosen = supplies[coupling.name] if supplies and coupling.name in supplies else best_supply[coupling.name]
        used[coupling.name] = chosen
        welfare += game.supply_cost(coupling, price, _at(game.suppliers[coupling.name], chosen, price.ravel()))
        balance = coupling_balance(game, coupling, reported, chosen.outputs[SUPPLY])
        residuals[coupling.name] = balance.excess.tolist()
        worst = max(worst, balance.residual)
    cert.coupling_residuals = residuals
    cert.coupling_residual = worst
    cert.dual_value = dual
    cert.welfare_cost = float(welfare)
    if centralized_bound is not None:
        cert.centralized_bound = float(centralized_bound)
        cert.duality_gap = relative(centralized_bound - dual, centralized_bound)
    elif clearing_bound:
        bound = clearing_welfare(game, signal_vector, reported, used)
        if bound is None:
            cert.notes.append("duality gap unchecked: a supply program could not be solved near the followers' demand")
        else:
            cert.clearing_welfare = bound
            cert.duality_gap = relative(bound - dual, bound)
            cert.notes.append("duality gap bounded above by the clearing welfare W (D(p) <= P* <= W)")


def _stackelberg_measures(cert: Certificate, game: Game, signal_vector: np.ndarray, signals: dict[str, np.ndarray],
                          reported: Sequence[Response], best: Sequence[Response],
                          leader_bound: LeaderBound | None) -> None:
    from gamecore.optimistic import optimistic_selection

    value = float(game.leader_objectives(signals, reported)[0])
    _leader_feasibility(cert, game, signal_vector, reported)
    selection = optimistic_selection(game, signal_vector, best)
    if selection.value is not None:
        cert.optimistic_objective = selection.value
        cert.optimistic_gap = relative(value - selection.value, selection.value)
    else:
        cert.notes.append(f"optimistic selection not computed: {selection.status}")
    if leader_bound is not None:
        cert.leader_bound = float(leader_bound.value)
        cert.bound_source = leader_bound.source
        cert.leader_regret = relative(value - leader_bound.value, leader_bound.value)
    else:
        cert.notes.append("no lower bound on the leader's optimum (no reference, kkt not applicable)")


def _leader_feasibility(cert: Certificate, game: Game, signal_vector: np.ndarray,
                        reported: Sequence[Response]) -> None:
    """``leader_violation``: the leader's constraints (relative violation at the reported
    responses) and the integrality of its integer signals (``|x − round(x)|``, signal units),
    the larger of the two; NaN/inf anywhere gives inf (a failure). Left None when the game has
    neither (the measure is then not required)."""
    parts: list[float] = []
    if game.layout.has_integer:
        cert.integrality_violations = game.layout.non_integrality(signal_vector)
        parts += list(cert.integrality_violations.values())
    if game.has_leader_constraints:
        parts.append(float(game.leader_violation(signal_vector, reported)))
    if parts:
        cert.leader_violation = float(max(parts)) if all(np.isfinite(p) for p in parts) else float("inf")


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
