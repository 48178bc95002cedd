"""``ries``: hierarchical low-carbon dispatch of a regional integrated energy system (seed 001).

Jiang, Tong, Yao, Zhao, "Hierarchical distributed low-carbon economic dispatch strategy for
regional integrated energy system based on ADMM", Energies 18(17) 4638 (2025). A Stackelberg
game: the energy generation operator (EGO, leader; coal unit, GT with waste-heat boiler, PV,
P2G with carbon capture, electric and thermal storage, grid purchase / feed-in, stepwise
carbon trading) sets hourly electricity and heat selling prices; load aggregators (LAs,
followers; shiftable and curtailable electric load, heat through the buildings' thermal
inertia with the PMV comfort model) buy what they need at those prices. Only the prices
(EGO → LAs) and the LAs' purchases per period (LAs → EGO) cross between agents.

The paper's equations were lost in extraction: the EGO is :mod:`.ego`, an LA :mod:`.aggregator`,
all data (most of it ours, documented) :mod:`.data`, the accounting of a solution (the paper's
table columns) and the ablation :mod:`.analysis`.

Solved by ``kkt`` (exact optimistic Stackelberg optimum: each LA's LP replaced by its KKT
conditions, the EGO's sales revenue by strong duality; SCIP), ``admm`` (the seed's method:
McCormick relaxation of the bilinear price × purchase terms, consensus ADMM, residual-based
stopping) and ``nsga-qp``. The EGO's dispatch is its own decision (signals no LA sees): every
strategy evaluates a price vector with the dispatch at its best for the LAs' responses.

``make_case("ries", agents=N, periods=T, scenario=k)``: ``N`` LAs (LA1–LA3, then seeded
variations scaled to the same total demand), ``T`` equal periods of the day (``T`` divides
24), scenario ``k`` of the paper's ablation (1 all features, 2 without SCTM, 3 without
P2G-CCS, 4 without storage, 5 without PMV).
"""

from __future__ import annotations

from gamecore.case import Case, CaseParam, CaseSpec
from gamecore.cases.base import case_arguments
from gamecore.cases.ries.aggregator import aggregator
from gamecore.cases.ries.data import SCENARIOS, RIESData, make_data
from gamecore.cases.ries.ego import ego_leader
from gamecore.game import Game

#: measured memory of the case (bytes): per LA and per LA-period (compiled program, data), rounded up
BYTES_PER_AGENT = 2_000_000
BYTES_PER_AGENT_PERIOD = 100_000


def check_scenario(case: str, value: object) -> int:
    """``value`` as a scenario number 1–5, or ``ValueError`` naming the case and the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCENARIOS:
        raise ValueError(f"case '{case}': scenario must be one of {sorted(SCENARIOS)} (the paper's ablation), "
                         f"got {value!r}")
    return int(value)


def game_of(data: RIESData) -> Game:
    """The Stackelberg game of ``data``: the EGO and one follower per LA."""
    followers = [aggregator(la, data.elec[i], data) for i, la in enumerate(data.las)]
    return Game(ego_leader(data), followers, name=f"ries-s{data.scenario.number}")


def build(agents: int = 3, periods: int = 24, seed: int = 0, max_memory_gb: float | None = None,
          scenario: int = 1) -> Case:
    """The case with ``agents`` LAs over ``periods`` periods, scenario ``scenario`` (module docstring).

    Raises:
        ValueError: bad ``agents`` / ``periods`` / ``seed`` (``periods`` must divide 24), a
            scenario outside 1–5, or (``ResourceLimitError``) an estimated memory above the limit.
    """
    agents, periods, seed = case_arguments("ries", agents, periods, seed, bytes_per_agent=BYTES_PER_AGENT,
                                           bytes_per_agent_period=BYTES_PER_AGENT_PERIOD,
                                           max_memory_gb=max_memory_gb)
    scenario = check_scenario("ries", scenario)
    data = make_data(agents, periods, seed, SCENARIOS[scenario])
    return Case("ries", game_of(data), None, description=__doc__.split("\n")[0],
                params={"data": data, "scenario": scenario})


#: this case's registration (entry point ``ries`` of the group ``gamecore.cases``)
SPEC = CaseSpec("ries", build, "seed 001: energy generation operator pricing electricity and heat for load "
                "aggregators (P2G-CCS, stepwise carbon trading, PMV comfort)", "stackelberg", 3, 24,
                params=(CaseParam("scenario", 1, "the paper's ablation: 1 all features, 2 no SCTM, 3 no P2G-CCS, "
                                               "4 no storage, 5 no PMV", int, check_scenario),))
