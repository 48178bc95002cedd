"""IEEE 33-bus (Baran & Wu) feeder data from pandapower, loops and binary reduction."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from gamecore.network.data import HOURLY_LOAD_FACTOR, UnknownFeederError, load_feeder, load_profile
import cvxpy as cp

from gamecore.network.radiality import analyze, fundamental_loops, is_spanning_tree, radiality_constraints

pytest.importorskip("pandapower", reason="the network extra is not installed: pip install -e '.[network]'")

TIE_LINES = ("line32", "line33", "line34", "line35", "line36")


@pytest.fixture(scope="module")
def feeder():
    return load_feeder("ieee33")


def test_sizes_ties_and_total_load(feeder) -> None:
    assert feeder.n_bus == 33 and feeder.n_line == 37
    open_names = {feeder.line_names[e] for e in np.flatnonzero(~feeder.initially_closed)}
    assert open_names == set(TIE_LINES)
    assert feeder.switchable.all()
    # total load 3715 kW / 2300 kvar (S_base = 1 MVA -> pu x 1000 = kW)
    assert feeder.p_load_pu.sum() * 1000 == pytest.approx(3715.0, abs=1e-6)
    assert feeder.q_load_pu.sum() * 1000 == pytest.approx(2300.0, abs=1e-6)
    assert feeder.p_load_pu[feeder.root] == 0.0 and feeder.root == 0


def test_per_unit_conversion(feeder) -> None:
    z_base = 12.66 ** 2 / 1.0
    assert feeder.z_base_ohm == pytest.approx(z_base)
    assert feeder.r_pu[0] == pytest.approx(0.0922 / z_base)
    assert feeder.x_pu[7] == pytest.approx(0.74 / z_base)  # line 8-9 (1-based), 1.030 + j0.740 ohm
    # the 99999 kA placeholder is replaced by the documented 0.4 kA ampacity
    assert np.allclose(feeder.i_max_pu * feeder.i_base_ka, 0.4)
    assert feeder.line_label(6) == "line6 (7-8)"
    assert feeder.v_min_pu[1] == pytest.approx(0.9) and feeder.v_max_pu[1] == pytest.approx(1.1)


def test_load_profile() -> None:
    assert load_profile(1).tolist() == [1.0]
    assert load_profile(24).tolist() == list(HOURLY_LOAD_FACTOR)
    assert load_profile(3).tolist() == [0.86, 0.96, 1.0]
    with pytest.raises(ValueError):
        load_profile(5)


def test_unknown_feeder() -> None:
    with pytest.raises(UnknownFeederError, match="ieee33"):
        load_feeder("ieee13")


def test_fundamental_loops_are_cycles(feeder) -> None:
    loops = fundamental_loops(feeder)
    assert len(loops) == feeder.n_line - feeder.n_bus + 1 == 5
    for loop in loops:
        g = nx.MultiGraph()
        g.add_edges_from((int(feeder.from_bus[e]), int(feeder.to_bus[e])) for e in loop)
        assert nx.is_connected(g) and all(d == 2 for _, d in g.degree())  # a simple cycle
    # each tie line closes exactly one loop (the tree is the initial configuration)
    chords = sorted(loop[-1] for loop in loops)
    assert [feeder.line_names[e] for e in chords] == list(TIE_LINES)


def test_binary_reduction(feeder) -> None:
    s = analyze(feeder)
    assert s.binaries_before == 37
    assert s.binaries_after == 36  # line0 (substation 1-2) is in no loop: fixed closed
    assert not s.decision[0] and s.fixed_status[0]
    grouped = sorted(e for g in s.groups for e in g)
    assert grouped == s.decision_index.tolist()  # groups partition the decision lines
    assert len(s.groups) == 12
    # group property: opening any two lines of one group disconnects the feeder
    for group in s.groups:
        for a, b in itertools.combinations(group[:4], 2):
            closed = np.ones(feeder.n_line, bool)
            closed[[a, b]] = False
            g = nx.MultiGraph()
            g.add_nodes_from(range(feeder.n_bus))
            g.add_edges_from(zip(feeder.from_bus[closed], feeder.to_bus[closed]))
            assert not nx.is_connected(g), (a, b)


def test_is_spanning_tree(feeder) -> None:
    assert is_spanning_tree(feeder, feeder.initially_closed)
    optimum = np.isin(np.arange(37), [6, 8, 13, 31, 36], invert=True)
    assert is_spanning_tree(feeder, optimum)
    swap = feeder.initially_closed.copy()
    swap[32], swap[5] = True, False  # close tie 21-8 (1-based), open line 6-7 of its loop: a tree
    assert int(swap.sum()) == 32 and is_spanning_tree(feeder, swap)
    bad2 = feeder.initially_closed.copy()
    bad2[32], bad2[8] = True, False  # close tie 21-8, open line 9-10 (not in its loop): cycle + island
    assert int(bad2.sum()) == 32 and not is_spanning_tree(feeder, bad2)


@pytest.mark.parametrize("commodity_flow", [True, False])
def test_radiality_constraints_accept_trees_and_reject_others(feeder, commodity_flow: bool) -> None:
    s = analyze(feeder)
    optimum = np.isin(np.arange(37), [6, 8, 13, 31, 36], invert=True)
    no_loop_open = feeder.initially_closed.copy()
    no_loop_open[32], no_loop_open[8] = True, False  # 32 closed lines but a cycle and an island
    three_in_group = feeder.initially_closed.copy()
    three_in_group[[32, 33]] = True
    three_in_group[[9, 10]] = False  # two open lines of one series group (8, 9, 10)
    outcomes = {}
    for name, closed in [("base", feeder.initially_closed), ("optimum", optimum),
                         ("cycle", no_loop_open), ("group", three_in_group)]:
        z = cp.Variable((feeder.n_line, 1))
        cons = radiality_constraints(feeder, s, z, commodity_flow=commodity_flow)
        prob = cp.Problem(cp.Minimize(0), cons + [z[:, 0] == closed.astype(float)])
        prob.solve(solver="HIGHS")
        outcomes[name] = prob.status
    assert outcomes["base"] == outcomes["optimum"] == "optimal"
    assert outcomes["group"] == "infeasible"
    # the loop cuts alone already exclude this cycle (it leaves a fundamental loop closed)
    assert outcomes["cycle"] == "infeasible"
