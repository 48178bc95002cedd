"""The rolling workflow (:func:`gamecore.rolling.solve_rolling`) on a toy rolling description.

The toy: three storage agents with known demands (perfect forecasts), each buying ``net =
demand + charge`` at the local price and paying a quadratic wear ``a_i·charge²`` plus a small
``w·net²`` (strict convexity: a unique optimum, continuous bids); the leader supplies
``s = Σ net`` at ``C(s) = α·s + β·s²`` with ``0 ≤ s ≤ cap`` (the cap binds in the evening
peak). T = 4. Under perfect forecasts and a unique optimum the centralized rolling day is the
hindsight optimum (Bellman's principle), which the test computes as one cvxpy program.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import cvxpy as cp
import numpy as np
import pytest
from typer.testing import CliRunner

import gamecore
from gamecore import Follower, Game, Leader, MarketCoupling, Signal, cli
from gamecore.errors import GameError, StrategyError
from gamecore.rolling import (
    REAL_TIME_DEFAULTS,
    PeriodCost,
    RollingHorizon,
    RollingResult,
    centralized_rolling,
    current_period_game,
    solve_rolling,
    stage_vector,
)

T = 4
DEMAND = np.array([[6.0, 8.0, 12.0, 7.0], [5.0, 9.0, 13.0, 6.0], [4.0, 7.0, 14.0, 8.0]])   # (N, T) kWh
WEAR = np.array([0.8, 1.0, 1.3])       # a_i, $/kWh²
E_MAX = np.array([6.0, 5.0, 7.0])      # storage capacity, kWh
E_0 = np.array([2.0, 1.0, 3.0])        # initial energy, kWh
C_MAX = 3.0                            # charge / discharge per period, kWh
W = 0.05                               # $/kWh² on net purchases
ALPHA, BETA, CAP = 2.0, 0.1, 31.0      # supply cost and capacity
PRICE_MAX = 50.0


class ToyRolling(RollingHorizon):
    """Storage agents behind a capacity-limited supply; state = stored energy."""

    def __init__(self) -> None:
        self.periods = T
        self.agent_names = [f"agent{i}" for i in range(DEMAND.shape[0])]

    def initial_states(self) -> list[float]:
        return [float(e) for e in E_0]

    def _game(self, start: int, states: Sequence[float]) -> Game:
        n = T - start
        followers = []
        for i, name in enumerate(self.agent_names):
            price = cp.Parameter(n, name="price")
            charge = cp.Variable(n)
            net = DEMAND[i, start:] + charge
            level = states[i] + cp.cumsum(charge)
            cost = WEAR[i] * cp.sum_squares(charge) + W * cp.sum_squares(net)
            followers.append(Follower(name, cp.Minimize(cost + price @ net),
                                      [cp.abs(charge) <= C_MAX, level >= 0, level <= E_MAX[i], net >= 0],
                                      signals={"price": price}, outputs={"net": net}))
        balance = MarketCoupling("supply", signal="price", output="net",
                                 supply_cost=lambda s: ALPHA * cp.sum(s) + BETA * cp.sum_squares(s),
                                 supply_constraints=lambda s: [s >= 0, s <= CAP])
        return Game(Leader([Signal("price", (n,), 0.0, PRICE_MAX)], couplings=[balance]), followers,
                    name=f"toy[{start}:]")

    def stage_game(self, start: int, states: Sequence[Any]) -> Game:
        return self._game(start, states)

    def day_ahead_game(self) -> Game:
        return self._game(0, self.initial_states())

    def advance(self, start: int, states: Sequence[Any], responses: Sequence[Any]) -> list[float]:
        nets = [float(np.ravel(_outputs(r)["net"])[0]) for r in responses]
        return [float(e + net - DEMAND[i, start]) for i, (e, net) in enumerate(zip(states, nets))]

    def period_cost(self, start: int, states: Sequence[Any], next_states: Sequence[Any], game: Game,
                    signal_vector: np.ndarray, responses: Sequence[Any]) -> PeriodCost:
        nets = np.array([float(np.ravel(_outputs(r)["net"])[0]) for r in responses])
        charge = np.asarray(next_states) - np.asarray(states)
        own = WEAR * charge ** 2 + W * nets ** 2
        s = float(nets.sum())
        price = float(signal_vector[0])
        return PeriodCost(system=float(ALPHA * s + BETA * s * s + own.sum()), agents=own + price * nets,
                          flows={"supply": s}, limits={"supply": (0.0, CAP)})

    def hindsight_cost(self) -> float:
        return hindsight_optimum()


def _outputs(r: Any) -> Any:
    return r.outputs if hasattr(r, "outputs") else r


def hindsight_optimum() -> float:
    """The whole day as one convex program (perfect information)."""
    charge = cp.Variable(DEMAND.shape)
    net = DEMAND + charge
    level = E_0[:, None] + cp.cumsum(charge, axis=1)
    s = cp.sum(net, axis=0)
    cost = (cp.sum(cp.multiply(WEAR[:, None], cp.square(charge))) + W * cp.sum_squares(net)
            + ALPHA * cp.sum(s) + BETA * cp.sum_squares(s))
    cons = [cp.abs(charge) <= C_MAX, level >= 0, level <= E_MAX[:, None], net >= 0, s >= 0, s <= CAP]
    problem = cp.Problem(cp.Minimize(cost), cons)
    problem.solve(solver=cp.CLARABEL)
    assert problem.status == cp.OPTIMAL
    return float(problem.value)


@pytest.fixture(scope="module")
def central() -> RollingResult:
    return solve_rolling(ToyRolling(), "centralized", "centralized")


@pytest.fixture(scope="module")
def two_stage() -> RollingResult:
    return solve_rolling(ToyRolling())          # day-ahead + bisection (the defaults)


def test_centralized_rolling_is_the_hindsight_optimum(central: RollingResult) -> None:
    assert central.status == "converged", central.message
    optimum = hindsight_optimum()
    assert central.cost == pytest.approx(optimum, rel=1e-6)
    assert central.hindsight_cost == pytest.approx(optimum, rel=1e-12)
    # the supply cap binds in the peak period and the realised flow stays within it
    assert central.flow_ratio == pytest.approx(1.0, abs=1e-6)
    # the direct form (solve_centralized per stage) realises the same day
    assert centralized_rolling(ToyRolling()).total_cost == pytest.approx(central.cost, rel=1e-7)


def test_two_stage_matches_centralized_rolling(two_stage: RollingResult, central: RollingResult) -> None:
    """Day-ahead balance 1e-4 and real-time price brackets of 3.75e-4 on a range of 50 (with the kink
    recovery the period clears exactly): the realised prices are within ≈ the bracket of the
    clearing prices and the quantities within slope × bracket, so the cost, being optimal, moves
    by second order: 1e-5 relative is ample (measured: ≈ 1e-9)."""
    assert two_stage.status == "converged", two_stage.message
    assert abs(two_stage.cost - central.cost) / abs(central.cost) <= 1e-5
    np.testing.assert_allclose(two_stage.run.prices["price"], central.run.prices["price"], atol=3e-2)
    assert two_stage.day_ahead is not None and two_stage.day_ahead.status == "converged"
    assert two_stage.day_ahead.strategy == "day-ahead"
    # every real-time period within the log2 bound
    bound = int(np.ceil(np.log2(PRICE_MAX / REAL_TIME_DEFAULTS["bisection"]["price_tol"])))
    assert all(1 <= s.iterations <= bound and s.bound == bound for s in two_stage.stages)
    assert two_stage.iterations == two_stage.day_ahead_iterations + sum(two_stage.real_time_iterations)
    assert two_stage.messages > 0 and two_stage.wall_s >= two_stage.compile_s >= 0


def test_every_stage_has_a_certificate(two_stage: RollingResult, central: RollingResult) -> None:
    # the day-ahead stage: the driver's own certificate of the day-ahead game
    assert two_stage.day_ahead is not None and two_stage.day_ahead.certificate.certified
    assert two_stage.day_ahead.certificate.duality_gap is not None
    for day in (two_stage, central):
        assert len(day.stages) == T
        for stage in day.stages:
            assert stage.certified and stage.status == "converged", (stage.period, stage.certificate)
            assert stage.certificate["best_response_gap"] is not None
            assert stage.certificate["coupling_residual"] is not None
            # the driver's full certificate, the duality gap bounded by the clearing welfare
            assert stage.certificate["duality_gap"] is not None


@pytest.mark.slow   # ≈ 5 s: starting the loky workers
def test_n_jobs_2_gives_the_same_day(two_stage: RollingResult) -> None:
    parallel = solve_rolling(ToyRolling(), n_jobs=2)
    assert parallel.status == "converged"
    np.testing.assert_allclose(parallel.run.prices["price"], two_stage.run.prices["price"], rtol=1e-9, atol=1e-12)
    assert parallel.cost == pytest.approx(two_stage.cost, rel=1e-9)
    assert parallel.real_time_iterations == two_stage.real_time_iterations


def test_exports(two_stage: RollingResult, tmp_path: Any) -> None:
    frame = two_stage.to_frame()
    assert len(frame) == T and {"period", "price_price", "forecast_price", "flow_supply", "iterations",
                                "certified"} <= set(frame.columns)
    data = json.loads(two_stage.to_json(tmp_path / "day.json"))
    assert data["cost"] == pytest.approx(two_stage.cost) and len(data["stages"]) == T
    assert json.loads((tmp_path / "day.json").read_text())["status"] == "converged"
    import matplotlib
    matplotlib.use("Agg")
    fig = two_stage.plot()
    assert len(fig.axes) == 2


def test_usage_errors() -> None:
    case = gamecore.make_case("analytic-market", agents=3, periods=2)
    with pytest.raises(GameError, match="no rolling description"):
        solve_rolling(case)
    with pytest.raises(StrategyError, match="unknown option"):
        solve_rolling(ToyRolling(), real_time_options={"step": 3})
    with pytest.raises(StrategyError):
        solve_rolling(ToyRolling(), real_time="newton")


def test_bisection_has_no_rolling_options() -> None:
    with pytest.raises(StrategyError, match="unknown option"):
        gamecore.get_strategy("bisection", mode="two-stage")
    with pytest.raises(StrategyError, match="unknown option"):
        gamecore.get_strategy("bisection", da_tol=1e-4)


def test_cli_without_rolling_description_exits_2() -> None:
    res = CliRunner().invoke(cli.app, ["rolling", "analytic-market", "--json"])
    assert res.exit_code == 2
    assert "no rolling description" in res.stderr


@pytest.mark.parametrize(("flag", "item", "named"),
                         [("--rt-option", "price_tol=abc", "strategy 'bisection': option price_tol"),
                          ("--da-option", "method=newton", "strategy 'day-ahead': option method")])
def test_cli_stage_options_are_typed_by_their_strategy(flag: str, item: str, named: str) -> None:
    """``--da-option`` / ``--rt-option`` are parsed and checked by the stage strategy's options
    (the real-time scalar clearing's own for ``bisection``), not guessed from the text."""
    res = CliRunner().invoke(cli.app, ["rolling", "county", "--json", "--no-reference", flag, item])
    assert res.exit_code == 2 and named in res.output


CLI_FIELDS = ("case", "agents", "status", "cost", "reference_cost", "gap", "hindsight_cost", "day_ahead_iterations",
              "real_time_iterations_max", "transformer_max_ratio", "compile_s", "solver_s", "wall_s", "messages")


@pytest.mark.slow
def test_cli_rolling_ieh_json() -> None:
    res = CliRunner().invoke(cli.app, ["rolling", "ieh", "--agents", "3", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert set(CLI_FIELDS) <= set(payload)
    assert payload["case"] == "ieh" and payload["agents"] == 3 and payload["status"] == "converged"
    gap = (payload["cost"] - payload["reference_cost"]) / abs(payload["reference_cost"])
    assert payload["gap"] == pytest.approx(gap, rel=1e-9)
    assert abs(payload["gap"]) <= 5e-4
    assert payload["transformer_max_ratio"] <= 1 + 1e-6
    assert payload["real_time_iterations_max"] <= 12          # ⌈log₂(1.5 / 3.75e-4)⌉
    assert 0 < payload["compile_s"] < payload["wall_s"] and payload["messages"] > 0


def test_current_period_game_holds_the_later_prices() -> None:
    """The one-price game's followers and supply answer at p exactly as the stage game's at
    (p, later prices): outputs' first entries, objectives and supply."""
    rolling = ToyRolling()
    stage = rolling.stage_game(1, rolling.initial_states())
    later = {"price": np.linspace(5.0, 30.0, T)}
    vector = stage_vector(stage, later, 1)
    game = current_period_game(stage, vector)
    assert game.layout.size == 1 and game.n_followers == stage.n_followers
    for price in (3.0, 17.5, 44.0):
        full = vector.copy()
        full[0] = price
        for f_now, f_stage in zip(game.followers, stage.followers):
            now = f_now.respond({"price": np.array([price])})
            whole = f_stage.respond({"price": full})
            assert now.objective == pytest.approx(whole.objective, rel=1e-7, abs=1e-7)
            np.testing.assert_allclose(now.outputs["net"], whole.outputs["net"][:1], atol=1e-6)
        coupling = stage.leader.couplings[0]
        s_now = game.suppliers[coupling.name].solve(np.array([price]))
        s_stage = stage.suppliers[coupling.name].solve(full)
        np.testing.assert_allclose(np.ravel(s_now.outputs["supply"]), np.ravel(s_stage.outputs["supply"])[:1],
                                   atol=1e-6)
