"""Reusable energy-component models (cvxpy building blocks with no knowledge of games).

Each component is a frozen dataclass of parameters (units in its docstring) and a function
building its cvxpy variables, constraints and cost/emission expressions over a horizon.

* :mod:`gamecore.energy.storage` — battery / thermal storage: parameters, convex
  (complementarity-free) constraints for any horizon, the storage-energy-equivalent
  transformation and the exactness check of the relaxation; :func:`gas_storage` (a gas store).
* :mod:`gamecore.energy.conversion` — gas turbine + waste-heat boiler (CHP), gas boiler,
  internal-combustion generator with quadratic fuel cost (seed 004), coal-fired unit,
  absorption chiller, electric heat pump (per-period COP); ramp limits; :class:`QuadraticCost`.
* :mod:`gamecore.energy.p2g_ccs` — carbon capture coupled with power-to-gas (electrolysis +
  methanation) and an optional CO₂ tank, with a consistent CO₂ mass balance.
* :mod:`gamecore.energy.loads` — fixed, shiftable and curtailable loads; seed 004's concave
  quadratic user utility.
* :mod:`gamecore.energy.comfort` — RC building thermal inertia; ISO 7730 PMV reference
  formula, the simplified PMV of IES papers, and linear PMV models for comfort constraints.
* :mod:`gamecore.energy.carbon` — seed 001's stepwise carbon trading (exact epigraph) and
  seed 004's stage-feedback carbon trading (conservative convex or exact mixed-integer).
* :mod:`gamecore.energy.tariffs` — seed 001's TOU purchase and feed-in tariffs (24 h).
"""

from gamecore.energy._common import QuadraticCost
from gamecore.energy.carbon import (
    SEED001_CARBON,
    SEED004_QUOTA_ELEC,
    SEED004_QUOTA_HEAT,
    CarbonCostModel,
    StageFeedbackCarbon,
    SteppedCarbonPrice,
    quota,
    seed004_actual_emissions,
    stage_feedback_cost,
    stepped_carbon_cost,
)
from gamecore.energy.comfort import (
    Building,
    BuildingModel,
    ComfortConditions,
    PMVLinearization,
    building_model,
    linearize_pmv,
    pmv_constraints,
    pmv_iso7730,
    pmv_penalty,
    pmv_simplified,
    ppd,
    simulate_building,
)
from gamecore.energy.conversion import (
    SEED004_GB_COST,
    SEED004_ICG_COST,
    AbsorptionChiller,
    CoalUnit,
    GasBoiler,
    GasTurbineCHP,
    HeatPump,
    HeatPumpModel,
    InternalCombustionGenerator,
    UnitModel,
    absorption_chiller_model,
    coal_unit_model,
    gas_boiler_model,
    gas_turbine_model,
    heat_pump_model,
    icg_model,
)
from gamecore.energy.loads import (
    SEED004_ELEC_UTILITY,
    SEED004_HEAT_UTILITY,
    CurtailableLoad,
    FixedLoad,
    LoadModel,
    QuadraticUtility,
    ShiftableLoad,
    curtailable_load_model,
    fixed_load_model,
    shiftable_load_model,
)
from gamecore.energy.p2g_ccs import CO2_PER_KWH_CH4, CarbonCapture, P2GCCSModel, PowerToGas, co2_store, p2g_ccs_model
from gamecore.energy.storage import (
    Storage,
    StorageModel,
    equivalence_condition,
    gas_storage,
    soc_trajectory,
    storage_model,
    storage_violations,
    surplus,
    to_exclusive,
)
from gamecore.energy.tariffs import SEED001_FIT, SEED001_TOU, Tariff, seed001_fit, seed001_tou

__all__ = [
    # storage
    "Storage", "StorageModel", "equivalence_condition", "gas_storage", "soc_trajectory", "storage_model",
    "storage_violations", "surplus", "to_exclusive",
    # conversion
    "QuadraticCost", "UnitModel", "GasTurbineCHP", "GasBoiler", "InternalCombustionGenerator", "CoalUnit",
    "AbsorptionChiller", "gas_turbine_model", "gas_boiler_model", "icg_model", "coal_unit_model",
    "absorption_chiller_model", "SEED004_ICG_COST", "SEED004_GB_COST", "HeatPump", "HeatPumpModel",
    "heat_pump_model",
    # p2g-ccs
    "CarbonCapture", "PowerToGas", "P2GCCSModel", "p2g_ccs_model", "co2_store", "CO2_PER_KWH_CH4",
    # loads
    "LoadModel", "FixedLoad", "ShiftableLoad", "CurtailableLoad", "QuadraticUtility", "fixed_load_model",
    "shiftable_load_model", "curtailable_load_model", "SEED004_ELEC_UTILITY", "SEED004_HEAT_UTILITY",
    # comfort
    "Building", "BuildingModel", "building_model", "simulate_building", "ComfortConditions",
    "PMVLinearization", "linearize_pmv", "pmv_iso7730", "pmv_simplified", "ppd", "pmv_constraints",
    "pmv_penalty",
    # carbon
    "CarbonCostModel", "SteppedCarbonPrice", "stepped_carbon_cost", "StageFeedbackCarbon",
    "stage_feedback_cost", "quota", "seed004_actual_emissions", "SEED001_CARBON", "SEED004_QUOTA_ELEC",
    "SEED004_QUOTA_HEAT",
    # tariffs
    "Tariff", "SEED001_TOU", "SEED001_FIT", "seed001_tou", "seed001_fit",
]
