"""Case ``cies`` (seed 004): build, stage-feedback carbon at the seed's interval edges, the centralized
schedules and their competitive split, the game against them, and nsga-qp's front against exact
scalarised optima (``kkt`` on weighted sums)."""

from __future__ import annotations

import json
import subprocess
import sys

import cvxpy as cp
import numpy as np
import pytest

from gamecore import make_case, solve
from gamecore.cases.cies.aggregator import la_model
from gamecore.cases.cies.analysis import account, centralized, front_distance, scenario_table, stage_reached
from gamecore.cases.cies.cchp import cchp_model
from gamecore.cases.cies.data import PAPER_TABLE, CIESData
from gamecore.pool import FollowerPool
from gamecore.scalarise import weighted_sum


def _data(case) -> CIESData:  # type: ignore[no-untyped-def]
    return case.params["data"]


# ----------------------------------------------------------------------------------- build
def test_case_builds_with_the_documented_sizes_and_scenarios() -> None:
    full = make_case("cies")
    assert _data(full).periods == 24 and full.game.layout.size == 4 * 24
    assert [f.name for f in full.game.followers] == ["CCHP1", "LA1"]
    assert [o.name for o in full.game.leader.objectives] == ["revenue", "emissions"]
    reduced = make_case("cies", periods=4)
    assert reduced.game.layout.size == 16 and _data(reduced).dt == 6.0
    for k in (1, 2, 3, 4):
        case = make_case("cies", periods=4, scenario=k)
        assert _data(case).scenario.number == k and case.game.name == f"cies-s{k}"
    assert [o.name for o in make_case("cies", periods=4, objectives="revenue").game.leader.objectives] == ["revenue"]


@pytest.mark.parametrize("kwargs, message", [
    ({"scenario": 5}, "case 'cies': scenario must be one of \\[1, 2, 3, 4\\]"),
    ({"objectives": "profit"}, "case 'cies': objectives must be one of"),
    ({"periods": 5}, "case 'cies': periods must divide 24"),
    ({"agents": 0}, "case 'cies': agents must be an integer >= 1"),
])
def test_bad_arguments_name_the_case_and_the_parameter(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_case("cies", **kwargs)


def test_generator_keeps_the_community_totals_for_any_agent_count() -> None:
    one, five = _data(make_case("cies", periods=4)), _data(make_case("cies", agents=5, periods=4, seed=3))
    assert len(five.cchps) == len(five.las) == 5
    assert five.elec.sum(axis=0) == pytest.approx(one.elec[0], rel=1e-12)
    assert five.heat.sum(axis=0) == pytest.approx(one.heat[0], rel=1e-12)
    assert sum(c.icg_mw for c in five.cchps) == pytest.approx(one.cchps[0].icg_mw, rel=1e-12)
    assert sum(c.battery.capacity for c in five.cchps) == pytest.approx(one.cchps[0].battery.capacity, rel=1e-12)
    # N equal copies behave as one: a copy scaled by f has the cost f·C(P/f)
    op = one.cchps[0]
    half = op.scaled(0.5, "half")
    assert 2 * half.icg_cost.value(0.5 * 0.3) == pytest.approx(op.icg_cost.value(0.3), rel=1e-12)


# ------------------------------------------------------------------------ carbon trading
def _seed_formula(x: float, p: float, s: float, da: float, dp: float) -> float:
    """Seed 004 eq. (8) as printed, written as a function of the excess x = E − E_q (t), with the
    two constants the extraction garbled restored by continuity (module docstring of
    gamecore.energy.carbon): the top penalty line p·s·(1+δa) and the last reward line 3+3δp."""
    if x >= s:
        return p * s * (1 + da) + p * (1 + 2 * da) * (x - s)
    if x >= 0:
        return p * (1 + da) * x
    if x >= -s:
        return p * x
    if x >= -2 * s:
        return -p * s - p * (1 + dp) * (-x - s)
    if x >= -3 * s:
        return -p * s * (2 + dp) - p * (1 + 2 * dp) * (-x - 2 * s)
    return -p * s * (3 + 3 * dp) - p * (1 + 3 * dp) * (-x - 3 * s)


def test_stage_feedback_cost_matches_the_seed_formula_at_every_interval_edge() -> None:
    data = _data(make_case("cies", periods=4))
    carbon = data.market.carbon
    p, s, da, dp = carbon.price, carbon.interval, carbon.delta_a, carbon.delta_p
    edges = np.array([-4, -3, -2, -1, 0, 1, 2, 3]) * s
    points = np.concatenate([edges, edges + 0.5 * s, edges - 1e-9])
    for x in points:
        assert carbon.cost(x) == pytest.approx(_seed_formula(x, p, s, da, dp), rel=1e-12, abs=1e-12), x
    # the edges' values by hand: 1 t over the quota costs 0.25 kCNY, 2 t 0.25 + 0.30; 2 t under earns 0.2 + 0.25
    assert carbon.cost(s) == pytest.approx(p * (1 + da) * s) and carbon.cost(2 * s) == pytest.approx(0.55)
    assert carbon.cost(-2 * s) == pytest.approx(-0.45)
    # the convex form the agents optimise is exact from −s up, and only under-rewards below
    for x in points:
        assert carbon.conservative_cost(x) >= carbon.cost(x) - 1e-12
        if x >= -s:
            assert carbon.conservative_cost(x) == pytest.approx(carbon.cost(x), abs=1e-12)
    assert stage_reached(data, 0.5) == 1 and stage_reached(data, 1.5) == 2 and stage_reached(data, -2.5) == -3


# ------------------------------------------------------------------------- centralized
@pytest.fixture(scope="module")
def schedules() -> dict[int, dict]:
    return {k: centralized(_data(make_case("cies", periods=4, scenario=k))) for k in (1, 2, 3)}


def test_centralized_prices_support_the_schedule_as_every_followers_best_response(schedules: dict) -> None:
    for k, sched in schedules.items():
        assert sched["status"] == "optimal"
        case = make_case("cies", periods=4, scenario=k)
        game = case.game
        vector = game.layout.pack(sched["prices"])
        with FollowerPool(game) as pool:
            responses = pool.respond(vector)
        payoffs = {**sched["cchp"], **sched["la"]}
        for f, r in zip(game.followers, responses):
            for o, v in r.outputs.items():
                assert v == pytest.approx(sched["outputs"][f.name][o], rel=1e-6, abs=1e-5), (k, f.name, o)
            assert -r.objective * 1000 == pytest.approx(payoffs[f.name], rel=1e-6)
        # prices cancel: the payoffs add up to the optimal welfare
        assert sched["welfare"] == pytest.approx(sched["welfare_optimum"], rel=1e-7)
        assert all(acc["exact"] for acc in sched["carbon"].values())


def test_centralized_welfare_falls_with_each_carbon_mechanism(schedules: dict) -> None:
    # stage feedback charges at least the fixed price on every tonne (its pieces include p·x), so
    # W3 <= W2 always; W2 <= W1 because scenario 2's optimum buys allowances (its excess is positive)
    assert all(acc["excess_t"] > 0 for acc in schedules[2]["carbon"].values())
    assert schedules[1]["welfare"] >= schedules[2]["welfare"] >= schedules[3]["welfare"]
    # a price on carbon never raises the emissions of the welfare optimum here
    assert schedules[1]["emissions_t"] >= schedules[2]["emissions_t"] >= schedules[3]["emissions_t"]


@pytest.mark.slow
def test_the_game_cannot_beat_the_centralized_welfare_of_its_own_carbon_mechanism(schedules: dict) -> None:
    case = make_case("cies", periods=4, objectives="revenue")
    result = solve(case, "kkt", progress=False, time_limit=60)
    assert result.status == "converged", result.message
    acc = account(case, result)
    # the game's schedule is feasible for the centralized problem of scenario 3 (same mechanism)
    assert acc["welfare"] <= schedules[3]["welfare"] + 1e-6
    # the leader with market power earns more than at competitive prices and the operator it buys
    # from less; the aggregators gain here: the mean-price cap holds electricity below its
    # competitive price (one agent can gain, not all three: the welfare bound above)
    assert acc["es"] > schedules[3]["es"] and acc["cchp_total"] < schedules[3]["cchp_total"]
    assert acc["la_total"] > schedules[3]["la_total"]
    # the accounting re-derives the leader's objective from the reported quantities
    assert acc["es"] == pytest.approx(-result.objective * 1000, rel=1e-9)
    assert all(a["exact"] for a in acc["carbon"].values())
    rows = scenario_table(case, result)
    assert [r["scenario"] for r in rows] == [1, 2, 3, 4]
    assert rows[3]["paper"] == PAPER_TABLE[4] and rows[0]["change"]["emissions_t"] == 0.0
    assert np.isnan(rows[0]["change"]["es"])      # the competitive ES earns ~0: no relative change


# ----------------------------------------------------------------------- the front
def _independent_objective(case, name: str, signals: dict) -> float:  # type: ignore[no-untyped-def]
    """A follower's optimal objective rebuilt from the case's model with constant prices, solved by ECOS."""
    data = _data(case)
    for j, op in enumerate(data.cchps):
        if op.name == name:
            m = cchp_model(op, j, data)
            cost = m.own_cost - signals["price_eb"] @ m.elec - signals["price_hb"] @ m.heat
            prob = cp.Problem(cp.Minimize(cost), m.constraints)
            break
    else:
        i = [la.name for la in data.las].index(name)
        m2 = la_model(data.las[i], i, data)
        cost = signals["price_es"] @ m2.elec + signals["price_hs"] @ m2.heat - m2.utility
        prob = cp.Problem(cp.Minimize(cost), m2.constraints)
    prob.solve(solver=cp.ECOS, abstol=1e-10, reltol=1e-10, feastol=1e-10)
    return float(prob.value)


@pytest.mark.slow
def test_nsga_front_reaches_the_exact_weighted_sum_optima_with_best_responses_along_it() -> None:
    case = make_case("cies", periods=4)
    game = case.game
    result = solve(case, "nsga-qp", progress=False, seed=0, pop_size=100, descent_starts=80, time_limit=600)
    pareto = result.extra["pareto"]
    assert len(pareto) >= 10
    F = np.array([p["objectives"] for p in pareto])
    exact = []
    for entry in result.extra["scalarised"]:
        ws = weighted_sum(game, entry["weights"])
        ref = solve(ws, "kkt", progress=False, time_limit=60)
        assert ref.status == "converged", ref.message
        exact.append(game.leader_objectives(ref.signals, [
            _response(ref.outputs[f.name]) for f in game.followers]))
        # the polished point of this weighted sum is within 1e-3 of its exact optimum
        assert entry["value"] == pytest.approx(ref.objective, rel=1e-3, abs=1e-6), entry["normalised_weights"]
        # and the Pareto set contains it (a weighted-sum optimum is not dominated)
        assert np.min(np.max(np.abs(F - np.array(entry["objectives"])), axis=1)) <= 1e-9
    # the exact points of sums that weigh every objective lie on the front (a zero-weight objective
    # leaves the exact optimum free along it: only its value is compared, above)
    weighted_all = [i for i, e in enumerate(result.extra["scalarised"]) if min(e["weights"]) > 0]
    assert weighted_all and front_distance(F, np.array(exact)[weighted_all]).max() <= 2e-3
    # follower best-response gaps along the front, against an independent model and solver
    with FollowerPool(game) as pool:
        for p in pareto[:: max(1, len(pareto) // 5)]:
            x = np.array(p["signals"])
            responses = pool.respond(x)
            assert game.leader_objectives(game.layout.unpack(x), responses) == pytest.approx(p["objectives"],
                                                                                              rel=1e-7, abs=1e-9)
            for f, r in zip(game.followers, responses):
                best = _independent_objective(case, f.name, game.layout.unpack(x))
                assert (r.objective - best) / max(1.0, abs(best)) <= 1e-6
    assert result.certificate.best_response_gap <= 1e-6


def _response(outputs: dict):  # type: ignore[no-untyped-def]
    from gamecore.canonical import Response
    return Response("optimal", {k: np.asarray(v) for k, v in outputs.items()}, 0.0, 0.0, 0)


@pytest.mark.slow
def test_acceptance_command_prints_the_pareto_set_and_the_chosen_point() -> None:
    out = subprocess.run([sys.executable, "-m", "gamecore", "solve", "cies", "--periods", "4", "--strategy",
                          "nsga-qp", "--json"], capture_output=True, text=True, timeout=900)
    assert out.returncode in (0, 1), out.stderr[-2000:]
    data = json.loads(out.stdout)
    pareto = data["extra"]["pareto"]
    assert len(pareto) >= 10
    assert all(len(p["objectives"]) == 2 and len(p["signals"]) == 16 for p in pareto)
    k = data["extra"]["chosen_index"]
    assert pareto[k]["objectives"] == pytest.approx(data["objectives"], rel=1e-7, abs=1e-9)
    assert data["certificate"]["best_response_gap"] <= 1e-6
