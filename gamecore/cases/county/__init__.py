"""``county``: interconnected integrated energy systems of a county distribution network (seed 000).

Yang & Fang's transaction-driven two-tier model (abstract only; formulas and data are ours,
documented in :mod:`~gamecore.cases.county.data` and :mod:`~gamecore.cases.county.model`):
the county operator (leader) sets one local electricity price per period; each IES
(industrial park with CHP and gas boiler; residential area with heat pumps, rooftop PV and a
thermal store; agricultural area with wind, biomass CHP and a battery) minimises its own cost
and sends back only its net power; the market clears the county main transformer balance
``Σ_i P_i,t = s_t``, ``|s_t| ≤ cap`` with the operator buying ``s_t`` at the utility price
(as ``ieh`` does). The limit is calibrated below the uncongested peak import
(``cap_ratio``, default 0.9), so it binds there and the local price rises above the utility
price in those periods.

Package layout (by job)
-----------------------
* :mod:`.data` — profiles, equipment, forecasts, the seeded generator (``agents=N`` IES).
* :mod:`.model` — one IES's program from :mod:`gamecore.energy` components
  (``gas_turbine_model``, ``gas_boiler_model``, ``heat_pump_model``, ``storage_model``,
  ``shiftable_load_model``), its follower, plain solves and period accounting.
* :mod:`.game` — transformer coupling, stage games, calibration.
* :mod:`.rolling` — :class:`CountyRolling`, the case's :class:`gamecore.rolling.RollingHorizon`
  (``initial_states``, ``stage_game``, ``day_ahead_game``, ``initial_prices`` = utility price,
  ``advance``, ``period_cost`` with per-IES ``renewable_available`` / ``renewable_used``,
  ``hindsight_cost``).

Compile-once: every number of an IES's program, the state included (stored energies, energy still
to serve), comes from :func:`~gamecore.cases.county.model.ies_numbers`; the program is compiled once
per IES type and stage length (:class:`~gamecore.cases.county.model.IESPrograms`, held by
:class:`CountyRolling` for the day) and instantiated for every IES and state (:mod:`gamecore.family`).

Regularizers: every stage game (day-ahead included) adds ``w·ΣP²`` and ``τ·Σ(ch² + dis² + S²)``
per IES with ``w = τ = 0.02/grid_max`` yuan/kW² (``IEHRolling`` explains why:
continuous bids, unique states); every reported cost of a realised day is the real cost.

API: ``build(agents=3, periods=24, seed=0, max_memory_gb=None, cap_ratio=0.9) -> Case``
(``case.game`` = the day-ahead game; ``case.params``: ``scenario``, ``states``, ``cap_ratio``,
``uncongested_import``); :data:`SPEC`. ``accommodation(scenario, prices, nets)``: the renewable
accommodation rate (used / available) of a whole-day dispatch, e.g. of
``gamecore.solve(case, "centralized")`` (each IES recovers its dispatch behind its exchange).
A rolling day: ``gamecore.rolling.solve_rolling(case, ...)`` or
``centralized_rolling(case.rolling)``; per realised period
``details["renewable_used"] / details["renewable_available"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from gamecore.cases.base import Case, CaseParam, CaseSpec, case_arguments
from gamecore.cases.county.data import (
    BYTES_PER_AGENT,
    BYTES_PER_AGENT_PERIOD,
    CAP_RATIO,
    Scenario,
    make_scenario,
)
from gamecore.cases.county.game import (
    calibrate_transformer,
    initial_states,
    make_game,
    stage_followers,
    stage_game,
    uncongested_import,
)
from gamecore.cases.county.model import IESState, solve_ies
from gamecore.cases.county.rolling import CountyRolling

__all__ = ["SPEC", "CountyRolling", "IESState", "Scenario", "accommodation", "build", "make_scenario",
           "stage_game"]


def check_cap_ratio(case: str, value: object) -> float:
    """``value`` as the transformer's calibration ratio (a finite number in (0, 2]), or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not (np.isfinite(value) and 0 < value <= 2):
        raise ValueError(f"case '{case}': cap_ratio must be a finite number in (0, 2], got {value!r}")
    return float(value)


def accommodation(scenario: Scenario, prices: np.ndarray, nets: Sequence[np.ndarray],
                  level: str = "day-ahead") -> tuple[float, np.ndarray, np.ndarray]:
    """Renewable accommodation of a whole-day dispatch: ``(Σ used / Σ available, used (N,), available (N,))``
    in kWh. ``prices`` ``(T,)`` the local prices, ``nets`` per IES its ``"net"`` output (kWh per
    period); each IES recovers its dispatch behind that exchange locally (no data leave it)."""
    dt = scenario.dt
    used, avail = np.zeros(scenario.n_agents), np.zeros(scenario.n_agents)
    for i, (ies, st) in enumerate(zip(scenario.agents, initial_states(scenario))):
        d = solve_ies(ies, st, scenario.profile(i, 0, level), prices, net=np.asarray(nets[i], float) / dt)
        used[i], avail[i] = dt * d.renewable_used.sum(), dt * d.renewable.sum()
    return float(used.sum() / max(avail.sum(), 1e-12)), used, avail


def build(agents: int = 3, periods: int = 24, seed: int = 0, max_memory_gb: float | None = None,
          cap_ratio: float = CAP_RATIO) -> Case:
    """The day-ahead county game: ``agents`` IES, ``periods`` periods, data from ``seed``, the
    transformer limit ``cap_ratio`` × the uncongested peak import.

    Raises:
        ValueError: bad arguments; (``ResourceLimitError``) an estimated memory
            ``agents × (BYTES_PER_AGENT + BYTES_PER_AGENT_PERIOD × periods)`` above the limit,
            checked before any data is drawn.
    """
    agents, periods, seed = case_arguments("county", agents, periods, seed, bytes_per_agent=BYTES_PER_AGENT,
                                           bytes_per_agent_period=BYTES_PER_AGENT_PERIOD,
                                           max_memory_gb=max_memory_gb)
    cap_ratio = check_cap_ratio("county", cap_ratio)
    draft = make_scenario(agents, periods, seed, max_memory_gb=max_memory_gb)
    states = initial_states(draft)
    followers = stage_followers(draft, 0, states, "day-ahead")   # independent of the cap
    uncongested = uncongested_import(draft, followers)
    scenario = replace(draft, transformer_cap=calibrate_transformer(draft, followers, cap_ratio))
    game = make_game(scenario, 0, followers)
    params: dict[str, Any] = {"scenario": scenario, "states": states, "start": 0, "level": "day-ahead",
                              "cap_ratio": cap_ratio, "uncongested_import": uncongested,
                              "baseline": True}   # `gamecore rolling county` runs the subgradient baseline
    return Case("county", game, None,
                description="interconnected IES of a county behind a congested main transformer (day-ahead stage)",
                params=params, rolling=CountyRolling(scenario))


#: this case's registration (entry point ``county`` of the group ``gamecore.cases``)
SPEC = CaseSpec("county", build,
                "county IES (industrial CHP park, residential heat pumps + PV, rural wind + biomass + battery) "
                "behind a congested main transformer; day-ahead stage (seed 000)", "market", 3, 24,
                params=(CaseParam("cap_ratio", CAP_RATIO,
                                  "transformer limit = cap_ratio x uncongested peak import (0, 2]",
                                  parse=float, check=check_cap_ratio),))
