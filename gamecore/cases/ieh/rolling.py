"""The ``ieh`` case's rolling description: :class:`IEHRolling`, the IEH day operated over a
rolling horizon (:class:`gamecore.rolling.RollingHorizon`), with its per-period cost accounting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gamecore.cases.ieh.data import HubProfile, Scenario
from gamecore.cases.ieh.game import advance, stage_game
from gamecore.cases.ieh.model import (
    ACCOUNTING_OUTPUTS,
    HubPrograms,
    HubState,
    _check_weights,
    _tie_terms,
    initial_states,
    solve_hub,
)
from gamecore.centralized import solve_centralized
from gamecore.game import Game
from gamecore.rolling import PeriodCost, RollingHorizon

#: quadratic weight w (yuan/kW²) of the rolling description's stage games: strict convexity
#: of every hub's grid exchange, so that bids are continuous in the price (see IEHRolling)
ROLLING_QUADRATIC_WEIGHT = 1e-5
#: tie-breaking weight τ (yuan/kW²) of the rolling description's stage games: a unique state
#: trajectory for every hub, whoever solves the stage (see IEHRolling)
ROLLING_TIE_WEIGHT = 1e-5


class IEHRolling(RollingHorizon):
    """The IEH day operated over a rolling horizon (:class:`gamecore.rolling.RollingHorizon`).

    Stage games are :func:`stage_game` at data level ``level`` (default ``"rolling"``:
    measured current period, real-time / intra-day / day-ahead forecasts after it) with
    ``quadratic_weight`` w on every hub's ``Σ P²`` and ``tie_weight`` τ on its squared storage
    powers and shiftable rates; the day-ahead game is the same model at
    ``day_ahead_level`` (default ``"day-ahead"``) from the initial states. :func:`~gamecore.cases.ieh.build`
    attaches the default one as ``case.rolling``. ``IEHRolling(scenario, level="actual",
    day_ahead_level="actual")`` is the perfect-forecast day: its centralized rolling cost is the
    hindsight optimum, so a distributed method's gap there is its algorithmic error alone.

    Why w > 0 (default :data:`ROLLING_QUADRATIC_WEIGHT` = 1e-5 yuan/kW²): with the paper's
    LP hubs the bids are piecewise constant in the price, so no price clears a period
    exactly and day-ahead price iterations cycle. The quadratic term makes each hub's
    exchange a Lipschitz function of the prices (slope ≤ dt²/(2w)). Its size: ≈0.5 % of
    the hubs' cost as a fee, and the day's *real* cost (without it) of the centralized
    optimum moves by ≈0.02 % against the LP (10 and 50 hubs, figures below). Both the distributed method and
    the centralized rolling reference use the same stage games, so their comparison is
    like for like; every cost reported by :meth:`period_cost` is the real cost, without the
    quadratic terms (given separately as ``details["regularizer"]``).

    Why τ > 0 (default :data:`ROLLING_TIE_WEIGHT` = 1e-5 yuan/kW²): w fixes the bid P but not
    how a hub meets it. Storage timing, furnace vs CHP heat and shiftable-load timing have many
    equally cheap choices, and which one a solver returns depends on the problem it solves:
    at the same prices, the centralized stage solve and the hubs' own solves realised states
    up to 9.8 kWh apart (15 hubs, first stage). With forecast errors those different states
    lead to different later costs, so the two methods' gap measured forecast luck rather than
    the algorithm (−0.056 % at 20 hubs with τ = 0). τ makes each hub's stage problem strictly
    convex in every variable that defines its state: the same prices give the same states
    (within 0.11 kWh, median 0: solver tolerance; tested), and a stage's states are
    continuous in its prices. Real cost of the whole-day optimum on actual data against the
    LP (w = τ = 0): +0.022 % (10 hubs) / +0.014 % (50) with w alone, +0.028 % / +0.023 %
    with w and τ (``IEHRolling(...).hindsight_cost()``).

    Cost accounting of a realised period t (:meth:`period_cost`): each hub implements the
    cheapest dispatch of period t consistent with its realised exchange ``P_t`` and its
    state after the period (stored energies, shiftable energy served) — the hub model itself in
    accounting mode (``hub_model(..., target=next_state)``, compiled once per hub shape in
    :attr:`programs` and solved for all hubs as one stacked LP, :meth:`HubPrograms.account`; gas
    and unserved demand minimised; it is what any optimal schedule does in that period). Hub
    cost = ``dt·λ_t·P_t`` at the realised local price + gas + penalties; system cost =
    ``dt·π_t·Σ_h P_t`` (the transformer's energy at the utility price) + Σ gas + Σ
    penalties. Penalties (``PeriodCost.penalty``, per hub ``details["penalty"]``): unserved
    demand at the hub's ``lost_load_value`` (``details["unserved_e"]``, ``["unserved_h"]``, kW)
    and, in the last period, the EES/TES end-of-day SOC misses at ``end_soc_penalty``
    (``details["end_miss"]``, kWh). Solver rounding in the states is absorbed by penalised
    slacks, reported as ``violation`` (kW).
    """

    def __init__(self, scenario: Scenario, quadratic_weight: float = ROLLING_QUADRATIC_WEIGHT,
                 level: str = "rolling", day_ahead_level: str = "day-ahead", day_ahead: Game | None = None,
                 tie_weight: float = ROLLING_TIE_WEIGHT) -> None:
        _check_weights(quadratic_weight, tie_weight)
        scenario.level_rows(0, level)   # validates the levels
        scenario.level_rows(0, day_ahead_level)
        self.scenario = scenario
        self.quadratic_weight = float(quadratic_weight)
        self.tie_weight = float(tie_weight)
        self.level = level
        self.day_ahead_level = day_ahead_level
        self.periods = scenario.periods
        self.agent_names = [h.name for h in scenario.hubs]
        self._day_ahead = day_ahead
        #: the day's compiled hub programs: one per stage length, shared by every stage game built
        #: here (real-time pass, reference, day-ahead game, hindsight)
        self.programs = HubPrograms()

    def initial_states(self) -> list[HubState]:
        return initial_states(self.scenario)

    def stage_game(self, start: int, states: Sequence[HubState]) -> Game:
        return stage_game(self.scenario, start, states, self.level, self.quadratic_weight, self.tie_weight,
                          self.programs)

    def day_ahead_game(self) -> Game:
        if self._day_ahead is None:
            self._day_ahead = stage_game(self.scenario, 0, self.initial_states(), self.day_ahead_level,
                                         self.quadratic_weight, self.tie_weight, self.programs)
        return self._day_ahead

    def hindsight_cost(self) -> float:
        """Real cost (yuan, without the regularizers) of the perfect-information day: one
        welfare problem over the whole day on the actual data (same regularizers), its hubs'
        gas and penalties taken from each hub's dispatch behind its optimal exchange (re-solved
        with the exchange pinned). A lower bound for any rolling method, up to the regularizers."""
        sc, dt = self.scenario, self.scenario.dt
        states = self.initial_states()
        game = stage_game(sc, 0, states, "actual", self.quadratic_weight, self.tie_weight, self.programs)
        sol = solve_centralized(game)
        prices = sol.signal_vector
        nets = np.array([np.asarray(r.outputs["net"], float) / dt for r in sol.responses])   # kW, (N, T)
        total = dt * float(np.asarray(sc.utility_price, float) @ nets.sum(axis=0))       # transformer energy
        for i, (hub, state) in enumerate(zip(sc.hubs, states)):                           # + gas, penalties
            d = solve_hub(hub, state, sc.profile(i, 0, "actual"), prices, net=nets[i],
                          quadratic_weight=self.quadratic_weight, tie_weight=self.tie_weight)
            total += d.cost_at(hub) - dt * float(prices @ d.net)
        return total

    def initial_prices(self) -> dict[str, np.ndarray]:
        """The utility price (known to the IEH agent): the uncongested market's local price."""
        return {"price": np.asarray(self.scenario.utility_price, float).copy()}

    def advance(self, start: int, states: Sequence[HubState], responses: Sequence[Any]) -> list[HubState]:
        return advance(self.scenario, start, states, responses)

    def period_cost(self, start: int, states: Sequence[HubState], next_states: Sequence[HubState], game: Game,
                    signal_vector: np.ndarray, responses: Sequence[Any]) -> PeriodCost:
        sc, t, dt = self.scenario, start, self.scenario.dt
        price = float(np.asarray(signal_vector)[game.layout.slices["price"].start])
        P = np.array([float(np.ravel(_outputs(r)["net"])[0]) for r in responses]) / dt
        d = _period_dispatch(sc, t, states, next_states, P, self.programs)
        violation = float(d.pop("violation"))
        gas_price = np.array([h.gas_price for h in sc.hubs])
        gas_cost = dt * gas_price * (d["chp_gas"] + d["gf_gas"])
        payment = dt * price * P
        end_miss = _end_miss(sc, next_states) if t == sc.periods - 1 else np.zeros(len(sc.hubs))
        hard_end = np.array([h.end_soc_penalty is None for h in sc.hubs])
        violation = max(violation, float(np.max(end_miss[hard_end], initial=0.0)))
        soc_price = np.array([h.end_soc_penalty or 0.0 for h in sc.hubs])
        penalty = d.pop("unserved_cost") + soc_price * end_miss
        flow = float(P.sum())
        details = dict(d, gas_cost=gas_cost, payment=payment, end_miss=end_miss, penalty=penalty,
                       regularizer=self.quadratic_weight * P ** 2 + self.tie_weight * _tie_terms(d))
        cap = sc.transformer_cap
        return PeriodCost(system=float(dt * sc.utility_price[t] * flow + gas_cost.sum() + penalty.sum()),
                          agents=payment + gas_cost + penalty, flows={"transformer": flow},
                          limits={"transformer": (-cap, cap)}, details=details, violation=violation,
                          penalty=float(penalty.sum()))



def _end_miss(scenario: Scenario, states: Sequence[HubState]) -> np.ndarray:
    """Per hub, kWh by which EES plus TES end the day away from their targets, ``(N,)``."""
    return np.array([hub.ees.end_miss(st.ees_energy) + hub.tes.end_miss(st.tes_energy)
                     for hub, st in zip(scenario.hubs, states)])


def _outputs(report: Any) -> Mapping[str, Any]:
    return report.outputs if hasattr(report, "outputs") else report


def _period_dispatch(scenario: Scenario, t: int, states: Sequence[HubState], next_states: Sequence[HubState],
                     net: np.ndarray, programs: HubPrograms | None = None) -> dict[str, np.ndarray]:
    """Cheapest dispatch of period ``t`` of every hub given its exchange ``net`` (kW, ``(N,)``) and states.

    Each hub's accounting program (:meth:`HubPrograms.accounting`: the hub model in accounting
    mode on the period's actual data — exchange pinned to ``net``, stores to ``next_states``,
    shiftable loads to the energy served in the period, penalised repair slacks; gas and unserved
    demand minimised), compiled once per hub shape in ``programs`` (default: a fresh one) and
    solved for all hubs at once (:meth:`HubPrograms.account`).

    Returns per-hub ``(N,)`` arrays (kW): ``net``, ``chp_gas``, ``gf_gas``, ``chp_electric``,
    ``renewable_used``, ``curtail``, ``ees_charge``, ``ees_discharge``, ``tes_charge``,
    ``tes_discharge``, ``heat_dump``, ``elec_load``, ``heat_load``, ``shift_e``, ``shift_h``,
    ``unserved_e``, ``unserved_h``, ``unserved_cost`` (yuan) and ``violation`` (largest repair
    slack, kW, as a 0-d array).
    """
    hubs, dt = scenario.hubs, scenario.dt
    programs = programs if programs is not None else HubPrograms()
    net = np.asarray(net, float)
    ren_all = np.maximum(scenario.renewable["actual"][:, t], 0.0)
    le, lh = scenario.elec_load["actual"][:, t], scenario.heat_load["actual"][:, t]
    actual = [scenario.renewable["actual"], scenario.elec_load["actual"], scenario.heat_load["actual"]]
    items = [(hub, st, nx, HubProfile(*(rows[i, t:t + 1] for rows in actual)), net[i:i + 1])
             for i, (hub, st, nx) in enumerate(zip(hubs, states, next_states))]
    solved = programs.account(items)
    out = {k: np.array([float(np.ravel(o[k])[0]) for o in solved]) for k in ACCOUNTING_OUTPUTS if k != "repair"}
    repair = np.abs(np.array([np.asarray(o["repair"], float).ravel() for o in solved])).reshape(len(hubs), 4)
    repair[:, 2:] /= dt                                  # store repairs kWh -> kW
    worst = float(repair.max(initial=0.0))
    val = {k: np.maximum(x, 0.0) for k, x in out.items()}

    def col(field_of: Any) -> np.ndarray:
        return np.array([field_of(h) for h in hubs], float)

    eta_e, eta_h, eta_gf = col(lambda h: h.chp_eta_e), col(lambda h: h.chp_eta_h), col(lambda h: h.gf_eta)
    lost_load = col(lambda h: h.lost_load_value or 0.0)
    before = np.array([s.as_array() for s in states])
    after = np.array([s.as_array() for s in next_states])
    shift_e, shift_h = (after[:, 2] - before[:, 2]) / dt, (after[:, 3] - before[:, 3]) / dt
    return {"net": net, "chp_gas": val["chp_gas"], "gf_gas": val["gf_heat"] / eta_gf,
            "chp_electric": eta_e * val["chp_gas"], "renewable_used": ren_all - val["curtail"],
            "curtail": val["curtail"], "ees_charge": val["ees_charge"], "ees_discharge": val["ees_discharge"],
            "tes_charge": val["tes_charge"], "tes_discharge": val["tes_discharge"],
            "heat_dump": np.maximum(eta_h * val["chp_gas"] - val["chp_heat"], 0.0),
            "elec_load": np.asarray(le, float), "heat_load": np.asarray(lh, float), "shift_e": shift_e,
            "shift_h": shift_h, "unserved_e": val["unserved_e"], "unserved_h": val["unserved_h"],
            "unserved_cost": dt * lost_load * (val["unserved_e"] + val["unserved_h"]),
            "violation": np.asarray(worst)}
