"""The follower pool: parallel == serial, traffic counters, proximal responses, canonical form.

Units: prices in $/MWh, quantities in MWh. The loky workers are started once per test
session (joblib's reusable executor); the first parallel call pays their start-up.
"""

from __future__ import annotations


import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Follower, FollowerPool, FollowerSolveError, Game, Leader, MarketCoupling, Prox, Signal

N, T = 6, 4


def _outputs(rows: list[list[gamecore.Response]]) -> np.ndarray:
    return np.array([[r.outputs["demand"] for r in row] for row in rows])


def _objectives(rows: list[list[gamecore.Response]]) -> np.ndarray:
    return np.array([[r.objective for r in row] for row in rows])


#: Clarabel settings tight enough that an answer does not depend on the solver's history (see
#: test_answer_does_not_depend_on_solver_history): parallel and serial runs solve the same
#: programs in different orders (and a re-shipped shard starts from a fresh solver)
TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}


def consumers(periods: int = T, solver_options: dict | None = None) -> list[Follower]:
    """The followers of ``make_case("analytic-market", N, periods, seed=3)``, rebuilt with solver options."""
    data = gamecore.make_case("analytic-market", agents=N, periods=periods, seed=3).params["data"]
    followers = []
    for i in range(N):
        price = cp.Parameter(periods, name="price")
        d = cp.Variable(periods)
        objective = cp.Minimize(-(data["a"][i] @ d - 0.5 * data["b"][i] * cp.sum_squares(d)) + price @ d)
        followers.append(Follower(f"consumer{i}", objective, [d >= 0, d <= data["dmax"][i]], {"price": price},
                                  {"demand": d}, solver_options=solver_options))
    return followers


def market(followers: list[Follower], periods: int = T) -> Game:
    leader = Leader([Signal("price", (periods,), 0.0, 100.0)], couplings=[MarketCoupling("balance", "price", "demand")])
    return Game(leader, followers, name="pool-test")


@pytest.fixture(scope="module")
def game() -> Game:
    return market(consumers(solver_options=TIGHT))


@pytest.fixture(scope="module")
def price_vectors() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    return [rng.uniform(0.0, 60.0, T) for _ in range(5)]


@pytest.fixture(scope="module")
def serial(game: Game, price_vectors: list[np.ndarray]) -> list[list[gamecore.Response]]:
    return FollowerPool(game, n_jobs=1).respond_many(price_vectors)


# =====================================================================================
# Parallel == serial
# =====================================================================================
def test_loky_pool_matches_serial(game, price_vectors, serial) -> None:
    pool = FollowerPool(game, n_jobs=2, backend="loky")
    first = pool.respond(price_vectors[0])
    second = pool.respond(price_vectors[1])
    batch = pool.respond_many(price_vectors[2:])
    got = [first, second] + batch
    np.testing.assert_allclose(_outputs(got), _outputs(serial), rtol=0, atol=1e-9)
    np.testing.assert_allclose(_objectives(got), _objectives(serial), rtol=1e-10, atol=1e-9)
    assert pool.stats.calls == 3 and pool.stats.solves == 5 * N
    # whatever the workers' caches held, the answers are the same (a lost shard is re-shipped),
    # and each shard reaches each worker at most once: ≤ shards × (workers − 1) re-shipments
    assert pool._shipped and len(pool._shards) == pool.workers
    assert pool.stats.reshipped_shards <= len(pool._shards) * (pool.workers - 1)
    assert pool.stats.retried_shards == 0                 # no worker died


def test_loky_pool_with_more_shards_than_workers(game, price_vectors, serial) -> None:
    pool = FollowerPool(game, n_jobs=2, backend="loky", shards=4)
    rows = pool.respond_many(price_vectors)
    again = pool.respond_many(price_vectors)
    np.testing.assert_allclose(_outputs(rows), _outputs(serial), rtol=0, atol=1e-9)
    np.testing.assert_allclose(_outputs(again), _outputs(serial), rtol=0, atol=1e-9)


def test_threading_pool_matches_serial(game, price_vectors, serial) -> None:
    pool = FollowerPool(game, n_jobs=2, backend="threading")
    got = [pool.respond(price_vectors[0]), pool.respond(price_vectors[1])] + pool.respond_many(price_vectors[2:])
    np.testing.assert_allclose(_outputs(got), _outputs(serial), rtol=0, atol=1e-9)
    assert pool.stats.reshipped_shards == 0




def test_dask_pool_matches_serial(game, price_vectors, serial) -> None:
    """Real dask workers (two processes of a LocalCluster) through joblib's dask backend."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        pool = FollowerPool(game, n_jobs=2, backend="dask", shards=3)
        got = [pool.respond(price_vectors[0])] + pool.respond_many(price_vectors[1:])
        np.testing.assert_allclose(_outputs(got), _outputs(serial), rtol=0, atol=1e-9)
        assert pool.stats.reshipped_shards <= len(pool._shards)
        # a whole strategy run on the cluster gives the serial answer
        case = gamecore.make_case("analytic-market", agents=8, periods=3)
        on_dask = gamecore.solve(case, "bisection", n_jobs=2, backend="dask")
    local = gamecore.solve(case, "bisection")
    assert on_dask.status == "converged"
    np.testing.assert_array_equal(on_dask.signals["price"], local.signals["price"])


def test_unknown_backend_is_named() -> None:
    with pytest.raises(ValueError, match="backend must be one of .*'dask'.*got 'spark'"):
        FollowerPool(market(consumers()), n_jobs=2, backend="spark")


def test_programs_are_shipped_to_each_worker_at_most_once(game, price_vectors, serial) -> None:
    """joblib cannot address a worker: the first call's tasks may all land on one worker.

    A worker that lacks the programs answers "missing" and receives them once, so over any
    number of calls the reshipped tasks are bounded by shards × (workers − 1), and answers
    equal the serial ones.
    """
    pool = FollowerPool(game, n_jobs=2, backend="loky")
    rows = [pool.respond(price_vectors[0])]
    for _ in range(6):
        rows.append(pool.respond(price_vectors[1]))
    batch = pool.respond_many(price_vectors[2:])
    assert pool.stats.reshipped_shards <= len(pool._shards) * (pool.n_jobs - 1)
    np.testing.assert_allclose(_outputs([rows[0], rows[-1]] + batch), _outputs(serial), rtol=0, atol=1e-9)

def test_parallel_failure_names_the_follower(game) -> None:
    price = cp.Parameter(T, name="price")
    d = cp.Variable(T)
    stubborn = Follower("stubborn", cp.Minimize(cp.sum_squares(d) + price @ d), [d >= 6, d <= 5], {"price": price},
                        {"demand": d})
    bad = Game(game.leader, list(game.followers) + [stubborn], name="with-stubborn")
    pool = FollowerPool(bad, n_jobs=2, backend="loky")
    with pytest.raises(FollowerSolveError, match="stubborn") as info:
        pool.respond(np.full(T, 20.0))
    assert info.value.status == "infeasible"
    rows = pool.respond_many([np.full(T, 20.0)], raise_on_failure=False)
    assert [r.ok for r in rows[0]] == [True] * N + [False]




def test_answer_does_not_depend_on_solver_history(price_vectors) -> None:
    used, fresh = consumers(), consumers()            # default Clarabel settings
    worst = 0.0
    for a, b in zip(used, fresh):
        a.program.solve(price_vectors[0])
        after = a.program.solve(price_vectors[1])
        first = b.program.solve(price_vectors[1])
        worst = max(worst, float(np.abs(after.outputs["demand"] - first.outputs["demand"]).max()))
    assert worst <= 1e-9


# =====================================================================================
# Traffic counters
# =====================================================================================
def test_message_and_float_counters(game, price_vectors) -> None:
    pool = FollowerPool(game, n_jobs=1)
    pool.respond(price_vectors[0])
    assert pool.stats.messages == 2 * N           # one price vector down, one output up, per follower
    assert pool.stats.floats == 2 * N * T         # T prices down, T quantities up
    assert pool.stats.solves == N and pool.stats.calls == 1
    pool.respond_many(price_vectors[:3])
    assert pool.stats.messages == 2 * N * 4 and pool.stats.floats == 2 * N * T * 4
    assert pool.stats.calls == 2 and pool.stats.solves == 4 * N
    # a proximal term adds rho and the targets to the message down
    targets = [Prox(1.0, {"demand": np.ones(T)}) for _ in range(N)]
    before = pool.stats.snapshot()
    pool.respond(price_vectors[0], proxes=targets)
    delta = pool.stats.since(before)
    assert delta.messages == 2 * N and delta.floats == 2 * N * T + N * (1 + T)


def test_solve_counts_traffic_of_the_strategy_only(market_case: gamecore.Case) -> None:
    result = gamecore.solve(market_case, "bisection", progress=False)
    n, t = market_case.game.n_followers, market_case.game.layout.size
    evaluations = result.messages // (2 * n)
    assert result.messages == 2 * n * evaluations and result.floats == 2 * n * t * evaluations
    assert evaluations == result.iterations + 1      # the start point plus one per iteration


# =====================================================================================
# Proximal responses
# =====================================================================================
def test_prox_with_huge_rho_returns_the_target(game) -> None:
    data = gamecore.make_case("analytic-market", agents=N, periods=T, seed=3).params["data"]   # game's data
    rng = np.random.default_rng(5)
    price = rng.uniform(0.0, 60.0, T)
    targets = [rng.uniform(0.2, 0.8, T) * data["dmax"][i] for i in range(N)]   # strictly inside the box
    rho = 1e7
    proxes = [Prox(rho, {"demand": t}) for t in targets]
    rows = FollowerPool(game, n_jobs=1).respond(price, proxes=proxes, keep_x=True)
    for i, (response, target) in enumerate(zip(rows, targets)):
        assert response.ok
        np.testing.assert_allclose(response.outputs["demand"], target, atol=1e-4)
        # the reported objective is the follower's own cost at the answer, without the prox term
        a, b = data["a"][i], data["b"][i]
        d = response.outputs["demand"]
        own = float(-(a @ d - 0.5 * b * d @ d) + price @ d)
        assert response.objective == pytest.approx(own, rel=1e-9, abs=1e-7)
        program = game.followers[i].program
        assert program.objective_at(response.x, price) == pytest.approx(response.objective, rel=1e-12, abs=1e-9)


def test_prox_with_small_rho_is_the_best_response(game) -> None:
    price = np.full(T, 30.0)
    plain = game.followers[0].respond({"price": price})
    prox = game.followers[0].respond({"price": price}, Prox(1e-9, {"demand": np.zeros(T)}))
    np.testing.assert_allclose(prox.outputs["demand"], plain.outputs["demand"], atol=1e-6)


def test_prox_closed_form_for_interior_consumer() -> None:
    # min −(a d − ½ b d²) + p d + (ρ/2)(d − t)²  ⇒  d = (a − p + ρ t)/(b + ρ) when inside the box
    price = cp.Parameter(1, name="price")
    d = cp.Variable(1)
    a, b, p, t = 50.0, 2.0, 20.0, 9.0
    follower = Follower("c", cp.Minimize(-(a * cp.sum(d) - 0.5 * b * cp.sum_squares(d)) + price @ d),
                        [d >= 0, d <= 100], {"price": price}, {"demand": d})
    for rho in (0.5, 3.0, 40.0):
        response = follower.respond({"price": np.array([p])}, Prox(rho, {"demand": np.array([t])}))
        expected = (a - p + rho * t) / (b + rho)
        assert response.outputs["demand"][0] == pytest.approx(expected, rel=1e-7)
        assert response.objective == pytest.approx(-(a * expected - 0.5 * b * expected**2) + p * expected, rel=1e-7)




def test_prox_solver_reuse_across_rho_decades() -> None:
    def consumer() -> Follower:
        price = cp.Parameter(2, name="price")
        d = cp.Variable(2)
        return Follower("consumer", cp.Minimize(-(np.array([68.2, 40.9]) @ d - 0.6 * cp.sum_squares(d)) + price @ d),
                        [d >= np.array([2.8, 2.9]), d <= np.array([28.0, 29.0])], {"price": price}, {"demand": d})

    sigma, target = np.array([43.84, 29.52]), {"demand": np.array([12.56, 13.13])}
    fresh = consumer().program.solve(sigma, Prox(9.2, target))
    assert fresh.ok
    reused = consumer().program
    assert reused.solve(sigma, Prox(3e8, target)).ok           # e.g. ADMM's first, very stiff, rho
    again = reused.solve(sigma, Prox(9.2, target))            # after residual balancing lowered it
    assert again.ok, again.status
    np.testing.assert_allclose(again.outputs["demand"], fresh.outputs["demand"], atol=1e-7)


# =====================================================================================
# Canonical form == cvxpy
# =====================================================================================
def random_prosumer(rng: np.random.Generator, periods: int) -> tuple[Follower, cp.Parameter, cp.Problem]:
    """A prosumer with storage, a flexible load and an SOC power limit; also returned as a cvxpy Problem.

    Load u (utility a·u − ½b‖u‖²), charge c and discharge e with efficiency eta, state of
    charge x (x₀ given, x_{t+1} = x_t + eta·c_t − e_t/eta, 0 ≤ x ≤ cap), wear κ‖c + e‖², a
    linear holding value w·x, and ‖c − e‖₂ ≤ R. Output: net purchase u + c − e.
    """
    a = rng.uniform(20.0, 80.0, periods)
    b = rng.uniform(0.5, 3.0)
    eta, cap, x0 = rng.uniform(0.85, 0.98), rng.uniform(5.0, 20.0), rng.uniform(0.0, 5.0)
    kappa, w, radius = rng.uniform(0.01, 0.5), rng.uniform(-1.0, 1.0, periods + 1), rng.uniform(3.0, 10.0)
    price = cp.Parameter(periods, name="price")
    u, c, e, x = cp.Variable(periods), cp.Variable(periods), cp.Variable(periods), cp.Variable(periods + 1)
    cost = -(a @ u - 0.5 * b * cp.sum_squares(u)) + kappa * cp.sum_squares(c + e) + w @ x
    constraints = [u >= 0, u <= 30, c >= 0, e >= 0, c <= 8, e <= 8, x >= 0, x <= cap, x[0] == x0,
                   x[1:] == x[:-1] + eta * c - e / eta, cp.norm(c - e, 2) <= radius]
    net = u + c - e
    follower = Follower("prosumer", cp.Minimize(cost + price @ net), constraints, {"price": price}, {"demand": net})
    return follower, price, cp.Problem(cp.Minimize(cost + price @ net), constraints)


@pytest.mark.parametrize("seed", range(4))
def test_canonical_objective_equals_cvxpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    periods = int(rng.integers(2, 7))
    follower, price, problem = random_prosumer(rng, periods)
    for _ in range(3):
        p = rng.uniform(-20.0, 100.0, periods)
        response = follower.respond({"price": p})
        price.value = p
        expected = problem.solve(solver=cp.CLARABEL)
        assert problem.status == cp.OPTIMAL
        assert response.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
        # and the same value through the pool (compiled copy in the pool's program list)
        game = Game(Leader([Signal("price", (periods,), -20.0, 100.0)],
                           couplings=[MarketCoupling("balance", "price", "demand")]), [follower])
        pooled = FollowerPool(game).respond(p)[0]
        assert pooled.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)


def _leak_guard_after_caching() -> int:
    """In a loky worker: store an (empty) pool entry the way a first call does, then report the
    worker's memory-leak guard."""
    from joblib.externals.loky import process_executor

    from gamecore.pool import _cached_shards

    _cached_shards("leak-guard-probe", ([], []))
    return int(process_executor._MAX_MEMORY_LEAK_SIZE)


def test_worker_cache_is_not_mistaken_for_a_memory_leak() -> None:
    """loky restarts a worker that grew 300 MB since its first task; a worker caching a large
    game's programs grows that much by design, and a restarted worker would need every program
    shipped again on every call. Caching raises the guard to gamecore's memory limit."""
    from joblib import Parallel, delayed

    from gamecore.limits import memory_limit_bytes

    guards = Parallel(n_jobs=2, backend="loky")(delayed(_leak_guard_after_caching)() for _ in range(4))
    assert min(guards) >= memory_limit_bytes() > int(3e8)
