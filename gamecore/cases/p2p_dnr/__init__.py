"""``p2p-dnr``: prosumers trading peer to peer in a reconfigurable distribution network (seed 002).

Mu, Ding, Huang, Zhu, Siano, Shahidehpour, Shen, "Distributed collaboration method for
peer-to-peer transactions in reconfigurable distribution network", IEEE Trans. Power Syst.
40(4) 3029–3042 (2025) (abstract only). Lower level: prosumers (PV, batteries, flexible loads)
and the grid trade bilaterally, one price per trading pair (:mod:`.market`, an engine market
game with one reciprocity coupling per pair). Upper level: the DSO reconfigures the IEEE 33-bus
feeder period by period under a switching limit and sets loss charges on the prosumers' net
positions (:mod:`.dso`, a :class:`gamecore.two_tier.UpperLevel`). The ``two-tier`` strategy
iterates the two (market clears → DSO reconfigures and updates charges → ...).

``make_case("p2p-dnr", agents=N, periods=T, resources=True, max_switching=K)``: ``N``
prosumers (default 10; 32 = one per load bus), ``T`` periods of the day (``T`` divides 24;
default 24), ``resources=False`` for prosumers without PV, storage or flexibility (their load
is the feeder's base load: nothing to trade), ``K`` switching operations over the day
(default 24; ``-1`` = no limit). ``gamecore solve p2p-dnr`` runs ``two-tier``;
``-s admm`` / ``-s centralized`` clear the market alone at zero charges on the base topology.
"""

from __future__ import annotations

from gamecore.case import Case, CaseParam, CaseSpec
from gamecore.cases.base import case_arguments
from gamecore.cases.daily import check_day_periods
from gamecore.cases.p2p_dnr.data import make_scenario
from gamecore.cases.p2p_dnr.dso import DSO
from gamecore.cases.p2p_dnr.market import market_game

#: estimated memory (bytes) per agent and per agent-period: every agent's program has a trade per
#: partner and period, so the size grows with agents² × periods; per agent per partner-period ~ 4 kB
#: (compiled program, cvxpy model), rounded up
BYTES_PER_AGENT = 2_000_000
BYTES_PER_AGENT_PERIOD = 400_000
#: switching operations allowed over the day by default (ours)
MAX_SWITCHING = 24


def check_resources(case: str, value: object) -> bool:
    """``value`` as a bool, or ``ValueError`` naming the case and the parameter."""
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise ValueError(f"case '{case}': resources must be true or false, got {value!r}")
    return value


def check_max_switching(case: str, value: object) -> int:
    """``value`` as a switching limit (an integer ≥ 0, or −1 for none), or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise ValueError(f"case '{case}': max_switching must be an integer >= 0 (or -1: no limit), got {value!r}")
    return int(value)


def build(agents: int = 10, periods: int = 24, seed: int = 0, max_memory_gb: float | None = None,
          resources: bool = True, max_switching: int = MAX_SWITCHING) -> Case:
    """The case (module docstring).

    Raises:
        ValueError: bad ``agents`` / ``periods`` (must divide 24) / ``seed`` / parameters, or
            (``ResourceLimitError``) an estimated memory above the limit.
    """
    agents, periods, seed = case_arguments("p2p-dnr", agents, periods, seed,
                                           bytes_per_agent=BYTES_PER_AGENT * max(agents, 1) / 10
                                           if isinstance(agents, int) else 0.0,
                                           bytes_per_agent_period=BYTES_PER_AGENT_PERIOD * max(agents, 1) / 10
                                           if isinstance(agents, int) else 0.0,
                                           max_memory_gb=max_memory_gb)
    check_day_periods("p2p-dnr", periods)
    resources = check_resources("p2p-dnr", resources)
    limit = check_max_switching("p2p-dnr", max_switching)
    scenario = make_scenario(agents, periods, seed, resources=resources, max_switching=None if limit < 0 else limit)
    return Case("p2p-dnr", market_game(scenario), None, description=__doc__.split("\n")[0],
                params={"scenario": scenario, "resources": resources, "max_switching": limit},
                upper=DSO(scenario))


#: this case's registration (entry point ``p2p-dnr`` of the group ``gamecore.cases``)
SPEC = CaseSpec("p2p-dnr", build, "seed 002: prosumers trading peer to peer (one price per pair) under a DSO "
                "that reconfigures IEEE 33 and sets loss charges", "market", 10, 24,
                params=(CaseParam("resources", True, "prosumers have PV, batteries and flexible loads (false: "
                                                     "the feeder's base load, nothing to trade)",
                                  lambda text: check_resources("p2p-dnr", text), check_resources),
                        CaseParam("max_switching", MAX_SWITCHING, "switching operations allowed over the day "
                                                                  "(-1: no limit)", int, check_max_switching)),
                default_strategy="two-tier")
