"""A two-carrier market (electricity and heat) with a closed-form equilibrium, shared by
tests/test_two_carriers.py and the property tests (tests/test_properties.py).

Hub ``i`` buys electricity ``e`` and heat ``h`` (MWh per period) with the concave utility
``a_i·x − ½ xᵀ Q_i x`` per period, ``x = (e, h)``, ``Q_i = [[b_e, r], [r, b_h]]`` (``r`` is a
cross-elasticity: ``r > 0`` substitutes, e.g. a heat pump, ``r < 0`` complements), and pays
``p_e·e + p_h·h``. Each carrier ``k`` has its own supply ``s_k`` with cost
``c_k·s + ½ m_k s²`` and ``s ≥ 0``, cleared by its own coupling (``Σ_i e_i = s_e`` priced by
``elec_price``, ``Σ_i h_i = s_h`` priced by ``heat_price``).

Closed form when every demand and supply is interior, per period ``t``:
``x_i = Q_i⁻¹ (a_it − p_t)`` and ``s = M⁻¹ (p_t − c)`` with ``M = diag(m)``; clearing
``Σ_i x_i = s`` gives ``(Σ_i Q_i⁻¹ + M⁻¹) p_t = Σ_i Q_i⁻¹ a_it + M⁻¹ c`` (a 2×2 system per
period; the cross terms make the two prices depend on each other).

Units: prices in $/MWh, quantities in MWh.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from gamecore import Follower, Game, Leader, MarketCoupling, Signal

CARRIERS = ("elec", "heat")
#: demand bounds of every hub (MWh per period) and the price box of both carriers ($/MWh)
DEMAND_MAX = 100.0
PRICE_MAX = 200.0


@dataclass(frozen=True)
class TwoCarrier:
    """Data: ``a`` (n, 2, T) willingness, ``b`` (n, 2) own slopes, ``r`` (n,) cross terms with
    ``|r_i| < min(b_i)`` (so ``Q_i`` is positive definite), ``c`` (2,) and ``m`` (2,) supply costs."""

    a: np.ndarray
    b: np.ndarray
    r: np.ndarray
    c: np.ndarray
    m: np.ndarray

    @property
    def n(self) -> int:
        return int(self.a.shape[0])

    @property
    def periods(self) -> int:
        return int(self.a.shape[2])

    def closed_form(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Interior equilibrium: prices ``(2, T)``, demands ``(n, 2, T)``, supplies ``(2, T)``."""
        q_inv = [np.linalg.inv(np.array([[self.b[i, 0], self.r[i]], [self.r[i], self.b[i, 1]]]))
                 for i in range(self.n)]
        m_inv = np.diag(1.0 / self.m)
        lhs = sum(q_inv) + m_inv
        prices = np.empty((2, self.periods))
        for t in range(self.periods):
            rhs = sum(q @ self.a[i, :, t] for i, q in enumerate(q_inv)) + m_inv @ self.c
            prices[:, t] = np.linalg.solve(lhs, rhs)
        demands = np.stack([q @ (self.a[i] - prices) for i, q in enumerate(q_inv)])
        supplies = m_inv @ (prices - self.c[:, None])
        return prices, demands, supplies

    def interior(self) -> bool:
        """Whether the closed form is the equilibrium (every bound slack, prices inside the box)."""
        prices, demands, supplies = self.closed_form()
        return bool(np.all(demands > 1e-3) and np.all(demands < DEMAND_MAX - 1e-3) and np.all(supplies > 1e-3)
                    and np.all(prices > 0.0) and np.all(prices < PRICE_MAX))


def random_data(n: int = 3, periods: int = 2, seed: int = 0) -> TwoCarrier:
    rng = np.random.default_rng(seed)
    b = rng.uniform(2.0, 3.0, (n, 2))
    return TwoCarrier(a=rng.uniform(60.0, 90.0, (n, 2, periods)), b=b, r=rng.uniform(-0.8, 0.8, n),
                      c=np.array([10.0, 6.0]), m=np.array([0.5, 0.8]))


def hub(name: str, a: np.ndarray, b: np.ndarray, r: float) -> Follower:
    """Hub with willingness ``a`` (2, T), own slopes ``b`` (2,) and cross term ``r``."""
    periods = a.shape[1]
    p_e, p_h = cp.Parameter(periods, name="elec_price"), cp.Parameter(periods, name="heat_price")
    e, h = cp.Variable(periods, name=f"{name}_e"), cp.Variable(periods, name=f"{name}_h")
    # ½ xᵀQx = ½(b_e − |r|)‖e‖² + ½(b_h − |r|)‖h‖² + ½|r|‖e + sign(r)·h‖²  (DCP form)
    quad = (0.5 * (b[0] - abs(r)) * cp.sum_squares(e) + 0.5 * (b[1] - abs(r)) * cp.sum_squares(h)
            + 0.5 * abs(r) * cp.sum_squares(e + np.sign(r) * h))
    objective = cp.Minimize(-(a[0] @ e + a[1] @ h) + quad + p_e @ e + p_h @ h)
    return Follower(name, objective, [e >= 0, e <= DEMAND_MAX, h >= 0, h <= DEMAND_MAX],
                    signals={"elec_price": p_e, "heat_price": p_h}, outputs={"elec": e, "heat": h})


def couplings(data: TwoCarrier) -> list[MarketCoupling]:
    out = []
    for k, carrier in enumerate(CARRIERS):
        c, m = float(data.c[k]), float(data.m[k])
        out.append(MarketCoupling(f"{carrier}_balance", f"{carrier}_price", carrier,
                                  supply_cost=lambda s, c=c, m=m: c * cp.sum(s) + 0.5 * m * cp.sum_squares(s),
                                  supply_constraints=lambda s: [s >= 0]))
    return out


def signals(data: TwoCarrier) -> list[Signal]:
    return [Signal(f"{k}_price", (data.periods,), 0.0, PRICE_MAX, unit="$/MWh") for k in CARRIERS]


def hubs(data: TwoCarrier) -> list[Follower]:
    return [hub(f"hub{i}", data.a[i], data.b[i], float(data.r[i])) for i in range(data.n)]


def build_game(data: TwoCarrier, name: str = "two-carrier") -> Game:
    """The two-carrier market: two signals, two couplings, each with its own supply."""
    return Game(Leader(signals(data), couplings=couplings(data), name="operator"), hubs(data), name=name)
