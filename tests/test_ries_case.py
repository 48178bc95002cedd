"""Case ``ries`` (seed 001): build, the exact and ADMM solutions on a reduced instance, accounting,
the ablation directions the model guarantees, and the CLI acceptance commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import gamecore
from gamecore.cases import make_case
from gamecore.cases.ries.analysis import account, welfare_optimum
from gamecore.cases.ries.data import CARBON, PAPER_TABLE, SCENARIOS
from gamecore.cases.ries.ego import OWN, ego_numbers
from gamecore.cli import app


@pytest.fixture(scope="module")
def reduced() -> dict[int, tuple]:
    """kkt on the reduced instance (1 LA x 4 periods) in every scenario (SCIP proves optimality)."""
    out = {}
    for k in SCENARIOS:
        case = make_case("ries", agents=1, periods=4, scenario=k)
        out[k] = (case, gamecore.solve(case, "kkt", progress=False))
    return out


def test_default_case_is_three_las_over_a_day() -> None:
    case = make_case("ries")
    game = case.game
    assert [f.name for f in game.followers] == ["LA1", "LA2", "LA3"]
    assert game.layout.signals["price_e"].shape == (24,)
    # the EGO's dispatch reaches no LA: 12 own decisions per period
    assert int(game.leader_only.sum()) == len(OWN) * 24
    assert not game.leader_only[game.layout.slices["price_e"]].any()
    data = case.params["data"]
    np.testing.assert_allclose(game.layout.signals["price_e"].upper_array, data.tou)
    assert case.params["scenario"] == 1


@pytest.mark.parametrize("kwargs, match", [({"scenario": 6}, "scenario must be one of"),
                                           ({"periods": 5}, "periods must divide 24"),
                                           ({"agents": 0}, "agents must be an integer")])
def test_bad_arguments_are_refused_naming_them(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_case("ries", **kwargs)


def test_more_las_keep_the_total_demand() -> None:
    """The generator scales N LAs to the three-LA total electric load."""
    three = make_case("ries", agents=3, periods=4).params["data"].elec.sum()
    ten = make_case("ries", agents=10, periods=4, seed=3).params["data"]
    assert ten.elec.sum() == pytest.approx(three, rel=1e-12)
    assert len({la.stock for la in ten.las}) == 3


def test_kkt_is_certified_and_the_accounting_agrees_with_the_objective(reduced: dict) -> None:
    """The EGO's profit recomputed from its dispatch (sales − operating cost) equals the game's objective,
    and its emissions and quota follow the data's factors at the reported point."""
    case, result = reduced[1]
    assert result.status == "converged" and result.certificate.within(), result.certificate.failures()
    acc = account(case, result)
    assert acc["ego_revenue"] == pytest.approx(-result.objective * 1000.0, rel=1e-9)
    data = case.params["data"]
    out = result.outputs["LA1"]
    quota_t = data.ego.quota_elec * out["elec"].sum() + data.ego.quota_heat * out["heat"].sum()
    assert acc["quota_kg"] == pytest.approx(quota_t * 1000.0, rel=1e-6)
    numbers = ego_numbers(data, result.signals)
    np.testing.assert_allclose(numbers["elec_supply"], out["elec"], atol=1e-6)
    excess = float(np.sum(numbers["emissions"]) - np.sum(numbers["quota"]))
    assert acc["carbon_cost"] == pytest.approx(float(CARBON.cost(excess)) * 1000.0, rel=1e-6, abs=1e-3)


def test_stackelberg_optimum_follows_the_ablation_the_model_guarantees(reduced: dict) -> None:
    """The EGO's exact optimal profit: removing its own storage or P2G-CCS cannot raise it (its feasible
    dispatch shrinks, the LAs do not see it); the flat base carbon price (no ladder) cannot lower it
    (the ladder's cost is the max of pieces that include the base price's line)."""
    profit = {k: -r.objective for k, (_, r) in reduced.items()}
    assert all(r.status == "converged" for _, r in reduced.values())
    assert profit[4] <= profit[1] + 1e-6
    assert profit[3] <= profit[1] + 1e-6
    assert profit[2] >= profit[1] - 1e-6


def test_welfare_optimum_follows_the_ablation_the_model_guarantees(reduced: dict) -> None:
    """Centralized cost: without storage or P2G-CCS it cannot fall; without the ladder it cannot rise.
    It is below the game's total cost (EGO operating cost + LA own costs) at the Stackelberg optimum."""
    cost = {k: welfare_optimum(case.params["data"])["cost"] for k, (case, _) in reduced.items()}
    assert cost[4] >= cost[1] - 1e-3 and cost[3] >= cost[1] - 1e-3 and cost[2] <= cost[1] + 1e-3
    case, result = reduced[1]
    acc = account(case, result)
    game_cost = sum(acc["la_costs"].values()) - acc["ego_revenue"]     # payments cancel out
    assert cost[1] <= game_cost + 1e-3


def test_paper_table_has_the_five_scenarios() -> None:
    assert sorted(PAPER_TABLE) == [1, 2, 3, 4, 5]
    assert PAPER_TABLE[1][0] == 296_639.0 and PAPER_TABLE[3][2] == 328_298.0


@pytest.mark.slow
def test_acceptance_solve_commands_agree() -> None:
    """``gamecore solve ries --agents 1 --periods 4 --strategy kkt|admm --json``: both converged, objectives
    within 1e-3 (relative) of each other, the admm certificate's leader regret ≤ 1e-3 against the kkt bound."""
    runner = CliRunner()
    payloads = {}
    for strategy in ("kkt", "admm"):
        res = runner.invoke(app, ["solve", "ries", "--agents", "1", "--periods", "4", "--strategy", strategy,
                                  "--json", "--quiet"])
        assert res.exit_code == 0, res.output
        payloads[strategy] = json.loads(res.output)
    kkt, admm = payloads["kkt"], payloads["admm"]
    assert kkt["status"] == "converged" and admm["status"] == "converged"
    assert abs(admm["objective"] - kkt["objective"]) <= 1e-3 * abs(kkt["objective"])
    cert = admm["certificate"]
    assert cert["leader_regret"] is not None and abs(cert["leader_regret"]) <= 1e-3
    assert admm["certificate_detail"]["bound_source"].startswith("kkt")


def test_ries_command_prints_the_ablation_beside_the_paper() -> None:
    res = CliRunner().invoke(app, ["ries", "--scenario", "1", "--scenario", "4", "--agents", "1", "--periods", "4",
                                   "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["rows"]
    assert [r["scenario"] for r in rows] == [1, 4]
    assert rows[0]["paper_ego_revenue"] == 296_639.0 and rows[1]["d_paper_ego_revenue"] == pytest.approx(
        305_622 / 296_639 - 1)
    assert rows[1]["d_ego_revenue"] <= 1e-9          # without storage the EGO cannot earn more
