"""The county games: stage games of ``[start, T)``, the transformer coupling, its calibration.

Upper level — the county operator buys ``s_t`` (kWh per period) through the county main
transformer at the utility price ``π_t``, ``|s_t| ≤ cap·dt``; the local price λ_t (one per
period, in ``[0, 1.5]`` yuan/kWh) clears ``Σ_i dt·P_i,t = s_t``. At the market equilibrium
λ_t = π_t where the transformer is slack, λ_t > π_t where its import limit binds (λ_t < π_t at
the export limit): the congestion rent. Only the local price (leader → IES) and each IES's
net power (IES → leader) cross between agents (the ``"state"`` output is bookkeeping of the
rolling horizon, reported to nobody's program).
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from gamecore.cases.county.data import Scenario
from gamecore.cases.county.model import IESPrograms, IESState, initial_state
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Leader, MarketCoupling
from gamecore.rolling import check_stage_states
from gamecore.signals import Signal


def initial_states(scenario: Scenario) -> list[IESState]:
    """Every IES's state at the start of the day."""
    return [initial_state(a) for a in scenario.agents]


def transformer_coupling(scenario: Scenario, start: int) -> MarketCoupling:
    """The operator's supply through the main transformer for ``[start, T)`` (kWh per period):
    cost ``Σ_t π_t·(s_t + k·s_t²/(cap·dt))`` (yuan: energy at the utility price plus the
    transformer's load losses, ``k`` = ``scenario.loss_ratio``), limits ``−cap·dt ≤ s ≤ cap·dt``."""
    pi = np.asarray(scenario.utility_price[start:], float).copy()
    cap = scenario.transformer_cap * scenario.dt
    quad = pi * scenario.loss_ratio / cap
    return MarketCoupling("transformer", signal="price", output="net",
                          supply_cost=lambda s: pi @ s + quad @ cp.square(s),
                          supply_constraints=lambda s: [s <= cap, s >= -cap])


def stage_followers(scenario: Scenario, start: int, states: Sequence[IESState], level: str,
                    programs: IESPrograms | None = None) -> list[Follower]:
    """Every IES's follower for the stage ``[start, T)`` at data ``level``, instantiated from
    ``programs`` (default: fresh families, so the stage compiles one program per IES type)."""
    programs = IESPrograms() if programs is None else programs
    check_stage_states([a.name for a in scenario.agents], states, start, "IES")
    return [programs.follower(ies, st, scenario.profile(i, start, level))
            for i, (ies, st) in enumerate(zip(scenario.agents, states))]


def make_game(scenario: Scenario, start: int, followers: Sequence[Follower]) -> Game:
    """The stage game of ``[start, T)`` with the given followers."""
    lo, hi = scenario.price_bounds
    leader = Leader([Signal("price", (scenario.periods - start,), lo, hi, unit="yuan/kWh")],
                    couplings=[transformer_coupling(scenario, start)], name="county-operator")
    return Game(leader, list(followers), name=f"county-stage{start}" if start else "county",
                reported_outputs=["state"])


def stage_game(scenario: Scenario, start: int, states: Sequence[IESState], level: str = "rolling",
               programs: IESPrograms | None = None) -> Game:
    """The market game of ``[start, T)`` from ``states`` (signal ``"price"`` ``(T − start,)``), the IES
    programs instantiated from ``programs`` (a rolling description keeps one for the day)."""
    return make_game(scenario, start, stage_followers(scenario, start, states, level, programs))


def uncongested_import(scenario: Scenario, followers: Sequence[Follower]) -> np.ndarray:
    """``(T,)`` kW: Σ of the IES's day-ahead best responses to the utility price."""
    price = np.asarray(scenario.utility_price, float)
    total = np.zeros(scenario.periods)
    for f in followers:
        total += np.asarray(f.respond({"price": price}).outputs["net"], float) / scenario.dt
    return total


def calibrate_transformer(scenario: Scenario, followers: Sequence[Follower], ratio: float) -> float:
    """Transformer limit (kW) = ``ratio`` × the uncongested peak import (binds there for ratio < 1)."""
    if not 0 < ratio:
        raise ValueError(f"cap_ratio must be > 0, got {ratio}")
    return ratio * max(float(uncongested_import(scenario, followers).max()), 1e-9)
