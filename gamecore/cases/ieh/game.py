"""The ``ieh`` case's games: transformer coupling, stage games, calibration, state advance.

:func:`stage_game` builds the market game of the remaining periods of a day from the hubs'
states (one :func:`~gamecore.cases.ieh.model.hub_follower` per hub, the IEH agent's
:func:`transformer_coupling`); :func:`calibrate_transformer` sets the transformer limit;
:func:`make_ieh_scenario` is the case's data; :func:`advance` fixes a dispatched period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from gamecore.cases.base import case_arguments
from gamecore.cases.ieh.data import Scenario, make_scenario
from gamecore.cases.ieh.model import HubPrograms, HubState, initial_states
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Leader, MarketCoupling
from gamecore.rolling import check_stage_states
from gamecore.signals import Signal


def transformer_coupling(scenario: Scenario, start: int) -> MarketCoupling:
    """The IEH agent's supply through the main transformer for periods ``[start, T)``.

    Cost ``π·s`` (utility price, yuan), limits ``−cap·dt ≤ s ≤ cap·dt`` (kWh per period).
    """
    pi = np.asarray(scenario.utility_price[start:], float).copy()
    cap = scenario.transformer_cap * scenario.dt
    return MarketCoupling("transformer", signal="price", output="net",
                          supply_cost=lambda s: pi @ s,
                          supply_constraints=lambda s: [s <= cap, s >= -cap])


#: transformer limit = CAP_MARGIN × max(uncongested day-time import peak, export peak)
CAP_MARGIN = 1.2


def stage_followers(scenario: Scenario, start: int, states: Sequence[HubState], level: str = "rolling",
                    quadratic_weight: float = 0.0, tie_weight: float = 0.0,
                    programs: HubPrograms | None = None) -> list[Follower]:
    """Every hub's follower for the stage ``[start, T)`` (see :func:`stage_game`), instantiated from
    ``programs`` (default: fresh families, so the stage compiles one program per hub shape)."""
    programs = HubPrograms() if programs is None else programs
    check_stage_states([h.name for h in scenario.hubs], states, start, "hubs")
    return [programs.follower(hub, st, scenario.profile(i, start, level), quadratic_weight, tie_weight)
            for i, (hub, st) in enumerate(zip(scenario.hubs, states))]


def make_game(scenario: Scenario, start: int, followers: Sequence[Follower]) -> Game:
    """The stage game of ``[start, T)`` with the given hub followers."""
    lo, hi = scenario.price_bounds
    leader = Leader([Signal("price", (scenario.periods - start,), lo, hi, unit="yuan/kWh")],
                    couplings=[transformer_coupling(scenario, start)], name="ieh-agent")
    return Game(leader, followers, name=f"ieh-stage{start}" if start else "ieh", reported_outputs=["state"])


def stage_game(scenario: Scenario, start: int, states: Sequence[HubState], level: str = "rolling",
               quadratic_weight: float = 0.0, tie_weight: float = 0.0, programs: HubPrograms | None = None) -> Game:
    """The market game of the remaining periods ``[start, T)`` from ``states``.

    Signal ``"price"`` ``(T−start,)`` in [0, 1.5] yuan/kWh; coupling ``"transformer"``. The hubs'
    programs are instantiated from ``programs`` (a rolling description keeps one for the day).

    Raises:
        ValueError: a state for the wrong period or number of hubs, an unknown level.
    """
    return make_game(scenario, start, stage_followers(scenario, start, states, level, quadratic_weight, tie_weight,
                                                      programs))


def calibrate_transformer(scenario: Scenario, followers: Sequence[Follower] | None = None,
                          margin: float = CAP_MARGIN) -> float:
    """Transformer limit (kW) that congests at night and not by day.

    Every hub's day-ahead best response to the utility price is the uncongested market
    outcome (local price = utility price). Returns ``margin × max(peak day-time import,
    peak export)`` of that aggregate; the night import peak lies well above it in the
    generated data (asserted in the tests), so the limit binds there.

    Args:
        scenario: the scenario (its own cap is ignored).
        followers: the day-ahead followers (compiled if not given).
        margin: > 1, headroom above the day-time peak (absorbs forecast errors and the
            load moved out of congested night periods).
    """
    if margin <= 1:
        raise ValueError(f"margin must be > 1, got {margin}")
    if followers is None:
        followers = stage_followers(scenario, 0, initial_states(scenario), "day-ahead")
    price = np.asarray(scenario.utility_price, float)
    total = np.zeros(scenario.periods)
    for f in followers:
        total += f.respond({"price": price}).outputs["net"] / scenario.dt
    peak = max(float(total[scenario.day].max(initial=0.0)), float((-total).max()), 1e-9)
    return margin * peak


#: memory of the built case (bytes) per hub and per hub × period: its compiled follower program
#: and cvxpy model (whose size grows with the horizon), the Clarabel solver kept from the
#: calibration solve, and its scenario data (peak RSS of :func:`~gamecore.cases.ieh.build` measured at 10–40 hubs ×
#: 4–192 periods: 19–29 kB per hub-period; rounded up)
BYTES_PER_HUB = 20_000
BYTES_PER_HUB_PERIOD = 25_000


def _case_arguments(agents: object, periods: object, seed: object,
                    max_memory_gb: float | None) -> tuple[int, int, int]:
    """:func:`~gamecore.cases.base.case_arguments` with the ``ieh`` case's memory figures."""
    return case_arguments("ieh", agents, periods, seed, bytes_per_agent=BYTES_PER_HUB,
                          bytes_per_agent_period=BYTES_PER_HUB_PERIOD, max_memory_gb=max_memory_gb)


def make_ieh_scenario(agents: int = 15, periods: int = 24, seed: int = 0,
                      max_memory_gb: float | None = None) -> Scenario:
    """The case's scenario: :func:`~gamecore.cases.ieh.data.make_scenario` + calibrated transformer.

    The calibration compiles every hub's follower, so the sizes are checked as in :func:`~gamecore.cases.ieh.build`.
    """
    return _calibrated(*_case_arguments(agents, periods, seed, max_memory_gb), max_memory_gb)[0]


def _calibrated(agents: int, periods: int, seed: int, max_memory_gb: float | None = None,
                cap_margin: float = CAP_MARGIN) -> tuple[Scenario, list[Follower]]:
    draft = make_scenario(agents, periods, seed, max_memory_gb=max_memory_gb)
    followers = stage_followers(draft, 0, initial_states(draft), "day-ahead")
    scenario = replace(draft, transformer_cap=calibrate_transformer(draft, followers, cap_margin))
    return scenario, followers


def _state_values(report: Any) -> np.ndarray:
    outputs = report.outputs if hasattr(report, "outputs") else report
    if not isinstance(outputs, Mapping) or "state" not in outputs:
        raise ValueError("each report must be a Response (or outputs dict) with the output 'state'")
    return np.asarray(outputs["state"], float).ravel()


def advance(scenario: Scenario, t: int, states: Sequence[HubState], reports: Sequence[Any]) -> list[HubState]:
    """States for period ``t+1`` after dispatching period ``t``.

    Args:
        scenario: the scenario.
        t: the period just dispatched (the stage start of the game the reports come from).
        states: the states at the start of period ``t``.
        reports: per hub, its follower's Response (or outputs dict) in ``stage_game(scenario,
            t, ...)``; its ``"state"`` output (EES, TES after period t, shiftable energies served
            in it; :attr:`~gamecore.cases.ieh.model.HubModel.period_report`) advances the state,
            clipped into the hub's bounds against solver rounding.
    """
    if len(states) != scenario.n_hubs or len(reports) != scenario.n_hubs:
        raise ValueError(f"advance: need {scenario.n_hubs} states and reports, got {len(states)} and {len(reports)}")
    out = []
    for hub, st, rep in zip(scenario.hubs, states, reports):
        if st.period != t:
            raise ValueError(f"states['{hub.name}'].period = {st.period}, expected {t}")
        ees, tes, se, sh = _state_values(rep)
        out.append(HubState(t + 1,
                            float(np.clip(ees, hub.ees.energy_min, hub.ees.energy_max)),
                            float(np.clip(tes, hub.tes.energy_min, hub.tes.energy_max)),
                            float(np.clip(st.elec_served + se, 0.0, hub.elec_shift_total)),
                            float(np.clip(st.heat_served + sh, 0.0, hub.heat_shift_total))))
    return out


def check_cap_margin(case: str, value: object) -> float:
    """``value`` as the transformer's calibration margin (a finite number > 1), or ``ValueError``
    naming ``case`` and ``cap_margin``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not (np.isfinite(value) and value > 1):
        raise ValueError(f"case '{case}': cap_margin must be a finite number > 1, got {value!r}")
    return float(value)

