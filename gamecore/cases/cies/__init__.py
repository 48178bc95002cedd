"""``cies``: low-carbon two-layer community integrated energy system (seed 004).

Wang, Pen, Chen, Li, Zhang, "A low-carbon collaborative optimization operation method for a
two-layer dynamic community integrated energy system", Appl. Sci. 14(15) 6811 (2024). A
Stackelberg game with a two-objective leader: the energy seller (ES, leader) sets hourly
electricity and heat prices for selling to load aggregators and for buying from CCHP
operators, maximising its revenue and minimising the community's CO₂; CCHP operators
(followers: ICG with waste-heat recovery, gas boiler, wind, PV, battery, heat tank;
stage-feedback carbon trading) sell what pays at the ES's purchase prices; load aggregators
(followers: shiftable electric load, reducible heat and cooling — the cold from an absorption
chiller fed by the heat they buy —, quadratic utility) buy at its selling prices. Every
follower solves a QP. Only prices (ES → followers) and the quantities per period (followers →
ES; the operators also report their CO₂) cross.

Modules: :mod:`.data` (every number, *paper* or *ours*), :mod:`.cchp`, :mod:`.aggregator`,
:mod:`.seller`, :mod:`.analysis` (accounting, the centralized schedules of scenarios 1–3 with
their competitive prices, the scenario table, the Pareto front against exact scalarised
points, plots).

``make_case("cies", agents=N, periods=T, scenario=k, objectives=...)``: ``N`` CCHP operators
and ``N`` load aggregators (default 1 + 1), ``T`` equal periods of the day (``T`` divides 24;
default 24), the carbon mechanism of the paper's scenario ``k`` (1 none, 2 fixed price,
3 and 4 stage feedback; default 4 — scenarios 1–3 are centralized schedules, computed by
:func:`~gamecore.cases.cies.analysis.centralized`, and the game of each is the same market
under that mechanism), and the leader's objectives (``"both"``, ``"revenue"``, ``"emissions"``).
"""

from __future__ import annotations

from gamecore.case import Case, CaseParam, CaseSpec
from gamecore.cases.base import case_arguments
from gamecore.cases.cies.aggregator import la_follower
from gamecore.cases.cies.cchp import cchp_follower
from gamecore.cases.cies.data import SCENARIOS, CIESData, make_data
from gamecore.cases.cies.seller import OBJECTIVE_SETS, seller_leader
from gamecore.game import Game

#: every follower output (all reported: the accounting reads them whichever objectives the leader has)
OUTPUTS = ("elec_supply", "heat_supply", "co2", "elec_demand", "heat_demand")
#: estimated memory of the case (bytes): per agent pair and per agent-pair period (compiled programs,
#: data); the process grew by 0.4 MB per pair at 24 periods (20 pairs built), the estimate keeps a
#: margin for the pool's worker copies and the strategies' per-follower state
BYTES_PER_AGENT = 3_000_000
BYTES_PER_AGENT_PERIOD = 100_000


def check_scenario(case: str, value: object) -> int:
    """``value`` as a scenario number 1–4, or ``ValueError`` naming the case and the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCENARIOS:
        raise ValueError(f"case '{case}': scenario must be one of {sorted(SCENARIOS)} (the paper's Table 2), "
                         f"got {value!r}")
    return int(value)


def check_objectives(case: str, value: object) -> str:
    """``value`` as one of :data:`OBJECTIVE_SETS`, or ``ValueError`` naming the case and the parameter."""
    if value not in OBJECTIVE_SETS:
        raise ValueError(f"case '{case}': objectives must be one of {list(OBJECTIVE_SETS)}, got {value!r}")
    return str(value)


def game_of(data: CIESData, objectives: str = "both") -> Game:
    """The Stackelberg game of ``data``: the ES, then the CCHP operators, then the aggregators."""
    followers = [cchp_follower(op, j, data) for j, op in enumerate(data.cchps)]
    followers += [la_follower(la, i, data) for i, la in enumerate(data.las)]
    return Game(seller_leader(data, objectives), followers, name=f"cies-s{data.scenario.number}",
                reported_outputs=list(OUTPUTS))


def build(agents: int = 1, periods: int = 24, seed: int = 0, max_memory_gb: float | None = None,
          scenario: int = 4, objectives: str = "both") -> Case:
    """The case with ``agents`` operators and aggregators over ``periods`` periods (module docstring).

    Raises:
        ValueError: bad ``agents`` / ``periods`` / ``seed`` (``periods`` must divide 24), a scenario
            outside 1–4, unknown ``objectives``, or (``ResourceLimitError``) an estimated memory
            above the limit.
    """
    agents, periods, seed = case_arguments("cies", agents, periods, seed, bytes_per_agent=BYTES_PER_AGENT,
                                           bytes_per_agent_period=BYTES_PER_AGENT_PERIOD,
                                           max_memory_gb=max_memory_gb)
    scenario = check_scenario("cies", scenario)
    objectives = check_objectives("cies", objectives)
    data = make_data(agents, periods, seed, SCENARIOS[scenario])
    return Case("cies", game_of(data, objectives), None, description=__doc__.split("\n")[0],
                params={"data": data, "scenario": scenario, "objectives": objectives})


#: this case's registration (entry point ``cies`` of the group ``gamecore.cases``)
SPEC = CaseSpec("cies", build, "seed 004: energy seller pricing for CCHP operators and load aggregators "
                "(two objectives: revenue and CO2; stage-feedback carbon trading)", "stackelberg", 1, 24,
                params=(CaseParam("scenario", 4, "the paper's Table 2 carbon mechanism: 1 none, 2 fixed price, "
                                               "3/4 stage feedback", int, check_scenario),
                        CaseParam("objectives", "both", "the leader's objectives: both (revenue, emissions), "
                                                        "revenue or emissions", str, check_objectives)))
