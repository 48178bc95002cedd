"""The energy seller (ES), the leader of ``cies``: its prices, constraints and two objectives.

The ES announces four hourly prices: ``price_es`` / ``price_hs`` — electricity and heat sold to
the load aggregators — and ``price_eb`` / ``price_hb`` — bought from the CCHP operators. It
buys everything the operators offer and sells what the aggregators ask; the imbalance
``d_t = E^ue_t − E^oe_t`` (MWh) is bought from the grid at the TOU tariff or fed in at the FIT.
Per period (MWh, kCNY, t; seed 004's F_es)::

    revenue  = Σ_t price_es_t·E^ue_t + price_hs_t·H^uh_t                     sales      (bilinear)
             − Σ_t price_eb_t·E^oe_t + price_hb_t·H^oh_t                     purchases  (bilinear)
             − Σ_t max(TOU_t·d_t, FIT_t·d_t)                                 grid (convex: TOU ≥ FIT)
             − δ_p·Σ_t max(H^uh_t − H^oh_t, 0)                               unserved heat
             − C_tc((μ_e,r − μ_e,q)·Σ_t max(d_t, 0))                         carbon on grid imports
    emissions = Σ_t co2_t + μ_e,r·Σ_t max(d_t, 0)                            CCHP gas + grid coal (t)

Objectives: ``revenue`` (maximised) and ``emissions`` (minimised) — the paper's NSGA-QP trades
them off. Constraints: every price in its box (TOU/FIT envelope for electricity, [0.3, 0.8]
for heat) and the mean selling prices capped (:class:`~gamecore.cases.cies.data.MarketData`).
:func:`seller_terms` writes every quantity once; the objectives, the centralized schedule and
the accounting (:mod:`gamecore.cases.cies.analysis`) read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from gamecore.cases.cies.cchp import carbon_cost
from gamecore.cases.cies.data import CIESData
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.signals import Signal

#: the four price signals (kCNY/MWh, ``(T,)``)
PRICES = ("price_es", "price_hs", "price_eb", "price_hb")
#: what the ES's sales and purchases price: (signal, follower output, sign in the revenue)
TRADES = (("price_es", "elec_demand", 1.0), ("price_hs", "heat_demand", 1.0),
          ("price_eb", "elec_supply", -1.0), ("price_hb", "heat_supply", -1.0))


@dataclass
class SellerTerms:
    """The ES's non-price quantities as cvxpy expressions of the aggregated outputs (kCNY, t, MWh)."""

    imbalance: cp.Expression     # (T,) d_t = E^ue − E^oe, MWh (> 0: bought from the grid)
    grid_import: cp.Expression   # (T,) max(d_t, 0), MWh
    grid_cost: cp.Expression     # purchases − feed-in revenue
    shortfall: cp.Expression     # penalty for unserved heat
    carbon_excess: cp.Expression  # (μ_e,r − μ_e,q)·Σ imports, t (≥ 0)
    carbon_cost: cp.Expression
    emissions: cp.Expression     # community CO₂, t

    @property
    def cost(self) -> cp.Expression:
        """Grid + shortfall + carbon (kCNY): what the revenue subtracts from the trade margin."""
        return self.grid_cost + self.shortfall + self.carbon_cost


def seller_terms(data: CIESData, agg: Mapping[str, cp.Expression]) -> SellerTerms:
    """Every ES quantity of the module docstring from the aggregated outputs (expressions or constants)."""
    market = data.market
    d = agg["elec_demand"] - agg["elec_supply"]
    imports = cp.pos(d)
    shortfall = market.shortfall_penalty * cp.sum(cp.pos(agg["heat_demand"] - agg["heat_supply"]))
    excess = (market.grid_emission - market.quota_elec) * cp.sum(imports)
    return SellerTerms(
        imbalance=d, grid_import=imports,
        grid_cost=cp.sum(cp.maximum(cp.multiply(data.tou, d), cp.multiply(data.fit, d))),
        shortfall=shortfall, carbon_excess=excess, carbon_cost=carbon_cost(market, data.scenario.carbon, excess),
        emissions=cp.sum(agg["co2"]) + market.grid_emission * cp.sum(imports))


def seller_signals(data: CIESData) -> list[Signal]:
    """The four prices with their boxes (module docstring)."""
    T = data.periods
    lo_h, hi_h = data.market.heat_price
    return [Signal("price_es", (T,), data.fit, data.tou, unit="kCNY/MWh"),
            Signal("price_hs", (T,), lo_h, hi_h, unit="kCNY/MWh"),
            Signal("price_eb", (T,), data.fit, data.tou, unit="kCNY/MWh"),
            Signal("price_hb", (T,), lo_h, hi_h, unit="kCNY/MWh")]


def seller_constraints(data: CIESData, signals: Mapping[str, cp.Expression]) -> list[cp.Constraint]:
    """Mean selling-price caps (module docstring)."""
    T, market = data.periods, data.market
    return [cp.sum(signals["price_es"]) <= market.mean_price_e * T,
            cp.sum(signals["price_hs"]) <= market.mean_price_h * T]


def revenue_objective(data: CIESData) -> LeaderObjective:
    """The ES's revenue (maximised; module docstring)."""
    return LeaderObjective("revenue", bilinear=tuple(Bilinear(s, o, w) for s, o, w in TRADES),
                           cost=lambda sig, agg: -seller_terms(data, agg).cost, sense="max")


def emissions_objective(data: CIESData) -> LeaderObjective:
    """The community's emissions (t, minimised; module docstring)."""
    return LeaderObjective("emissions", cost=lambda sig, agg: seller_terms(data, agg).emissions, sense="min")


#: the leader's objectives a case may be built with (``objectives`` case parameter)
OBJECTIVE_SETS = ("both", "revenue", "emissions")


def seller_leader(data: CIESData, objectives: str = "both") -> Leader:
    """The ES as the game's leader with ``objectives``: ``"both"`` (revenue, emissions), or one of them."""
    chosen = {"both": [revenue_objective(data), emissions_objective(data)], "revenue": [revenue_objective(data)],
              "emissions": [emissions_objective(data)]}[objectives]
    return Leader(seller_signals(data), objectives=chosen, name="ES",
                  constraints=lambda sig, agg: seller_constraints(data, sig))


def trade_values(signals: Mapping[str, np.ndarray], agg: Mapping[str, np.ndarray]) -> tuple[float, float]:
    """``(sales, purchases)`` (kCNY) of :data:`TRADES` at price values and aggregated outputs: the
    revenue is ``sales − purchases − cost`` (:func:`seller_numbers`)."""
    values = [(w, float(np.asarray(signals[s]) @ np.asarray(agg[o]))) for s, o, w in TRADES]
    return sum(v for w, v in values if w > 0), sum(v for w, v in values if w < 0)


def seller_numbers(data: CIESData, agg: Mapping[str, np.ndarray]) -> dict[str, np.ndarray | float]:
    """:class:`SellerTerms` evaluated at aggregated outputs (kCNY, t, MWh)."""
    terms = seller_terms(data, {k: cp.Constant(np.asarray(v, dtype=float)) for k, v in agg.items()})
    out: dict[str, np.ndarray | float] = {}
    for name in ("imbalance", "grid_import"):
        out[name] = np.asarray(getattr(terms, name).value, dtype=float)
    for name in ("grid_cost", "shortfall", "carbon_excess", "carbon_cost", "emissions", "cost"):
        out[name] = float(np.asarray(getattr(terms, name).value))
    return out
