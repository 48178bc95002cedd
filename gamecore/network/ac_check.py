"""Validation of the DistFlow SOCP against pandapower's AC power flow (Newton-Raphson).

:func:`ac_power_flow` runs ``pandapower.runpp`` on a fresh copy of the feeder's network with
``net.line.in_service`` set to the given statuses and all loads scaled by the period's factor;
:func:`compare` solves the SOCP on the same topology and reports the relative differences of the
losses and of the minimum voltage (the acceptance threshold used by the tests and the CLI is
:data:`TOLERANCE` = 0.5 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gamecore.network.data import Feeder, import_pandapower
from gamecore.network.distflow import solve_fixed_topology

#: relative tolerance for "the SOCP agrees with the AC power flow" (0.5 %)
TOLERANCE: float = 0.005


@dataclass(frozen=True)
class AcResult:
    """AC power flow of one topology and load level.

    Attributes:
        converged: pandapower's Newton-Raphson converged.
        loss_kw: total line losses ``Σ res_line.pl_mw`` in kW (NaN if not converged).
        min_voltage_pu: lowest in-service bus voltage, pu.
        v_pu: ``(N,)`` bus voltages in the feeder's bus order, pu (NaN for isolated buses).
        message: pandapower's error text when not converged, else ``""``.
    """

    converged: bool
    loss_kw: float
    min_voltage_pu: float
    v_pu: np.ndarray
    message: str = ""


def ac_power_flow(feeder: Feeder, closed: np.ndarray, load_factor: float = 1.0,
                  p_load: np.ndarray | None = None, q_load: np.ndarray | None = None) -> AcResult:
    """AC power flow with lines ``closed`` ``(E,)`` bool in service and loads × ``load_factor``, or
    with the explicit bus withdrawals ``p_load``, ``q_load`` ``(N,)`` pu (negative = injection):
    the data's loads are then replaced by one load per bus carrying them."""
    pp = import_pandapower()
    net = feeder.pandapower_net()
    closed = np.asarray(closed, dtype=bool)
    net.line.loc[feeder.line_index, "in_service"] = closed
    if p_load is None and q_load is None:
        net.load["scaling"] = net.load["scaling"] * float(load_factor)
    elif p_load is None or q_load is None:
        raise ValueError("ac_power_flow: give both p_load and q_load or neither")
    else:
        net.load["in_service"] = False
        buses = net.bus.index.to_numpy()
        pp.create_loads(net, buses, p_mw=np.asarray(p_load, float) * feeder.s_base_mva,
                        q_mvar=np.asarray(q_load, float) * feeder.s_base_mva)
    try:
        pp.runpp(net, algorithm="nr", init="flat", tolerance_mva=1e-9, max_iteration=50, numba=False)
    except Exception as err:  # pandapower raises LoadflowNotConverged and friends
        nan = float("nan")
        return AcResult(False, nan, nan, np.full(feeder.n_bus, nan), f"{type(err).__name__}: {err}")
    loss_mw = float(net.res_line.pl_mw[net.line.in_service].sum())
    vm = net.res_bus.vm_pu.reindex(net.bus.index).to_numpy(float)
    return AcResult(True, loss_mw * 1000.0, float(np.nanmin(vm)), vm)


@dataclass(frozen=True)
class Comparison:
    """SOCP vs AC power flow on one topology.

    Attributes:
        socp_loss_kw, ac_loss_kw: losses, kW.
        socp_min_voltage_pu, ac_min_voltage_pu: minimum bus voltages, pu.
        loss_rel_diff: ``|socp − ac| / ac`` of the losses.
        voltage_rel_diff: ``|socp − ac| / ac`` of the minimum voltages.
        max_voltage_abs_diff: ``max_bus |v_socp − v_ac|``, pu.
        socp_status: cvxpy status of the SOCP.
        ac: the full AC result.
    """

    socp_loss_kw: float
    ac_loss_kw: float
    socp_min_voltage_pu: float
    ac_min_voltage_pu: float
    loss_rel_diff: float
    voltage_rel_diff: float
    max_voltage_abs_diff: float
    socp_status: str
    ac: AcResult

    @property
    def agrees(self) -> bool:
        """Both relative differences within :data:`TOLERANCE` (False if either side failed)."""
        return bool(self.loss_rel_diff <= TOLERANCE and self.voltage_rel_diff <= TOLERANCE)


def compare(feeder: Feeder, closed: np.ndarray, load_factor: float = 1.0,
            p_load: np.ndarray | None = None, q_load: np.ndarray | None = None) -> Comparison:
    """Solve the SOCP and the AC power flow on the same topology and loads (as in
    :func:`ac_power_flow`) and compare losses and voltages."""
    socp = solve_fixed_topology(feeder, closed, load_factor, p_load=p_load, q_load=q_load)
    ac = ac_power_flow(feeder, closed, load_factor, p_load, q_load)
    loss_rel = abs(socp.loss_kw - ac.loss_kw) / ac.loss_kw if ac.converged else float("nan")
    v_rel = abs(socp.min_voltage_pu - ac.min_voltage_pu) / ac.min_voltage_pu if ac.converged else float("nan")
    v_abs = float(np.nanmax(np.abs(socp.v_pu - ac.v_pu))) if ac.converged else float("nan")
    return Comparison(socp.loss_kw, ac.loss_kw, socp.min_voltage_pu, ac.min_voltage_pu,
                      float(loss_rel), float(v_rel), v_abs, socp.status, ac)
