"""DistFlow SOCP on fixed topologies vs pandapower's AC power flow (IEEE 33)."""

from __future__ import annotations

import numpy as np
import pytest

from gamecore.network.ac_check import TOLERANCE, ac_power_flow, compare
from gamecore.network.data import load_feeder
from gamecore.network.distflow import solve_fixed_topology

pytest.importorskip("pandapower", reason="the network extra is not installed: pip install -e '.[network]'")

OPTIMUM_OPEN = [6, 8, 13, 31, 36]  # Baran & Wu switches 7, 9, 14, 32, 37


@pytest.fixture(scope="module")
def feeder():
    return load_feeder("ieee33")


def test_base_topology_matches_ac(feeder) -> None:
    c = compare(feeder, feeder.initially_closed)
    assert c.socp_status == "optimal" and c.ac.converged
    assert c.ac_loss_kw == pytest.approx(202.68, abs=0.05)  # Baran & Wu base case
    assert c.ac_min_voltage_pu == pytest.approx(0.9131, abs=1e-4)
    assert c.loss_rel_diff <= TOLERANCE and c.voltage_rel_diff <= TOLERANCE
    assert c.agrees
    assert c.max_voltage_abs_diff < 1e-4  # every bus, not only the minimum


def test_known_optimum_topology_matches_ac(feeder) -> None:
    closed = np.isin(np.arange(feeder.n_line), OPTIMUM_OPEN, invert=True)
    c = compare(feeder, closed)
    assert c.socp_loss_kw == pytest.approx(139.55, rel=0.01)
    assert c.ac_min_voltage_pu == pytest.approx(0.9378, abs=1e-3)
    assert c.agrees and c.max_voltage_abs_diff < 1e-4


def test_relaxation_is_tight_and_losses_scale_with_load(feeder) -> None:
    full = solve_fixed_topology(feeder, feeder.initially_closed, 1.0)
    light = solve_fixed_topology(feeder, feeder.initially_closed, 0.6)
    assert abs(full.cone_gap) < 1e-6  # P^2 + Q^2 = v l at the optimum
    # losses grow faster than linearly with the load (roughly quadratically)
    assert 0.3 < light.loss_kw / full.loss_kw < 0.6 ** 1.5
    ac = ac_power_flow(feeder, feeder.initially_closed, 0.6)
    assert abs(light.loss_kw - ac.loss_kw) / ac.loss_kw <= TOLERANCE


def test_islanded_topology_is_reported_not_silent(feeder) -> None:
    closed = feeder.initially_closed.copy()
    closed[0] = False  # the substation line: every load islanded
    sol = solve_fixed_topology(feeder, closed, 1.0)
    assert "infeasible" in sol.status and np.isnan(sol.loss_kw)
