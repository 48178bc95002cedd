"""Carbon capture (CCS) coupled with power-to-gas (electrolysis + methanation) as a cvxpy block.

Units: electric and gas flows in kW (gas at its LHV), CO₂ in kg **per period** (a period
lasts ``dt`` hours), CO₂ rates in kg/h, energy penalty in kWh per kg of CO₂.

Seed 001 (RIES with P2G-CCS) lost its equations in extraction; the model below is the standard
P2G-CCS form of the literature it cites (e.g. He et al., Appl. Energy 224 (2018) 357 and
Liu et al., Energies 17 (2024) 3414)::

    captured[t] ≤ rate_max · gross[t]                       capture-rate bound
    captured[t] ≤ capture_max · dt                          processing capacity (optional)
    P_ccs[t]    = P_base + ω · captured[t]/dt               energy penalty (kW)
    H2[t]       = η_el · P_el[t],   0 ≤ P_el ≤ p_max         electrolysis (kW of H2 LHV)
    CH4[t]      = η_mr · H2[t]                              methanation (kW of CH4 LHV)
    used[t]     = κ · CH4[t] · dt                           CO₂ consumed by methanation (kg)

and the CO₂ mass balance, per period (kg)::

    captured[t] = direct[t] + store_in[t]·dt + sequestered[t]     every captured kg goes somewhere
    used[t]     = direct[t] + store_out[t]·dt                      so  used ≤ captured + withdrawal
    net[t]      = gross[t] − captured[t]                          emitted to the atmosphere

``κ`` is the stoichiometric CO₂ demand of the Sabatier reaction CO₂ + 4H₂ → CH₄ + 2H₂O:
44.01 g of CO₂ per mol of CH₄ whose LHV is 802.3 kJ/mol, i.e. ``κ = 0.1975 kg/kWh``
(:data:`CO2_PER_KWH_CH4`). ``η_mr ≤ 0.83`` (LHV ratio 802.3/(4·241.8)).

Accounting: the CO₂ bound in synthetic methane is emitted again where that gas is burnt; if
it is burnt inside the system, the burning unit's gross emissions count it (so the net
emission stays ``gross − captured`` without double counting); captured CO₂ is never vented:
it is used by methanation, buffered in the optional CO₂ store, or sequestered (capped by
``sequestration_max``, default 0 — no geological storage: capture is then limited to what
methanation and the store can take). The tank is a :class:`~gamecore.energy.storage.Storage`
in kg and kg/h (:func:`co2_store`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from gamecore.energy._common import (
    ArrayLike,
    check_fraction,
    check_horizon,
    check_nonnegative,
    check_operating_range,
    check_optional_nonnegative,
    check_positive,
    profile,
    ramp_constraints,
)
from gamecore.energy.storage import Storage, StorageModel, storage_model

#: CO₂ consumed per kWh (LHV) of methane produced by methanation: 44.01 g/mol / (802.3 kJ/mol / 3600).
CO2_PER_KWH_CH4 = 44.01e-3 / (802.3 / 3600.0)


@dataclass(frozen=True)
class CarbonCapture:
    """Post-combustion carbon capture of the flue gas of the connected units.

    Attributes:
        capture_rate_max: largest fraction of the gross CO₂ that can be captured, in [0, 1].
        capture_max: processing capacity (kg CO₂/h); ``None`` = only the rate bound.
        energy_per_kg: operating energy penalty ω (kWh of electricity per kg captured), ≥ 0;
            default 0.269 (literature values are about 0.2–0.3 kWh/kg).
        base_power: fixed power consumption P_base while the plant is available (kW), ≥ 0.
        dt: period length (h).
        name: label used in variable names and errors.
    """

    capture_rate_max: float = 0.9
    capture_max: float | None = None
    energy_per_kg: float = 0.269
    base_power: float = 0.0
    dt: float = 1.0
    name: str = "ccs"

    def __post_init__(self) -> None:
        kind = "CarbonCapture"
        check_fraction(kind, self.name, "capture_rate_max", self.capture_rate_max, open_low=False)
        check_optional_nonnegative(kind, self.name, "capture_max", self.capture_max, "kg/h")
        check_nonnegative(kind, self.name, "energy_per_kg", self.energy_per_kg, "kWh/kg")
        check_nonnegative(kind, self.name, "base_power", self.base_power, "kW")
        check_positive(kind, self.name, "dt", self.dt, "h")


@dataclass(frozen=True)
class PowerToGas:
    """Power-to-gas: electrolyser (electricity → H₂) followed by methanation (H₂ + CO₂ → CH₄).

    Attributes:
        p_max: electrolyser electric capacity (kW), > 0.
        eta_el: electrolysis efficiency (kW of H₂ LHV per kW electric), in (0, 1]; default 0.75.
        eta_mr: methanation efficiency (kW of CH₄ LHV per kW of H₂ LHV), in (0, 1]; default 0.8.
        co2_per_ch4: CO₂ consumed per kWh of CH₄ (kg/kWh), default the stoichiometric
            :data:`CO2_PER_KWH_CH4`.
        ramp_up, ramp_down: electrolyser ramp limits (kW/h); ``None`` = unlimited.
        dt: period length (h). name: label.
    """

    p_max: float
    eta_el: float = 0.75
    eta_mr: float = 0.8
    co2_per_ch4: float = CO2_PER_KWH_CH4
    ramp_up: float | None = None
    ramp_down: float | None = None
    dt: float = 1.0
    name: str = "p2g"

    def __post_init__(self) -> None:
        kind = "PowerToGas"
        check_operating_range(kind, self.name, 0.0, self.p_max, self.ramp_up, self.ramp_down, self.dt,
                              low_field="p_min")
        check_fraction(kind, self.name, "eta_el", self.eta_el)
        check_fraction(kind, self.name, "eta_mr", self.eta_mr)
        check_positive(kind, self.name, "co2_per_ch4", self.co2_per_ch4, "kg/kWh")

    @property
    def co2_per_kwh_el(self) -> float:
        """CO₂ absorbed per kWh of electrolyser electricity, ``κ·η_mr·η_el`` (kg/kWh)."""
        return self.co2_per_ch4 * self.eta_mr * self.eta_el


def co2_store(capacity: float, rate_max: float, *, init: float = 0.0, end: float | None = 0.0,
              dt: float = 1.0, name: str = "co2-store") -> Storage:
    """A CO₂ buffer tank as a lossless :class:`Storage`: ``capacity`` kg, in/out ``rate_max`` kg/h.

    ``init``/``end`` are fractions of the capacity (start, and end-of-day target; ``None`` = free).
    """
    return Storage(capacity, rate_max, rate_max, soc_min=0.0, soc_max=1.0, soc_init=init, soc_end=end,
                   eta_c=1.0, eta_d=1.0, dt=dt, name=name)


@dataclass
class P2GCCSModel:
    """cvxpy model of a P2G-CCS plant over ``T`` periods (see the module docstring).

    Attributes:
        captured: ``(T,)`` kg CO₂ captured per period (variable).
        electrolysis: ``(T,)`` kW electrolyser electricity (variable).
        direct: ``(T,)`` kg captured CO₂ sent straight to methanation (variable).
        sequestered: ``(T,)`` kg captured CO₂ sent to permanent storage (variable).
        store: the CO₂ tank's :class:`StorageModel` (kg, kg/h) or ``None``.
        gross_emissions: ``(T,)`` kg CO₂ of the connected units before capture.
        constraints: every constraint.
        p2g, ccs: the parameters.
    """

    captured: cp.Variable
    electrolysis: cp.Variable
    direct: cp.Variable
    sequestered: cp.Variable
    store: StorageModel | None
    gross_emissions: cp.Expression
    constraints: list[cp.Constraint]
    p2g: PowerToGas
    ccs: CarbonCapture

    @property
    def hydrogen(self) -> cp.Expression:
        """H₂ produced (kW of LHV), ``η_el·P_el``."""
        return self.p2g.eta_el * self.electrolysis

    @property
    def methane(self) -> cp.Expression:
        """Synthetic methane produced (kW of LHV), ``η_mr·η_el·P_el``: the plant's gas output."""
        return self.p2g.eta_mr * self.hydrogen

    @property
    def co2_used(self) -> cp.Expression:
        """CO₂ consumed by methanation per period (kg), ``κ·CH4·dt``."""
        return self.p2g.co2_per_ch4 * self.p2g.dt * self.methane

    @property
    def ccs_power(self) -> cp.Expression:
        """Electricity drawn by the capture plant (kW), ``P_base + ω·captured/dt``."""
        return self.ccs.base_power + self.ccs.energy_per_kg * self.captured / self.ccs.dt

    @property
    def power_in(self) -> cp.Expression:
        """Total electricity drawn (kW): electrolyser plus capture plant."""
        return self.electrolysis + self.ccs_power

    @property
    def net_emissions(self) -> cp.Expression:
        """CO₂ emitted to the atmosphere per period (kg), ``gross − captured``."""
        return self.gross_emissions - self.captured


def p2g_ccs_model(ccs: CarbonCapture, p2g: PowerToGas, gross_emissions: cp.Expression | ArrayLike,
                  horizon: int, store: Storage | None = None, sequestration_max: ArrayLike = 0.0,
                  initial_electrolysis: float | None = None, name: str = "p2g_ccs") -> P2GCCSModel:
    """Variables and constraints of a P2G-CCS plant over ``horizon`` periods.

    Args:
        ccs, p2g: the parameters (their ``dt`` must agree, and with ``store.dt``).
        gross_emissions: ``(T,)`` kg CO₂ per period of the units whose flue gas is treated —
            numbers, or an affine cvxpy expression (e.g. ``gt.emissions + coal.emissions``).
        horizon: number of periods T ≥ 1.
        store: optional CO₂ tank (kg, kg/h; see :func:`co2_store`).
        sequestration_max: permanent-storage capacity (kg CO₂/h), scalar or ``(T,)``; default 0.
        initial_electrolysis: electrolyser power before the horizon (kW), for its ramp limit.
        name: prefix of variable names.

    Raises:
        ValueError: naming the component and the field (horizon, mismatching ``dt``, shapes).
    """
    check_horizon("P2G-CCS", name, horizon)
    if not np.isclose(ccs.dt, p2g.dt) or (store is not None and not np.isclose(store.dt, p2g.dt)):
        raise ValueError(f"P2G-CCS '{name}': dt must agree (ccs {ccs.dt}, p2g {p2g.dt}"
                         f"{'' if store is None else f', store {store.dt}'}) h")
    dt = p2g.dt
    if isinstance(gross_emissions, cp.Expression):
        if gross_emissions.shape != (horizon,):
            raise ValueError(f"P2G-CCS '{name}': gross_emissions must have shape ({horizon},), "
                             f"got {gross_emissions.shape}")
        gross = gross_emissions
    else:
        gross_arr = profile("P2G-CCS", name, "gross_emissions", gross_emissions, horizon)
        if np.any(gross_arr < 0):
            raise ValueError(f"P2G-CCS '{name}': gross_emissions must be >= 0 kg")
        gross = cp.Constant(gross_arr)
    seq_max = profile("P2G-CCS", name, "sequestration_max", sequestration_max, horizon)
    if np.any(seq_max < 0):
        raise ValueError(f"P2G-CCS '{name}': sequestration_max must be >= 0 kg/h")

    captured = cp.Variable(horizon, name=f"{name}_captured", nonneg=True)
    p_el = cp.Variable(horizon, name=f"{name}_electrolysis", nonneg=True)
    direct = cp.Variable(horizon, name=f"{name}_direct", nonneg=True)
    sequestered = cp.Variable(horizon, name=f"{name}_sequestered", nonneg=True)
    tank = storage_model(store, horizon, name=f"{name}_{store.name}") if store is not None else None
    store_in = tank.charge * dt if tank is not None else 0.0
    store_out = tank.discharge * dt if tank is not None else 0.0
    model = P2GCCSModel(captured, p_el, direct, sequestered, tank, gross, [], p2g, ccs)
    cons: list[cp.Constraint] = [
        captured <= ccs.capture_rate_max * gross,
        p_el <= p2g.p_max,
        captured == direct + store_in + sequestered,
        model.co2_used == direct + store_out,
        sequestered <= seq_max * dt,
    ]
    if ccs.capture_max is not None:
        cons.append(captured <= ccs.capture_max * dt)
    cons += ramp_constraints(p_el, p2g.ramp_up, p2g.ramp_down, dt, initial_electrolysis)
    if tank is not None:
        cons += tank.constraints
    model.constraints = cons
    return model
