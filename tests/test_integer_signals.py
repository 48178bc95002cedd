"""Integer and binary leader signals: validation, the exact mixed-integer ``kkt``, refusals, certificate.

Two small Stackelberg games whose optimum is found by brute-force enumeration of the
integer values, each value's continuous rest solved in closed form (independently of every
strategy):

* ``tariff``: a monopolist sets an integer price p_t ∈ {1..12} per period (declared box
  [0.5, 12.7], rounded inward) for two quadratic-utility consumers
  ``min −(a_it d − ½ b_i d²) + p_t d, 0 ≤ d ≤ 20`` and maximises ``Σ_t (p_t − c_t) Σ_i d_it``.
  Responses ``d = clip((a − p)/b, 0, 20)``; enumeration over the 144 price pairs.
  The continuous optimum p = (5.47, 7.32) is not integral.
* ``expansion``: a continuous price p_t ∈ [0, 12] and a binary ``expand`` u that raises the
  consumers' capacity ``d_i ≤ cap_i + e_i u`` (u in the followers' constraints) at a fixed
  cost K u. For each u the best price per period is exact: the profit is piecewise
  quadratic in p (kinks where a consumer drops out or saturates) and each piece is concave,
  so its maximum is at a kink or at a piece's stationary point. The relaxed u ∈ [0, 1]
  does better at u ≈ 0.63.
"""

from __future__ import annotations

import itertools

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Bilinear, Follower, Game, GameDefinitionError, Leader, LeaderObjective, MarketCoupling, Signal
from gamecore.bounds import leader_bound, mccormick_bound
from gamecore.certificate import INTEGRALITY_TOL, certify, required_measures
from gamecore.errors import StrategyError
from gamecore.registry import available_strategies
from gamecore.signals import SignalLayout
from strategies.kkt import KKT

# ------------------------------------------------------------------------------- data
A = np.array([[10.0, 13.0], [8.0, 11.0]])      # willingness to pay a_it, $/MWh
B = np.array([1.0, 2.0])                       # b_i, $/MWh²
C = np.array([1.6, 2.3])                       # leader's marginal cost c_t, $/MWh
DMAX = 20.0                                    # tariff game: never binding
CAP = np.array([3.0, 2.0])                     # expansion game: capacity without expansion, MWh
E = np.array([4.0, 3.0])                       # capacity added by the expansion, MWh
K = 2.0                                        # cost of the expansion, $
PMAX = 12.0


def _consumer(i: int, signals: dict[str, cp.Parameter], cap: cp.Expression | float) -> Follower:
    d = cp.Variable(2, name=f"d{i}")
    objective = cp.Minimize(-(A[i] @ d - 0.5 * B[i] * cp.sum_squares(d)) + signals["price"] @ d)
    return Follower(f"consumer{i}", objective, [d >= 0, d <= cap], signals, {"demand": d})


def tariff_game(integer: bool = True) -> Game:
    followers = []
    for i in range(2):
        price = cp.Parameter(2, name="price")
        followers.append(_consumer(i, {"price": price}, DMAX))
    profit = LeaderObjective("profit", bilinear=(Bilinear("price", "demand"),),
                             cost=lambda s, agg: -C @ agg["demand"], sense="max")
    leader = Leader([Signal("price", (2,), 0.5, 12.7, unit="$/MWh", integer=integer)], objectives=[profit])
    return Game(leader, followers, name="tariff")


def expansion_game(integer: bool = True) -> Game:
    followers = []
    for i in range(2):
        price, expand = cp.Parameter(2, name="price"), cp.Parameter(1, name="expand")
        followers.append(_consumer(i, {"price": price, "expand": expand}, CAP[i] + E[i] * expand))
    profit = LeaderObjective("profit", bilinear=(Bilinear("price", "demand"),),
                             cost=lambda s, agg: -C @ agg["demand"] - K * cp.sum(s["expand"]), sense="max")
    expand = Signal.binary("expand", 1) if integer else Signal("expand", (1,), 0.0, 1.0)
    leader = Leader([Signal("price", (2,), 0.0, PMAX, unit="$/MWh"), expand], objectives=[profit])
    return Game(leader, followers, name="expansion")


def demand(price: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Closed-form responses d_it = clip((a_it − p_t)/b_i, 0, cap_i), shape (2 consumers, T)."""
    return np.clip((A - np.asarray(price)[None, :]) / B[:, None], 0.0, np.asarray(cap)[:, None])


def tariff_optimum() -> tuple[float, np.ndarray]:
    """Enumerate p ∈ {1..12}²: the leader's best profit and prices."""
    best = (-np.inf, np.zeros(2))
    for p in itertools.product(range(1, 13), repeat=2):
        price = np.array(p, dtype=float)
        profit = float(np.sum((price - C) * demand(price, np.full(2, DMAX)).sum(axis=0)))
        best = max(best, (profit, price), key=lambda t: t[0])
    return best


def best_price(t: int, cap: np.ndarray) -> tuple[float, float]:
    """Exact max over p ∈ [0, PMAX] of (p − c_t) Σ_i clip((a_it − p)/b_i, 0, cap_i): (profit, price)."""
    kinks = sorted({float(np.clip(k, 0.0, PMAX)) for k in [0.0, PMAX, *A[:, t], *(A[:, t] - B * cap)]})
    candidates = list(kinks)
    for lo, hi in zip(kinks[:-1], kinks[1:]):
        mid = 0.5 * (lo + hi)
        interior = (A[:, t] - B * cap < mid) & (mid < A[:, t])
        saturated = mid <= A[:, t] - B * cap
        alpha = np.sum(A[interior, t] / B[interior]) + np.sum(cap[saturated])
        beta = np.sum(1.0 / B[interior])
        if beta > 0:                      # (p − c)(α − βp) is concave on the piece
            candidates.append(float(np.clip(0.5 * (alpha / beta + C[t]), lo, hi)))

    def profit(p: float) -> float:
        return (p - C[t]) * float(np.clip((A[:, t] - p) / B, 0.0, cap).sum())

    return max(((profit(p), p) for p in candidates), key=lambda v: v[0])


def expansion_optimum() -> tuple[float, np.ndarray, float]:
    """Enumerate u ∈ {0, 1}, the prices exact per u: (profit, prices, u)."""
    best = (-np.inf, np.zeros(2), 0.0)
    for u in (0.0, 1.0):
        per_period = [best_price(t, CAP + E * u) for t in range(2)]
        value = sum(v for v, _ in per_period) - K * u
        if value > best[0]:
            best = (value, np.array([p for _, p in per_period]), u)
    return best


# ------------------------------------------------------------------------ (a) validation
def test_integer_signal_bounds_are_rounded_inward() -> None:
    sig = Signal("n", (3,), [0.5, -2.0, 2.9999999999], [6.7, 1.0, 4.0000000001], integer=True)
    assert sig.integer
    np.testing.assert_array_equal(sig.lower_array, [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(sig.upper_array, [6.0, 1.0, 4.0])
    continuous = Signal("x", (1,), 0.5, 6.7)
    assert continuous.lower_array[0] == 0.5 and continuous.upper_array[0] == 6.7 and not continuous.integer


@pytest.mark.parametrize("lower, upper, field", [
    (-np.inf, 3.0, "lower"), (0.0, np.inf, "upper"), ([0.0, -np.inf], 3.0, "lower"),
])
def test_integer_signal_needs_finite_bounds(lower: object, upper: object, field: str) -> None:
    with pytest.raises(GameDefinitionError, match=rf"signals\['n'\]\.{field}.*integer signal needs finite"):
        Signal("n", (2,), lower, upper, integer=True)


def test_integer_signal_with_empty_range_is_refused() -> None:
    with pytest.raises(GameDefinitionError, match=r"signals\['n'\]\.lower.*no integer between.*index 1"):
        Signal("n", (2,), [0.0, 0.2], [1.0, 0.8], integer=True)
    Signal("n", (1,), 0.2, 1.0, integer=True)       # {1}: one integer is enough


def test_integer_flag_must_be_a_bool() -> None:
    with pytest.raises(GameDefinitionError, match=r"signals\['n'\]\.integer"):
        Signal("n", (1,), 0.0, 1.0, integer="yes")  # type: ignore[arg-type]


def test_binary_constructor() -> None:
    sig = Signal.binary("switch", (2, 3), unit="-")
    assert sig.integer and sig.shape == (2, 3) and sig.unit == "-"
    assert (sig.lower_array == 0.0).all() and (sig.upper_array == 1.0).all()
    assert Signal.binary("u", 4).shape == (4,)


def test_layout_rounds_and_measures_integrality() -> None:
    layout = SignalLayout([Signal("p", (2,), 0.0, 10.0), Signal("n", (2,), 0, 9, integer=True), Signal.binary("u", 1)])
    np.testing.assert_array_equal(layout.integer_mask(), [False, False, True, True, True])
    vector = np.array([0.4, 1.6, 2.4, 7.0, 0.9])
    np.testing.assert_array_equal(layout.round_integers(vector), [0.4, 1.6, 2.0, 7.0, 1.0])
    off = layout.non_integrality(vector)
    assert set(off) == {"n", "u"}
    assert off["n"] == pytest.approx(0.4) and off["u"] == pytest.approx(0.1)


def test_integer_coupling_price_is_refused() -> None:
    balance = MarketCoupling("balance", "price", "demand")
    with pytest.raises(GameDefinitionError, match=r"couplings\['balance'\]\.signal.*'price' is an integer signal"):
        Leader([Signal("price", (2,), 0.0, 10.0, integer=True)], couplings=[balance])
    with pytest.raises(GameDefinitionError, match=r"couplings\['balance'\]\.signal.*must be continuous"):
        Leader([Signal.binary("price", 2)], couplings=[balance])
    # a leader whose couplings were changed after construction: the game refuses it
    price = cp.Parameter(2, name="price")
    d = cp.Variable(2)
    consumer = Follower("c", cp.Minimize(cp.sum_squares(d) - cp.sum(d) + price @ d), [d >= 0],
                        {"price": price}, {"demand": d})
    leader = Leader([Signal("price", (2,), 0.0, 10.0, integer=True)])
    leader.couplings.append(balance)
    with pytest.raises(GameDefinitionError, match=r"couplings\['balance'\]\.signal.*'price'"):
        Game(leader, [consumer])


# -------------------------------------------------------------- (b) exact mixed-integer kkt
def test_enumerated_optima_are_not_those_of_the_relaxation() -> None:
    """Sanity of the test data: the relaxed optima are strictly better than the integer ones."""
    value, prices = tariff_optimum()
    assert value == pytest.approx(59.7) and list(prices) == [5.0, 7.0]
    relaxed = sum(best_price(t, np.full(2, DMAX))[0] for t in range(2))
    assert relaxed > value + 0.4
    value, prices, u = expansion_optimum()
    assert u == 1.0
    relaxed = max(sum(best_price(t, CAP + E * v)[0] for t in range(2)) - K * v for v in np.linspace(0, 1, 101))
    assert relaxed > value + 0.5


def test_kkt_solves_the_integer_tariff_game_exactly() -> None:
    value, prices = tariff_optimum()
    result = gamecore.solve(tariff_game(), "kkt", progress=False)
    assert result.status == "converged", result.message
    assert result.certificate.certified, result.certificate.failures()
    np.testing.assert_array_equal(result.signals["price"], prices)          # exactly integral
    assert result.objective == pytest.approx(-value, abs=1e-6)
    assert result.extra["kkt_objective"] == pytest.approx(-value, abs=1e-6)
    assert result.certificate.leader_violation == 0.0 and result.certificate.integrality_violations == {"price": 0.0}
    relaxed = gamecore.solve(tariff_game(integer=False), "kkt", progress=False)
    assert relaxed.status == "converged"
    assert relaxed.objective < -value - 0.4                # ignoring integrality would fail the test above
    assert np.abs(relaxed.signals["price"] - np.rint(relaxed.signals["price"])).max() > 0.1


def test_kkt_solves_the_binary_expansion_game_exactly() -> None:
    """A binary in the followers' constraints, a continuous price: kkt keeps the products σ·x
    (spatial branch and bound) and reports the optimistic selection at its signals; that
    selection's rows allow the followers a relative 1e-7 (FACE_TOL), so the reported objective
    is compared relatively, SCIP's own objective absolutely."""
    value, prices, u = expansion_optimum()
    result = gamecore.solve(expansion_game(), "kkt", progress=False)
    assert result.status == "converged", result.message
    assert result.certificate.certified, result.certificate.failures()
    assert result.signals["expand"][0] == u
    np.testing.assert_allclose(result.signals["price"], prices, atol=1e-3)  # a flat optimum
    assert result.extra["kkt_objective"] == pytest.approx(-value, abs=1e-6)
    assert result.objective == pytest.approx(-value, rel=1e-6)
    relaxed = gamecore.solve(expansion_game(integer=False), "kkt", progress=False)
    assert relaxed.status == "converged"
    assert relaxed.objective < -value - 0.5
    assert 0.05 < relaxed.signals["expand"][0] < 0.95


@pytest.mark.parametrize("game_name", ["tariff", "expansion"])
def test_nsga_qp_reaches_the_enumerated_integer_optimum(game_name: str) -> None:
    """nsga-qp rounds integer entries (a repair) and evaluates rounded points: on both games it
    reaches the brute-force optimum, with exactly integral signals and a certified answer."""
    if game_name == "tariff":
        (value, prices), game = tariff_optimum(), tariff_game()
    else:
        value, prices, u = expansion_optimum()
        game = expansion_game()
    result = gamecore.solve(game, "nsga-qp", progress=False, seed=1)
    assert result.status == "converged", result.message
    assert result.certificate.certified, result.certificate.failures()
    assert result.certificate.integrality_violations and max(result.certificate.integrality_violations.values()) == 0
    assert result.objective == pytest.approx(-value, rel=1e-5)
    if game_name == "tariff":
        np.testing.assert_array_equal(result.signals["price"], prices)
    else:
        assert result.signals["expand"][0] == u
        np.testing.assert_allclose(result.signals["price"], prices, atol=1e-2)


def test_leader_bounds_with_integer_signals() -> None:
    """The certificate's kkt bound keeps integrality (= the integer optimum, above the relaxed
    one); the McCormick bound relaxes it and stays valid (below the integer optimum)."""
    value, _ = tariff_optimum()
    game = tariff_game()
    bound = leader_bound(game, None)
    assert bound is not None and bound.source.startswith("kkt")
    assert bound.value == pytest.approx(-value, abs=1e-5)
    relaxed_value = -sum(best_price(t, np.full(2, DMAX))[0] for t in range(2))
    assert bound.value > relaxed_value + 0.4
    weak = mccormick_bound(game)
    assert weak is not None and weak.value <= -value + 1e-6


# ---------------------------------------------------------------- (c) refusals
def _market_game_with_binary() -> Game:
    """A pure-exchange market (continuous price) whose leader also sets a binary signal."""
    followers = []
    for i, (a, sign) in enumerate([(30.0, 1.0), (10.0, -1.0)]):
        price = cp.Parameter(1, name="price")
        q = cp.Variable(1)
        objective = cp.Minimize(-a * sign * cp.sum(q) + 0.5 * cp.sum_squares(q) + sign * price @ q)
        followers.append(Follower(f"trader{i}", objective, [q >= 0, q <= 50], {"price": price},
                                  {"net": sign * q}))
    leader = Leader([Signal("price", (1,), 0.0, 100.0), Signal.binary("switch", 1)],
                    couplings=[MarketCoupling("balance", "price", "net")], name="market")
    return Game(leader, followers, name="market-with-switch")


def _continuous_strategies() -> list[str]:
    return sorted(name for name, cls in available_strategies(aliases=False).items() if not cls.integer_signals)


@pytest.mark.parametrize("name", _continuous_strategies())
def test_strategies_without_integer_support_refuse(name: str) -> None:
    cls = available_strategies(aliases=False)[name]
    game = tariff_game() if cls.targets("stackelberg") else _market_game_with_binary()
    strategy = cls()
    with pytest.raises(StrategyError, match=r"integer signals \['(price|switch)'\]"):
        strategy.check(game)
    with pytest.raises(StrategyError, match="integer"):
        gamecore.solve(game, name, progress=False)


def test_kkt_accepts_integer_signals() -> None:
    assert KKT.integer_signals
    KKT().check(tariff_game())


# ---------------------------------------------------------------- (d) certificate
def test_certificate_fails_a_non_integral_signal_and_names_it() -> None:
    game = tariff_game()
    vector = np.array([5.3, 7.0])
    signals = game.layout.unpack(vector)
    best = [f.respond({"price": signals["price"]}) for f in game.followers]
    cert = certify(game, vector, best, best)
    assert "leader_violation" in cert.required and "leader_violation" in required_measures(game, "stackelberg")
    assert cert.integrality_violations["price"] == pytest.approx(0.3)
    assert cert.leader_violation == pytest.approx(0.3)
    assert not cert.feasible and not cert.certified
    problems = " ".join(cert.failures())
    assert "integer signal 'price' not integral" in problems
    # just above the integrality tolerance, well below leader_violation's own: still a failure
    vector = np.array([5.0 + 3 * INTEGRALITY_TOL, 7.0])
    cert = certify(game, vector, best, best)
    assert any("'price' not integral" in p for p in cert.failures(measures=["leader_violation"]))
    assert not cert.feasible
    # integral: the measure is computed and passes
    vector = np.array([5.0, 7.0])
    best = [f.respond({"price": vector}) for f in game.followers]
    cert = certify(game, vector, best, best)
    assert cert.leader_violation == 0.0 and not cert.failures(measures=["leader_violation"])


def test_driver_does_not_converge_on_a_non_integral_answer() -> None:
    """A strategy that reports a fractional integer signal: not converged, the message names it."""

    class FractionalKKT(KKT):
        def run(self, ctx):  # type: ignore[no-untyped-def]
            outcome = super().run(ctx)
            outcome.signal_vector = outcome.signal_vector + np.array([0.3, 0.0])
            outcome.responses = None
            return outcome

    result = FractionalKKT().solve(tariff_game(), progress=False)
    assert result.status != "converged"
    assert "integer signal 'price' not integral" in result.message
    assert not result.certificate.feasible and result.gap_to_reference is None


def test_market_certificate_checks_integer_side_signals() -> None:
    """A market game whose leader also sets a binary: integrality is required under the market
    notion too, and a fractional value makes the point infeasible."""
    game = _market_game_with_binary()
    assert "leader_violation" in required_measures(game, "market")
    for switch, ok in ((1.0, True), (0.5, False)):
        vector = np.array([20.0, switch])
        best = [f.respond({"price": vector[:1]}) for f in game.followers]
        cert = certify(game, vector, best, best, notion="market")
        assert cert.integrality_violations == {"switch": pytest.approx(abs(switch - round(switch)))}
        assert (not cert.failures(measures=["leader_violation"])) == ok
        if not ok:
            assert not cert.feasible and "integer signal 'switch' not integral" in " ".join(cert.failures())


def test_unchecked_integrality_is_not_a_pass() -> None:
    """A certificate whose leader_violation was never computed lists it as unchecked."""
    from gamecore.certificate import Certificate

    game = tariff_game()
    cert = Certificate(required=required_measures(game, "stackelberg"), notion="stackelberg")
    assert "leader_violation" in cert.unchecked and not cert.feasible
