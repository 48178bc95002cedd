"""The county day over a rolling horizon: :class:`CountyRolling` (a :class:`gamecore.rolling.RollingHorizon`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.cases.county.data import IESProfile, Scenario
from gamecore.cases.county.game import initial_states, stage_game
from gamecore.cases.county.model import (
    IESDispatch,
    IESPrograms,
    IESState,
    dispatch_of,
    ies_model,
    regularizer_weights,
    solve_ies,
)
from gamecore.centralized import solve_centralized
from gamecore.game import Game
from gamecore.rolling import PeriodCost, RollingHorizon


def _outputs(report: Any) -> Mapping[str, Any]:
    return report.outputs if hasattr(report, "outputs") else report


def advance(scenario: Scenario, t: int, states: Sequence[IESState], reports: Sequence[Any]) -> list[IESState]:
    """States for period ``t + 1`` from each report's ``"state"`` output (stores after period ``t``,
    shiftable energy served in it; :attr:`~gamecore.cases.county.model.IESModel.period_report`),
    clipped into their bounds."""
    if len(states) != scenario.n_agents or len(reports) != scenario.n_agents:
        raise ValueError(f"advance: need {scenario.n_agents} states and reports, got {len(states)} and {len(reports)}")
    out = []
    for ies, st, rep in zip(scenario.agents, states, reports):
        if st.period != t:
            raise ValueError(f"states['{ies.name}'].period = {st.period}, expected {t}")
        bat, tes, served = np.asarray(_outputs(rep)["state"], float).ravel()
        rem = st.shift_remaining - served
        bat = float(np.clip(bat, ies.battery.energy_min, ies.battery.energy_max)) if ies.battery else 0.0
        tes = float(np.clip(tes, ies.tes.energy_min, ies.tes.energy_max)) if ies.tes else 0.0
        out.append(IESState(t + 1, bat, tes, float(np.clip(rem, 0.0, st.shift_remaining))))
    return out


def end_miss(scenario: Scenario, states: Sequence[IESState]) -> np.ndarray:
    """Per IES, kWh by which its stores end the day away from their targets, ``(N,)``."""
    return np.array([(a.battery.end_miss(s.battery_energy) if a.battery else 0.0)
                     + (a.tes.end_miss(s.tes_energy) if a.tes else 0.0) for a, s in zip(scenario.agents, states)])


def period_dispatch(scenario: Scenario, t: int, states: Sequence[IESState], next_states: Sequence[IESState],
                    net: np.ndarray, price: float) -> list[IESDispatch]:
    """Cheapest dispatch of period ``t`` of every IES given its exchange ``net`` (kW) and states
    before/after (one LP for all IES, the same component models in accounting mode)."""
    models = []
    for i, (ies, st, nx) in enumerate(zip(scenario.agents, states, next_states)):
        prof = IESProfile(scenario.renewable["actual"][i, t:t + 1], scenario.elec_load["actual"][i, t:t + 1],
                          scenario.heat_load["actual"][i, t:t + 1])
        models.append(ies_model(ies, st, prof, np.array([price]), regularize=False, net=np.array([net[i]]),
                                target=nx))
    problem = cp.Problem(cp.Minimize(sum((m.cost for m in models), cp.Constant(0.0))),
                         [c for m in models for c in m.constraints])
    problem.solve(solver=cp.CLARABEL)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):   # pragma: no cover - slacks keep it feasible
        raise RuntimeError(f"period {t}: accounting LP is {problem.status}")
    return [dispatch_of(m) for m in models]


class CountyRolling(RollingHorizon):
    """The county day operated over a rolling horizon.

    Stage games: :func:`~gamecore.cases.county.game.stage_game` at data level ``level``
    (default ``"rolling"``: measured current period, real-time / intra-day / day-ahead
    forecasts after it) from the IES's current states; the day-ahead game is the same model on
    day-ahead data from the initial states. ``CountyRolling(scenario, level="actual",
    day_ahead_level="actual")`` is the perfect-forecast day.

    Cost accounting of a realised period t (:meth:`period_cost`): each IES implements the
    cheapest dispatch of period t consistent with its realised exchange ``P_t`` and its state
    after the period (one LP for all IES, :func:`period_dispatch`). IES cost = ``dt·λ_t·P_t``
    + fuel + penalties; system cost = the operator's supply cost of ``Σ_i P_i,t`` (utility
    price plus transformer losses, :meth:`Scenario.supply_cost`) + Σ fuel + Σ penalties.
    Penalties: unserved demand at ``lost_load_value`` and, in the last period, end-of-day
    SOC misses at ``end_soc_penalty``. ``details``: per IES ``net``, ``renewable_available``,
    ``renewable_used`` (kW; accommodation = used / available), ``unserved_e``, ``unserved_h``,
    ``fuel``, ``payment``, ``penalty``, ``end_miss``, ``regularizer`` (the stage games' terms,
    not part of any cost). Solver rounding absorbed by repair slacks: ``violation`` (kW).
    """

    def __init__(self, scenario: Scenario, level: str = "rolling", day_ahead_level: str = "day-ahead",
                 day_ahead: Game | None = None) -> None:
        scenario.level_rows(0, level)
        scenario.level_rows(0, day_ahead_level)
        self.scenario = scenario
        self.level = level
        self.day_ahead_level = day_ahead_level
        self.periods = scenario.periods
        self.agent_names = [a.name for a in scenario.agents]
        self._day_ahead = day_ahead
        #: the day's compiled IES programs: one per IES type and stage length, shared by every
        #: stage game built here (real-time pass, reference, day-ahead game, hindsight)
        self.programs = IESPrograms()

    def initial_states(self) -> list[IESState]:
        return initial_states(self.scenario)

    def stage_game(self, start: int, states: Sequence[IESState]) -> Game:
        return stage_game(self.scenario, start, states, self.level, self.programs)

    def day_ahead_game(self) -> Game:
        if self._day_ahead is None:
            self._day_ahead = stage_game(self.scenario, 0, self.initial_states(), self.day_ahead_level, self.programs)
        return self._day_ahead

    def initial_prices(self) -> dict[str, np.ndarray]:
        """The utility price (known to the operator): the uncongested market's local price."""
        return {"price": np.asarray(self.scenario.utility_price, float).copy()}

    def advance(self, start: int, states: Sequence[IESState], responses: Sequence[Any]) -> list[IESState]:
        return advance(self.scenario, start, states, responses)

    def hindsight_cost(self) -> float:
        """Real cost (yuan, without the regularizers) of the perfect-information day: one welfare
        problem over the whole day on the actual data (same regularizers), each IES's fuel and
        penalties from its dispatch behind its optimal exchange. A lower bound for any rolling
        method, up to the regularizers."""
        sc, dt = self.scenario, self.scenario.dt
        states = self.initial_states()
        sol = solve_centralized(stage_game(sc, 0, states, "actual", self.programs))
        prices = sol.signal_vector
        nets = np.array([np.asarray(r.outputs["net"], float) / dt for r in sol.responses])
        total = sum(sc.supply_cost(t, float(f)) for t, f in enumerate(nets.sum(axis=0)))
        for i, (ies, st) in enumerate(zip(sc.agents, states)):
            d = solve_ies(ies, st, sc.profile(i, 0, "actual"), prices, net=nets[i])
            total += d.fuel + d.penalty
        return total

    def period_cost(self, start: int, states: Sequence[IESState], next_states: Sequence[IESState], game: Game,
                    signal_vector: np.ndarray, responses: Sequence[Any]) -> PeriodCost:
        sc, t, dt = self.scenario, start, self.scenario.dt
        price = float(np.asarray(signal_vector)[game.layout.slices["price"].start])
        P = np.array([float(np.ravel(_outputs(r)["net"])[0]) for r in responses]) / dt
        ds = period_dispatch(sc, t, states, next_states, P, price)
        miss = end_miss(sc, next_states) if t == sc.periods - 1 else np.zeros(sc.n_agents)
        fuel = np.array([d.fuel for d in ds])
        soc_price = np.array([a.end_soc_penalty for a in sc.agents])
        penalty = np.array([d.penalty for d in ds]) + soc_price * miss
        payment = dt * price * P

        def col(name: str) -> np.ndarray:
            return np.array([float(getattr(d, name)[0]) for d in ds])

        reg = np.array([regularizer_weights(a)[0] for a in sc.agents]) * P ** 2
        details = {"net": P, "renewable_available": col("renewable"), "renewable_used": col("renewable_used"),
                   "unserved_e": col("unserved_e"), "unserved_h": col("unserved_h"), "fuel": fuel,
                   "payment": payment, "penalty": penalty, "end_miss": miss, "regularizer": reg}
        flow = float(P.sum())
        cap = sc.transformer_cap
        return PeriodCost(system=float(sc.supply_cost(t, flow) + fuel.sum() + penalty.sum()),
                          agents=payment + fuel + penalty, flows={"transformer": flow},
                          limits={"transformer": (-cap, cap)}, details=details,
                          violation=max((d.repair for d in ds), default=0.0), penalty=float(penalty.sum()))
