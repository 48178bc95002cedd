"""Energy-conversion units as convex cvxpy building blocks.

Units: power, heat, cooling and fuel flows in kW (average over a period; fuel in kW of its
lower heating value, LHV), energy in kWh, time step ``dt`` in hours, money in CNY, CO₂ in kg.
Every function ``<unit>_model(unit, horizon, ...)`` returns a :class:`UnitModel`: its
decision variables, its constraints, the named flows (affine expressions ``(T,)`` kW) it takes
in and gives out, its operating cost over the horizon (CNY, convex) and its CO₂ emissions per
period (kg, ``(T,)``, affine). No unit-commitment binaries: a unit runs continuously between
``p_min`` and its capacity (``p_min = 0`` by default, so the models stay convex).

Units and their standard forms (the seeds' own equations are cited where they survived the
text extraction):

* :class:`GasTurbineCHP` — gas turbine with waste-heat boiler (seed 001's GT + WHB; also a
  generic CHP): ``P = η_e·G``, exhaust heat ``(1 − η_e − η_loss)·G``, recovered heat
  ``H = η_whb·(1 − η_e − η_loss)·G`` (the standard GT/WHB form; seed 001's equations were lost).
* :class:`GasBoiler` — gas boiler / furnace: ``H = η·G``. Seed 004 writes the GB's cost as a
  quadratic in its heat (Table 1: ``a_h = 0.005``, ``b_h = 0.11``, ``c_h = 0.05``;
  :data:`SEED004_GB_COST`), otherwise the cost is the gas bought.
* :class:`InternalCombustionGenerator` — seed 004's ICG with waste-heat absorption device:
  ``H_re = P·(1 − η_ice)/η_ice·η_re`` (seed 004 eq. for H_re) and quadratic fuel cost
  ``a·P² + b·P + c`` (Table 1: ``a = 0.0013``, ``b = 0.16``, ``c = 0``; :data:`SEED004_ICG_COST`).
* :class:`CoalUnit` — coal-fired unit (seed 004's CFU; seed 001's CPG): quadratic cost,
  ramp limits, emission intensity per kWh generated (seed 004 Table 1: ``μ_e,r = 0.924``).
* :class:`AbsorptionChiller` — heat-driven chiller: ``Q_cool = COP·H_in`` (standard form;
  default COP 0.7, a typical single-effect LiBr value).
* :class:`HeatPump` — electric (air-source) heat pump: ``H_t = COP_t·P_t`` with a COP per
  period (outdoor-temperature dependent) or a constant one; :func:`heat_pump_model` returns a
  :class:`HeatPumpModel` (``power`` in, ``heat`` out; moved here from the ``county`` case).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.energy._common import (
    QuadraticCost,
    check_fraction,
    check_horizon,
    check_nonnegative,
    check_operating_range,
    check_positive,
    ramp_constraints,
    where,
)

#: Seed 004 Table 1 ICG fuel-cost coefficients ``a_e = 0.0013``, ``b_e = 0.16``, ``c_e = 0``
#: (units not printed; read as CNY/(kW²·h), CNY/kWh, CNY/h with the ICG output in kW).
SEED004_ICG_COST = QuadraticCost(a=0.0013, b=0.16, c=0.0)
#: Seed 004 Table 1 gas-boiler cost coefficients ``a_h = 0.005``, ``b_h = 0.11``, ``c_h = 0.05``
#: (the table prints the first as "b_h,bt 0.005": an extraction slip, read as ``a_h``).
SEED004_GB_COST = QuadraticCost(a=0.005, b=0.11, c=0.05)
#: Seed 004 Table 1 ICG parameters: electric efficiency η_ice and heat-recovery efficiency η_re.
SEED004_ETA_ICE = 0.39
SEED004_ETA_RE = 0.85
#: Seed 004 Table 1 actual emission coefficients (read as kg CO₂ per kWh of output = t/MWh):
#: coal-fired unit μ_e,r and gas-fired (CCHP) units μ_g,r.
SEED004_MU_COAL = 0.924
SEED004_MU_GAS = 0.488
#: Natural-gas price (CNY/m³) and LHV (kWh/m³) as read from seed 001's parameter table
#: (symbol names lost: "3.2 CNY/m3" and "9.7" are the only fuel-like entries).
SEED001_GAS_PRICE = 3.2
SEED001_GAS_LHV = 9.7
#: CO₂ emitted per kWh (LHV) of natural gas burnt: IPCC 2006 default 56,100 kg/TJ = 0.202 kg/kWh.
GAS_EMISSION_FACTOR = 0.202


@dataclass
class UnitModel:
    """cvxpy model of one conversion unit over ``T`` periods.

    Attributes:
        name: the unit's name.
        variables: decision variables by name (each ``(T,)``).
        constraints: every constraint of the unit (bounds, conversion, ramps).
        inputs: flows the unit draws, by carrier (``"gas"``, ``"heat"``, ``"coal"``), affine ``(T,)`` kW.
        outputs: flows the unit delivers, by carrier (``"power"``, ``"heat"``, ``"cooling"``), affine ``(T,)`` kW.
        cost: operating cost over the horizon (CNY), convex scalar expression.
        emissions: CO₂ emitted per period (kg), affine ``(T,)`` (``0`` for units that burn nothing).
        dt: period length (h).
    """

    name: str
    variables: dict[str, cp.Variable]
    constraints: list[cp.Constraint]
    inputs: dict[str, cp.Expression]
    outputs: dict[str, cp.Expression]
    cost: cp.Expression
    emissions: cp.Expression
    dt: float = 1.0

    @property
    def total_emissions(self) -> cp.Expression:
        """CO₂ over the horizon (kg)."""
        return cp.sum(self.emissions)


def _dispatch_variable(kind: str, unit: Any, horizon: int, label: str, low: float, high: float,
                       name: str | None, initial: float | None = None
                       ) -> tuple[str, cp.Variable, list[cp.Constraint]]:
    """``(prefix, x, constraints)``: the unit's ``(horizon,)`` non-negative variable
    ``{prefix}_{label}`` (kW) with ``low ≤ x ≤ high`` and the unit's ramp limits."""
    check_horizon(kind, unit.name, horizon)
    prefix = name or unit.name
    x = cp.Variable(horizon, name=f"{prefix}_{label}", nonneg=True)
    cons: list[cp.Constraint] = [x >= low, x <= high]
    cons += ramp_constraints(x, unit.ramp_up, unit.ramp_down, unit.dt, initial)
    return prefix, x, cons


@dataclass(frozen=True)
class GasTurbineCHP:
    """Gas turbine (or CHP engine) with waste-heat boiler: gas in → electricity + recoverable heat.

    Attributes:
        p_max: electric capacity (kW), > 0.
        p_min: minimum electric output while running (kW), default 0.
        eta_e: electric efficiency (kW_e per kW of gas LHV), in (0, 1].
        eta_loss: fraction of the fuel lost (stack, radiation), not recoverable; ``eta_e + eta_loss ≤ 1``.
        eta_whb: waste-heat-boiler efficiency: recovered heat per kW of exhaust heat, in (0, 1].
        ramp_up, ramp_down: electric ramp limits (kW/h); ``None`` = unlimited.
        heat_dump: ``True`` lets the unit recover less than the available heat (``H ≤ …``, heat
            dumped to the atmosphere); ``False`` (default) makes ``H`` equal to it.
        gas_price: CNY per m³ of gas; gas_lhv: kWh per m³ (cost = price/LHV per kWh of gas).
        emission_factor: kg CO₂ per kWh of gas burnt.
        dt: period length (h).
        name: label used in variable names and errors.
    """

    p_max: float
    p_min: float = 0.0
    eta_e: float = 0.35
    eta_loss: float = 0.15
    eta_whb: float = 0.8
    ramp_up: float | None = None
    ramp_down: float | None = None
    heat_dump: bool = False
    gas_price: float = SEED001_GAS_PRICE
    gas_lhv: float = SEED001_GAS_LHV
    emission_factor: float = GAS_EMISSION_FACTOR
    dt: float = 1.0
    name: str = "gt"

    def __post_init__(self) -> None:
        kind = "GasTurbineCHP"
        check_operating_range(kind, self.name, self.p_min, self.p_max, self.ramp_up, self.ramp_down, self.dt)
        check_fraction(kind, self.name, "eta_e", self.eta_e)
        check_fraction(kind, self.name, "eta_loss", self.eta_loss, open_low=False)
        check_fraction(kind, self.name, "eta_whb", self.eta_whb)
        if self.eta_e + self.eta_loss > 1:
            raise ValueError(f"{where(kind, self.name)}: eta_e + eta_loss must be <= 1, "
                             f"got {self.eta_e} + {self.eta_loss}")
        check_nonnegative(kind, self.name, "gas_price", self.gas_price, "CNY/m3")
        check_positive(kind, self.name, "gas_lhv", self.gas_lhv, "kWh/m3")
        check_nonnegative(kind, self.name, "emission_factor", self.emission_factor, "kg/kWh")

    @property
    def heat_per_power(self) -> float:
        """Recoverable heat per kW of electricity, ``η_whb·(1 − η_e − η_loss)/η_e``."""
        return self.eta_whb * (1.0 - self.eta_e - self.eta_loss) / self.eta_e


def gas_turbine_numbers(unit: GasTurbineCHP) -> dict[str, float]:
    """The numbers of :func:`gas_turbine_model`'s program: ``eta_e``, ``recovery`` (recoverable heat
    per kW of gas, ``η_whb·(1 − η_e − η_loss)``), ``p_min``, ``p_max`` (kW), ``fuel_cost`` (CNY per
    kW of gas over a period, ``gas_price/gas_lhv·dt``) and ``emission`` (kg CO₂ per kW of gas over a
    period). A program family takes them as structure parameters; ramps and ``heat_dump`` stay
    part of the program's shape."""
    return {"eta_e": unit.eta_e, "recovery": unit.eta_whb * (1.0 - unit.eta_e - unit.eta_loss), "p_min": unit.p_min,
            "p_max": unit.p_max, "fuel_cost": unit.gas_price / unit.gas_lhv * unit.dt,
            "emission": unit.emission_factor * unit.dt}


def gas_turbine_model(unit: GasTurbineCHP, horizon: int, initial_power: float | None = None,
                      name: str | None = None, numbers: dict[str, Any] | None = None) -> UnitModel:
    """Variables ``gas`` (kW of fuel) and ``heat`` (kW recovered) of a GT + WHB over ``horizon`` periods.

    Outputs: ``power = η_e·gas``, ``heat``; input ``gas``. Constraints: ``p_min ≤ power ≤ p_max``,
    ``heat = η_whb·(1 − η_e − η_loss)·gas`` (``≤`` with ``heat_dump``), ``heat ≥ 0``, ramp
    limits on ``power`` (the first period too when ``initial_power`` is given).
    Cost: ``gas_price/gas_lhv · Σ gas·dt``; emissions ``emission_factor·gas·dt``.
    ``numbers``: :func:`gas_turbine_numbers`' values (e.g. a program family's parameters);
    default from ``unit``.
    """
    check_horizon("GasTurbineCHP", unit.name, horizon)
    v = gas_turbine_numbers(unit) if numbers is None else numbers
    prefix = name or unit.name
    gas = cp.Variable(horizon, name=f"{prefix}_gas", nonneg=True)
    heat = cp.Variable(horizon, name=f"{prefix}_heat", nonneg=True)
    power = v["eta_e"] * gas
    recoverable = v["recovery"] * gas
    cons: list[cp.Constraint] = [power >= v["p_min"], power <= v["p_max"],
                                 heat <= recoverable if unit.heat_dump else heat == recoverable]
    cons += ramp_constraints(power, unit.ramp_up, unit.ramp_down, unit.dt, initial_power)
    cost = v["fuel_cost"] * cp.sum(gas)
    return UnitModel(prefix, {"gas": gas, "heat": heat}, cons, {"gas": gas}, {"power": power, "heat": heat},
                     cost, v["emission"] * gas, unit.dt)


@dataclass(frozen=True)
class GasBoiler:
    """Gas boiler / gas furnace: gas in → heat, ``H = η·G``.

    Attributes:
        h_max: heat capacity (kW), > 0; h_min: minimum heat while running (kW), default 0.
        eta: thermal efficiency (kW heat per kW of gas LHV), in (0, 1].
        ramp_up, ramp_down: heat ramp limits (kW/h); ``None`` = unlimited.
        cost: ``None`` (default): the cost is the gas bought (``gas_price/gas_lhv`` CNY/kWh of
            gas); a :class:`QuadraticCost` in the heat output instead (seed 004's form,
            :data:`SEED004_GB_COST`).
        gas_price (CNY/m³), gas_lhv (kWh/m³), emission_factor (kg CO₂ per kWh of gas), dt (h), name.
    """

    h_max: float
    h_min: float = 0.0
    eta: float = 0.9
    ramp_up: float | None = None
    ramp_down: float | None = None
    cost: QuadraticCost | None = None
    gas_price: float = SEED001_GAS_PRICE
    gas_lhv: float = SEED001_GAS_LHV
    emission_factor: float = GAS_EMISSION_FACTOR
    dt: float = 1.0
    name: str = "gb"

    def __post_init__(self) -> None:
        kind = "GasBoiler"
        check_operating_range(kind, self.name, self.h_min, self.h_max, self.ramp_up, self.ramp_down, self.dt,
                              low_field="h_min", high_field="h_max")
        check_fraction(kind, self.name, "eta", self.eta)
        check_nonnegative(kind, self.name, "gas_price", self.gas_price, "CNY/m3")
        check_positive(kind, self.name, "gas_lhv", self.gas_lhv, "kWh/m3")
        check_nonnegative(kind, self.name, "emission_factor", self.emission_factor, "kg/kWh")


def gas_boiler_numbers(unit: GasBoiler) -> dict[str, float]:
    """The numbers of :func:`gas_boiler_model`'s program: ``inv_eta`` (kW of gas per kW of heat),
    ``h_min``, ``h_max`` (kW), ``fuel_cost`` (CNY per kW of *heat* over a period, the gas it burns)
    and ``emission`` (kg CO₂ per kW of heat over a period) — per unit of heat, so that no two
    numbers multiply each other in the program (DPP). A :class:`QuadraticCost` (``unit.cost``)
    stays part of the program's shape."""
    return {"inv_eta": 1.0 / unit.eta, "h_min": unit.h_min, "h_max": unit.h_max,
            "fuel_cost": unit.gas_price / unit.gas_lhv * unit.dt / unit.eta,
            "emission": unit.emission_factor * unit.dt / unit.eta}


def gas_boiler_model(unit: GasBoiler, horizon: int, initial_heat: float | None = None,
                     name: str | None = None, numbers: dict[str, Any] | None = None) -> UnitModel:
    """Variable ``heat`` (kW) of a gas boiler; input ``gas = heat/η``; output ``heat``.

    Constraints ``h_min ≤ heat ≤ h_max`` and ramps. Cost: the gas bought, or ``unit.cost`` in
    the heat output; emissions ``emission_factor·gas·dt`` (kg per period). ``numbers``:
    :func:`gas_boiler_numbers`' values (e.g. a program family's parameters); default from ``unit``.
    """
    v = gas_boiler_numbers(unit) if numbers is None else numbers
    prefix, heat, cons = _dispatch_variable("GasBoiler", unit, horizon, "heat", v["h_min"], v["h_max"], name,
                                            initial_heat)
    gas = v["inv_eta"] * heat
    cost = v["fuel_cost"] * cp.sum(heat) if unit.cost is None else unit.cost.expr(heat, unit.dt)
    return UnitModel(prefix, {"heat": heat}, cons, {"gas": gas}, {"heat": heat}, cost, v["emission"] * heat, unit.dt)


@dataclass(frozen=True)
class InternalCombustionGenerator:
    """Seed 004's internal-combustion generator (ICG) with waste-heat absorption device (WHAD).

    Electricity ``P`` (kW) in ``[p_min, p_rated]``; recovered heat
    ``H_re = P·(1 − η_ice)/η_ice·η_re`` (seed 004, the H_re equation); fuel
    ``G = P/η_ice`` (kW of gas); cost ``Σ_t (a·P² + b·P + c)·dt`` (seed 004's C_cchp, ICG part).

    Attributes:
        p_rated: rated electric output (kW), > 0; p_min: minimum output (kW), default 0.
        eta_ice: electric efficiency, default seed 004's 0.39; eta_re: heat-recovery efficiency,
            default seed 004's 0.85.
        cost: fuel-cost curve, default :data:`SEED004_ICG_COST`.
        emission_intensity: kg CO₂ per kWh of electricity, default seed 004's μ_g,r = 0.488.
        ramp_up, ramp_down (kW/h), dt (h), name.
    """

    p_rated: float
    p_min: float = 0.0
    eta_ice: float = SEED004_ETA_ICE
    eta_re: float = SEED004_ETA_RE
    cost: QuadraticCost = SEED004_ICG_COST
    emission_intensity: float = SEED004_MU_GAS
    ramp_up: float | None = None
    ramp_down: float | None = None
    dt: float = 1.0
    name: str = "icg"

    def __post_init__(self) -> None:
        kind = "InternalCombustionGenerator"
        check_operating_range(kind, self.name, self.p_min, self.p_rated, self.ramp_up, self.ramp_down, self.dt,
                              high_field="p_rated")
        check_fraction(kind, self.name, "eta_ice", self.eta_ice)
        check_fraction(kind, self.name, "eta_re", self.eta_re)
        check_nonnegative(kind, self.name, "emission_intensity", self.emission_intensity, "kg/kWh")

    @property
    def heat_per_power(self) -> float:
        """Recovered heat per kW of electricity, ``(1 − η_ice)/η_ice·η_re``."""
        return (1.0 - self.eta_ice) / self.eta_ice * self.eta_re


def icg_model(unit: InternalCombustionGenerator, horizon: int, initial_power: float | None = None,
              name: str | None = None) -> UnitModel:
    """Variable ``power`` (kW) of an ICG; outputs ``power`` and ``heat = power·(1−η)/η·η_re``; input ``gas``."""
    prefix, power, cons = _dispatch_variable("InternalCombustionGenerator", unit, horizon, "power", unit.p_min,
                                             unit.p_rated, name, initial_power)
    return UnitModel(prefix, {"power": power}, cons, {"gas": power / unit.eta_ice},
                     {"power": power, "heat": unit.heat_per_power * power}, unit.cost.expr(power, unit.dt),
                     unit.emission_intensity * unit.dt * power, unit.dt)


@dataclass(frozen=True)
class CoalUnit:
    """Coal-fired unit (seed 004's CFU, seed 001's CPG): quadratic cost, ramps, emission intensity.

    Attributes:
        p_max: capacity (kW), > 0; p_min: minimum stable output (kW), default 0.
        cost: cost curve ``a·P² + b·P + c`` (CNY/(kW²h), CNY/kWh, CNY/h).
        emission_intensity: kg CO₂ per kWh generated, default seed 004's μ_e,r = 0.924.
        ramp_up, ramp_down: ramp limits (kW/h); ``None`` = unlimited.
        dt (h), name.
    """

    p_max: float
    cost: QuadraticCost
    p_min: float = 0.0
    emission_intensity: float = SEED004_MU_COAL
    ramp_up: float | None = None
    ramp_down: float | None = None
    dt: float = 1.0
    name: str = "coal"

    def __post_init__(self) -> None:
        kind = "CoalUnit"
        check_operating_range(kind, self.name, self.p_min, self.p_max, self.ramp_up, self.ramp_down, self.dt)
        check_nonnegative(kind, self.name, "emission_intensity", self.emission_intensity, "kg/kWh")


def coal_unit_model(unit: CoalUnit, horizon: int, initial_power: float | None = None,
                    name: str | None = None) -> UnitModel:
    """Variable ``power`` (kW) of a coal unit; output ``power``; emissions ``intensity·power·dt``."""
    prefix, power, cons = _dispatch_variable("CoalUnit", unit, horizon, "power", unit.p_min, unit.p_max, name,
                                             initial_power)
    return UnitModel(prefix, {"power": power}, cons, {}, {"power": power}, unit.cost.expr(power, unit.dt),
                     unit.emission_intensity * unit.dt * power, unit.dt)


@dataclass(frozen=True)
class AbsorptionChiller:
    """Absorption chiller: heat in → cooling, ``Q_cool = COP·H_in``.

    Attributes:
        cool_max: cooling capacity (kW), > 0.
        cop: coefficient of performance (kW cooling per kW heat), > 0; default 0.7.
        ramp_up, ramp_down: cooling ramp limits (kW/h); dt (h); name.
    """

    cool_max: float
    cop: float = 0.7
    ramp_up: float | None = None
    ramp_down: float | None = None
    dt: float = 1.0
    name: str = "ac"

    def __post_init__(self) -> None:
        kind = "AbsorptionChiller"
        check_operating_range(kind, self.name, 0.0, self.cool_max, self.ramp_up, self.ramp_down, self.dt,
                              low_field="cool_min", high_field="cool_max")
        check_positive(kind, self.name, "cop", self.cop)


def absorption_chiller_model(unit: AbsorptionChiller, horizon: int, name: str | None = None) -> UnitModel:
    """Variable ``cooling`` (kW); input ``heat = cooling/COP``; no cost, no emissions of its own."""
    prefix, cooling, cons = _dispatch_variable("AbsorptionChiller", unit, horizon, "cooling", 0.0, unit.cool_max,
                                               name)
    zero = cp.Constant(np.zeros(horizon))
    return UnitModel(prefix, {"cooling": cooling}, cons, {"heat": cooling / unit.cop}, {"cooling": cooling},
                     cp.Constant(0.0), zero, unit.dt)


@dataclass(frozen=True)
class HeatPump:
    """Electric (air-source) heat pump: electricity in → heat, ``H_t = COP_t·P_t``, ``0 ≤ P_t ≤ p_max``.

    Attributes:
        p_max: electric input capacity (kW), > 0.
        cop: coefficient of performance (kW heat per kW electricity), > 0: one number for every
            period, or a tuple with one value per period of the day (outdoor-temperature
            dependent, e.g. ``county``'s ``heat_pump_cop``); the model of a stage starting at
            period ``start`` uses entries ``[start, start + horizon)``.
        dt: period length (h).
        name: label used in variable names and errors.

    No cost and no emissions of its own: the electricity it draws is paid where it is bought.
    """

    p_max: float
    cop: float | tuple[float, ...]
    dt: float = 1.0
    name: str = "hp"

    def __post_init__(self) -> None:
        kind = "HeatPump"
        check_positive(kind, self.name, "p_max", self.p_max, "kW")
        check_positive(kind, self.name, "dt", self.dt, "h")
        values = np.atleast_1d(np.asarray(self.cop, dtype=float))
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"{where(kind, self.name)}: cop must be a number or a non-empty sequence of numbers")
        if not np.all(np.isfinite(values)) or not np.all(values > 0):
            raise ValueError(f"{where(kind, self.name)}: cop must be finite and > 0 in every period")

    def cop_profile(self, start: int, horizon: int) -> np.ndarray:
        """COP of periods ``[start, start + horizon)`` as ``(horizon,)``.

        Raises:
            ValueError: a per-period ``cop`` that does not cover those periods, or a bad horizon.
        """
        check_horizon("HeatPump", self.name, horizon)
        if isinstance(self.cop, (int, float)):
            return np.full(horizon, float(self.cop))
        values = np.asarray(self.cop, dtype=float)
        if int(start) != start or start < 0 or start + horizon > values.size:
            raise ValueError(f"{where('HeatPump', self.name)}: periods [{start}, {start + horizon}) outside its "
                             f"cop profile of {values.size} periods")
        return values[int(start):int(start) + horizon]


@dataclass
class HeatPumpModel:
    """cvxpy model of a :class:`HeatPump` over ``H`` periods.

    Attributes:
        power: electric input ``(H,)`` kW (variable, ``0 ≤ power ≤ p_max``).
        heat: heat output ``COP_t·power_t`` ``(H,)`` kW (affine).
        constraints: the capacity limit.
        dt: period length (h).
    """

    power: cp.Variable
    heat: cp.Expression
    constraints: list[cp.Constraint]
    dt: float = 1.0

    @property
    def inputs(self) -> dict[str, cp.Expression]:
        """``{"power": power}`` (kW drawn), as :attr:`UnitModel.inputs`."""
        return {"power": self.power}

    @property
    def outputs(self) -> dict[str, cp.Expression]:
        """``{"heat": heat}`` (kW delivered), as :attr:`UnitModel.outputs`."""
        return {"heat": self.heat}


def heat_pump_numbers(unit: HeatPump, start: int, horizon: int) -> dict[str, Any]:
    """The numbers of :func:`heat_pump_model`'s program: ``cop`` ``(horizon,)`` of the periods
    ``[start, start + horizon)`` and ``p_max`` (kW)."""
    return {"cop": unit.cop_profile(start, horizon), "p_max": unit.p_max}


def heat_pump_model(unit: HeatPump, start: int, horizon: int, name: str | None = None,
                    numbers: dict[str, Any] | None = None) -> HeatPumpModel:
    """Electric input ``power`` ``(horizon,)`` kW in ``[0, p_max]``; heat ``COP_t·power_t`` for the
    periods ``[start, start + horizon)`` of the unit's COP profile (``start`` is ignored for a
    constant COP). Variable name ``{name or unit.name}_power``. ``numbers``:
    :func:`heat_pump_numbers`' values (e.g. a program family's parameters); default from ``unit``."""
    v = heat_pump_numbers(unit, start, horizon) if numbers is None else numbers
    power = cp.Variable(horizon, name=f"{name or unit.name}_power", nonneg=True)
    return HeatPumpModel(power, cp.multiply(v["cop"], power), [power <= v["p_max"]], unit.dt)
