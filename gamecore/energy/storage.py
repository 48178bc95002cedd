"""Energy storage (battery EES or thermal TES) as a convex cvxpy building block.

Units: energy kWh, power kW (average power over a period), time step ``dt`` in hours,
efficiencies dimensionless. Periods are indexed ``t = 0..T−1``; the stored energy ``e`` has
``T+1`` entries, ``e[0]`` at the start of the horizon and ``e[T]`` at its end.

Model (standard energy-hub storage; the paper's own formulas were lost in extraction)::

    e[t+1] = e[t] + dt·(η_c·ch[t] − dis[t]/η_d)          dynamics
    soc_min·E ≤ e[t] ≤ soc_max·E                          SOC bounds, t = 0..T
    0 ≤ ch[t] ≤ ch_max,   0 ≤ dis[t] ≤ dis_max            power limits
    e[0] = initial energy (given: rolling horizons start from the current state)
    e[T] = soc_end·E   (only when the horizon ends at the end of the day; ``>=`` optional)

A rolling horizon cannot always meet the end-of-day target exactly: a plan made on a forecast
may leave the store where the last period's realised demand cannot take (or give) the energy
the target forces out of (into) it. ``storage_model(..., end_penalty=c)`` makes the target
soft: ``e[T] + short − over = soc_end·E`` (``over`` dropped for ``>=``), ``short, over ≥ 0``
kWh, priced ``c·(short + over)``. With ``c`` above the marginal value of stored energy the
penalty is exact: the misses are zero whenever the hard target can be met.

The exact model also requires ``ch[t]·dis[t] = 0`` (no simultaneous charge and discharge).
That complementarity constraint is non-convex; the convex model here drops it
(problem "P2" of the paper, Sec. II-C) and :func:`to_exclusive` repairs a relaxed solution.

Storage-energy-equivalent transformation and Theorem 2 (our derivation)
-----------------------------------------------------------------------
Let ``(ch, dis)`` be optimal for the relaxed problem. Per period keep the stored-energy
change ``Δe = η_c·ch − dis/η_d`` (kW of stored energy) and replace the pair by the net
operation::

    ch' = max(Δe, 0)/η_c,      dis' = max(−Δe, 0)·η_d.

Then (i) ``η_c·ch' − dis'/η_d = Δe``: the energy trajectory, hence every SOC, initial and
end constraint, is unchanged; (ii) ``ch' ≤ ch`` and ``dis' ≤ dis``: power limits still hold;
(iii) ``ch'·dis' = 0``. The storage's net draw from its bus falls from ``ch − dis`` to
``ch' − dis'``; the difference

    surplus = (ch − dis) − (ch' − dis') = (1 − η_c·η_d)·min(ch, dis/(η_c·η_d)) ≥ 0

is the round-trip loss the relaxed solution "burned", and after the transformation it is
injected into the bus. The bus balance is kept by absorbing it in a cost-free sink: the
curtailment ``c`` (renewable curtailment on the electric bus; heat dumping on the heat bus)
becomes ``c + surplus``. This is feasible iff

    c[t] + surplus[t] ≤ c_max[t]        for every period t,          (Theorem 2, condition (11))

with ``c_max`` the curtailable amount (renewable output available; for heat, the heat that
may be dumped). Since curtailment has no cost, the transformed point then has the relaxed
optimal cost, and as every point feasible for the exact problem is feasible for the relaxed
one, it is optimal for the exact problem. Periods without simultaneous operation have
``surplus = 0`` and pass trivially (the proof's "Condition 1"). The condition is sufficient,
not necessary: another relaxed optimum, or another cost-free sink (e.g. lower import at a
zero price), may exist when it fails; then the exact (mixed-integer) model must be solved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np


@dataclass(frozen=True)
class Storage:
    """Parameters of one storage unit.

    Attributes:
        capacity: energy capacity E (kWh), > 0.
        charge_max, discharge_max: power limits (kW), ≥ 0.
        soc_min, soc_max: SOC bounds as fractions of ``capacity``, 0 ≤ soc_min ≤ soc_max ≤ 1.
        soc_init: SOC at the start of the day (fraction).
        soc_end: SOC target at the end of the day (fraction); ``None`` = free.
        eta_c, eta_d: charge and discharge efficiencies in (0, 1].
        dt: period length (h).
        end_equality: ``True``: ``e[T] == soc_end·E``; ``False``: ``e[T] >= soc_end·E``.
        name: label used in variable names and errors.
    """

    capacity: float
    charge_max: float
    discharge_max: float
    soc_min: float = 0.1
    soc_max: float = 0.9
    soc_init: float = 0.5
    soc_end: float | None = 0.5
    eta_c: float = 0.95
    eta_d: float = 0.95
    dt: float = 1.0
    end_equality: bool = True
    name: str = "storage"

    def __post_init__(self) -> None:
        where = f"Storage '{self.name}'"
        if not self.capacity > 0:
            raise ValueError(f"{where}: capacity must be > 0 kWh, got {self.capacity}")
        for field_name in ("charge_max", "discharge_max"):
            if not getattr(self, field_name) >= 0:
                raise ValueError(f"{where}: {field_name} must be >= 0 kW, got {getattr(self, field_name)}")
        if not 0 <= self.soc_min <= self.soc_max <= 1:
            raise ValueError(f"{where}: need 0 <= soc_min <= soc_max <= 1, got {self.soc_min}, {self.soc_max}")
        for field_name in ("soc_init", "soc_end"):
            value = getattr(self, field_name)
            if value is not None and not self.soc_min <= value <= self.soc_max:
                raise ValueError(f"{where}: {field_name}={value} outside [soc_min, soc_max]")
        for field_name in ("eta_c", "eta_d"):
            if not 0 < getattr(self, field_name) <= 1:
                raise ValueError(f"{where}: {field_name} must be in (0, 1], got {getattr(self, field_name)}")
        if not self.dt > 0:
            raise ValueError(f"{where}: dt must be > 0 h, got {self.dt}")

    @property
    def energy_min(self) -> float:
        """Lowest allowed stored energy (kWh)."""
        return self.soc_min * self.capacity

    @property
    def energy_max(self) -> float:
        """Highest allowed stored energy (kWh)."""
        return self.soc_max * self.capacity

    @property
    def energy_init(self) -> float:
        """Stored energy at the start of the day (kWh)."""
        return self.soc_init * self.capacity

    @property
    def energy_end(self) -> float | None:
        """End-of-day stored-energy target (kWh) or ``None``."""
        return None if self.soc_end is None else self.soc_end * self.capacity

    def end_miss(self, energy: float) -> float:
        """kWh by which a stored ``energy`` at the end of the day misses the target: ``|e − target|``
        (``max(0, target − e)`` for a ``>=`` target); 0 without a target."""
        target = self.energy_end
        if target is None:
            return 0.0
        return float(abs(energy - target) if self.end_equality else max(0.0, target - energy))


@dataclass
class StorageModel:
    """cvxpy variables and constraints of one storage over a horizon of ``T`` periods.

    Attributes:
        charge, discharge: ``(T,)`` kW, ≥ 0 (constraints included).
        energy: ``(T+1,)`` kWh, ``energy[0]`` fixed to the initial energy.
        constraints: every constraint of the (complementarity-free) model.
        storage: the parameters.
        end_miss: with a soft end target, ``(2,)`` kWh ``[short, over]`` of the end-of-day
            target (``over`` fixed to 0 for a ``>=`` target); ``None`` otherwise.
        end_penalty: price of a kWh of ``end_miss`` (currency/kWh), 0 without a soft target.
    """

    charge: cp.Variable
    discharge: cp.Variable
    energy: cp.Variable
    constraints: list[cp.Constraint]
    storage: Storage
    end_miss: cp.Variable | None = None
    end_penalty: Any = 0.0    # currency/kWh: a float, or a structure parameter of a program family

    @property
    def penalty(self) -> cp.Expression:
        """Cost of missing the end-of-day target, ``end_penalty·Σ end_miss`` (0 when hard)."""
        if self.end_miss is None:
            return cp.Constant(0.0)
        return self.end_penalty * cp.sum(self.end_miss)

    @property
    def net_draw(self) -> cp.Expression:
        """Power the storage takes from its bus, ``charge − discharge`` (kW, ``(T,)``)."""
        return self.charge - self.discharge


def storage_numbers(storage: Storage, initial_energy: float | None = None,
                    end_penalty: float | None = None) -> dict[str, float]:
    """The numbers of :func:`storage_model`'s program, checked (name -> value; kW, kWh, 1/h).

    Keys: ``charge_max``, ``discharge_max``, ``eta_c``, ``inv_eta_d`` (1/η_d), ``energy_min``,
    ``energy_max``, ``initial_energy`` (clipped into the SOC bounds), ``energy_end`` (when the
    storage has a target) and ``end_penalty`` (when given). A program family of agents with
    storages (:class:`gamecore.family.ProgramFamily`) takes them as structure parameters.

    Raises:
        ValueError: naming the field, for an initial energy outside the SOC bounds or an end
            penalty that is not a positive finite number.
    """
    if end_penalty is not None and not (np.isfinite(end_penalty) and end_penalty > 0):
        raise ValueError(f"Storage '{storage.name}': end_penalty must be a positive finite price "
                         f"(or None for a hard target), got {end_penalty}")
    e0 = storage.energy_init if initial_energy is None else float(initial_energy)
    tol = 1e-6 * storage.capacity
    if not storage.energy_min - tol <= e0 <= storage.energy_max + tol:
        raise ValueError(f"Storage '{storage.name}': initial_energy={e0:.6g} kWh outside "
                         f"[{storage.energy_min:.6g}, {storage.energy_max:.6g}]")
    numbers = {"charge_max": storage.charge_max, "discharge_max": storage.discharge_max, "eta_c": storage.eta_c,
               "inv_eta_d": 1.0 / storage.eta_d, "energy_min": storage.energy_min, "energy_max": storage.energy_max,
               "initial_energy": float(np.clip(e0, storage.energy_min, storage.energy_max))}
    if storage.energy_end is not None:
        numbers["energy_end"] = storage.energy_end
    if end_penalty is not None:
        numbers["end_penalty"] = float(end_penalty)
    return {k: float(v) for k, v in numbers.items()}


def storage_model(storage: Storage, horizon: int, initial_energy: float | None = None,
                  end_of_day: bool = True, name: str | None = None,
                  end_penalty: float | None = None, numbers: Mapping[str, Any] | None = None) -> StorageModel:
    """Variables and convex constraints of ``storage`` over ``horizon`` periods.

    Args:
        storage: the parameters.
        horizon: number of periods T ≥ 1.
        initial_energy: stored energy at the start of the horizon (kWh); defaults to
            ``storage.energy_init`` (start of the day). Rolling horizons pass the current state.
        end_of_day: whether the horizon ends at the end of the day, where ``soc_end`` applies.
        name: prefix of variable names (default ``storage.name``).
        end_penalty: ``None`` = hard end-of-day target; a price > 0 (currency per kWh) makes
            it soft (see the module docstring; :attr:`StorageModel.penalty` is the cost term
            the caller adds to its objective).
        numbers: the program's numbers (:func:`storage_numbers`' keys), e.g. the structure
            parameters of a program family; default ``storage_numbers(storage, initial_energy,
            end_penalty)``. ``storage`` then fixes only the program's shape (whether there is a
            target, hard or soft, ``=`` or ``>=``) and ``dt``.

    Raises:
        ValueError: naming the field, for a horizon < 1, an initial energy outside the
            SOC bounds or an end penalty that is not a positive finite number.
    """
    if horizon < 1:
        raise ValueError(f"Storage '{storage.name}': horizon must be >= 1, got {horizon}")
    v = storage_numbers(storage, initial_energy, end_penalty) if numbers is None else numbers
    prefix = name or storage.name
    ch = cp.Variable(horizon, name=f"{prefix}_charge")
    dis = cp.Variable(horizon, name=f"{prefix}_discharge")
    energy = cp.Variable(horizon + 1, name=f"{prefix}_energy")
    dt = storage.dt
    cons: list[cp.Constraint] = [
        ch >= 0, dis >= 0, ch <= v["charge_max"], dis <= v["discharge_max"],
        energy[1:] == energy[:-1] + dt * (v["eta_c"] * ch - v["inv_eta_d"] * dis),
        energy >= v["energy_min"], energy <= v["energy_max"],
        energy[0] == v["initial_energy"],
    ]
    miss = None
    if end_of_day and storage.energy_end is not None:
        end = energy[horizon]
        if end_penalty is not None:
            miss = cp.Variable(2, nonneg=True, name=f"{prefix}_end_miss")
            end = end + miss[0] - miss[1]
            if not storage.end_equality:
                cons.append(miss[1] == 0)
        target = v["energy_end"]
        cons.append(end == target if storage.end_equality else end >= target)
    # miss is created only when end_penalty is set
    penalty = 0.0 if miss is None or end_penalty is None else v["end_penalty"]
    return StorageModel(ch, dis, energy, cons, storage, miss, penalty)


def soc_trajectory(storage: Storage, charge: np.ndarray, discharge: np.ndarray,
                   initial_energy: float | None = None) -> np.ndarray:
    """Stored energy ``(T+1,)`` kWh implied by ``charge``/``discharge`` ``(T,)`` kW."""
    e0 = storage.energy_init if initial_energy is None else float(initial_energy)
    delta = storage.dt * (storage.eta_c * np.asarray(charge, float) - np.asarray(discharge, float) / storage.eta_d)
    return np.concatenate([[e0], e0 + np.cumsum(delta)])


def storage_violations(storage: Storage, charge: np.ndarray, discharge: np.ndarray,
                       initial_energy: float | None = None, end_of_day: bool = True) -> dict[str, float]:
    """Largest violation (≥ 0; kW or kWh) of every constraint of the EXACT storage model.

    Keys: ``charge_lower``, ``discharge_lower``, ``charge_max``, ``discharge_max`` (kW),
    ``soc_min``, ``soc_max``, ``end`` (kWh), ``complementarity`` (kW: the largest
    ``min(ch, dis)``). The energy trajectory is rebuilt from the powers, so the dynamics and
    the initial condition hold by construction.
    """
    ch = np.asarray(charge, float)
    dis = np.asarray(discharge, float)
    energy = soc_trajectory(storage, ch, dis, initial_energy)
    out = {
        "charge_lower": float(max(0.0, -ch.min())),
        "discharge_lower": float(max(0.0, -dis.min())),
        "charge_max": float(max(0.0, (ch - storage.charge_max).max())),
        "discharge_max": float(max(0.0, (dis - storage.discharge_max).max())),
        "soc_min": float(max(0.0, (storage.energy_min - energy).max())),
        "soc_max": float(max(0.0, (energy - storage.energy_max).max())),
        "end": storage.end_miss(energy[-1]) if end_of_day else 0.0,
        "complementarity": float(np.minimum(np.maximum(ch, 0.0), np.maximum(dis, 0.0)).max()),
    }
    return out


def to_exclusive(charge: np.ndarray, discharge: np.ndarray, eta_c: float,
                 eta_d: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Storage-energy-equivalent transformation (paper Sec. II-C).

    Replaces simultaneous charge/discharge by the net operation with the same stored-energy
    change ``Δe = η_c·ch − dis/η_d``: ``ch' = max(Δe, 0)/η_c``, ``dis' = max(−Δe, 0)·η_d``.

    Args:
        charge, discharge: relaxed powers (kW), same shape; tiny negative solver noise is
            clipped to 0.
        eta_c, eta_d: efficiencies.

    Returns:
        ``(charge', discharge', surplus)`` with ``surplus = (ch − dis) − (ch' − dis') ≥ 0``
        (kW): the power the bus must absorb additionally (by curtailment) to stay balanced.
    """
    ch = np.maximum(np.asarray(charge, float), 0.0)
    dis = np.maximum(np.asarray(discharge, float), 0.0)
    delta = eta_c * ch - dis / eta_d
    ch_new = np.maximum(delta, 0.0) / eta_c
    dis_new = np.maximum(-delta, 0.0) * eta_d
    extra = np.maximum((ch - dis) - (ch_new - dis_new), 0.0)   # ≥ 0 analytically; clip rounding
    return ch_new, dis_new, extra


def surplus(charge: np.ndarray, discharge: np.ndarray, eta_c: float, eta_d: float) -> np.ndarray:
    """Closed form of the transformation's surplus: ``(1 − η_cη_d)·min(ch, dis/(η_cη_d))`` (kW)."""
    ch = np.maximum(np.asarray(charge, float), 0.0)
    dis = np.maximum(np.asarray(discharge, float), 0.0)
    return (1.0 - eta_c * eta_d) * np.minimum(ch, dis / (eta_c * eta_d))


def equivalence_condition(charge: np.ndarray, discharge: np.ndarray, eta_c: float, eta_d: float,
                          curtailment: np.ndarray, curtailment_max: np.ndarray,
                          tol: float = 1e-6) -> np.ndarray:
    """Theorem 2's sufficient condition, per period: ``c + surplus ≤ c_max`` (+ ``tol``).

    Args:
        charge, discharge: relaxed optimal powers (kW), shape ``(T,)``.
        eta_c, eta_d: efficiencies.
        curtailment: curtailment in the relaxed optimum (kW), ``(T,)``: renewable
            curtailment for an electric storage, heat dumping for a thermal one.
        curtailment_max: the curtailable amount (kW), ``(T,)`` (available renewable output;
            dumpable heat).
        tol: absolute tolerance (kW) for solver noise.

    Returns:
        Boolean array ``(T,)``: ``True`` where the transformed operation is feasible (see the
        module docstring for the derivation).
    """
    extra = surplus(charge, discharge, eta_c, eta_d)
    return np.asarray(curtailment, float) + extra <= np.asarray(curtailment_max, float) + tol


def gas_storage(capacity: float, inject_max: float, withdraw_max: float, *, soc_min: float = 0.0,
                soc_max: float = 1.0, soc_init: float = 0.5, soc_end: float | None = 0.5,
                eta_inject: float = 1.0, eta_withdraw: float = 1.0, dt: float = 1.0,
                end_equality: bool = True, name: str = "gas-storage") -> Storage:
    """A gas store (tank / line pack) as a :class:`Storage` in gas units.

    The equations are the storage model above with "energy" read as stored gas and "power" as
    gas flow: ``capacity`` in kWh of gas (LHV) — or m³, or kg of CO₂ for a CO₂ buffer, as long
    as the flows use the same unit per hour — ``inject_max``/``withdraw_max`` in kW of gas
    (resp. m³/h, kg/h). Defaults differ from :class:`Storage`: the whole capacity is usable
    (``soc_min = 0``, ``soc_max = 1``) and injection/withdrawal are lossless (compressor energy,
    if any, belongs to the network model). ``charge`` = injection, ``discharge`` = withdrawal
    in :func:`storage_model`'s result.
    """
    return Storage(capacity, inject_max, withdraw_max, soc_min=soc_min, soc_max=soc_max, soc_init=soc_init,
                   soc_end=soc_end, eta_c=eta_inject, eta_d=eta_withdraw, dt=dt, end_equality=end_equality,
                   name=name)
