"""Graph-based radiality constraints and binary-variable reduction for feeder reconfiguration.

Meshed graph: buses as nodes, every line that may be closed (switchable, or non-switchable
and initially closed) as an edge; a non-switchable open line is not an edge. A spanning tree
``T0`` is taken with :func:`networkx.minimum_spanning_edges` (weight 0 for initially closed
lines, 1 otherwise, so ``T0`` is the initial configuration when that one is radial); each
line outside ``T0`` (a *chord*) closes one **fundamental loop** (chord + tree path). There are
``E - N + 1`` of them (5 in IEEE 33).

Binary reduction (all exact, i.e. no radial configuration is cut off):

1. **Lines in no loop are fixed closed.** Such a line is a bridge: opening it disconnects a
   bus from the substation, so every radial (spanning-tree) configuration contains it. Only
   switchable lines that lie in some fundamental loop are binary decisions
   (``binaries_after``; ``binaries_before`` counts every switchable line).
2. **Each fundamental loop keeps at least one line open** (``Σ_{e∈L} z_e ≤ |L| − 1``): a tree
   has no cycle.
3. **Series groups: at most one open line per group.** Decision lines are grouped by the set of
   fundamental loops they belong to. If two lines ``e, f`` have the same loop set then, since
   every cycle of the graph is a GF(2) sum of fundamental loops, every cycle contains both or
   neither, i.e. the indicator of ``{e, f}`` is orthogonal to the cycle space and hence lies in
   the cut space: ``{e, f}`` is an edge cut. Opening both disconnects the graph, so in a
   spanning tree at most one line of a group is open (``Σ_{e∈g} z_e ≥ |g| − 1``). This does
   not remove binaries but cuts the branch-and-bound tree (a group of ``k`` lines has
   ``k + 1`` feasible states instead of ``2^k``).

Spanning-tree constraints (exact, with 1-3 as valid cuts on top): ``Σ_e z_e = N − 1`` plus
connectivity; a connected graph on ``N`` nodes with ``N − 1`` edges is a spanning tree.
Connectivity comes from a single-commodity flow ``F`` (the substation injects ``N − 1`` units,
every other bus absorbs one, ``|F_e| ≤ (N − 1) z_e``) -- unless every non-root bus has a
strictly positive active load, in which case the DistFlow balance already implies it and the
flow is omitted (``commodity_flow=False``): summing the active-power balances of the buses of a
connected component that does not contain the substation (its boundary lines are open, so
carry no flow) gives ``Σ_{j∈C} p_j = −Σ_{e⊂C} r_e l_e ≤ 0``, impossible when every ``p_j > 0``.
The commodity flow makes the MILPs slower (figure in ``benchmarks/README.md``), hence the
automatic choice in
:func:`gamecore.network.reconfiguration.reconfigure`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import networkx as nx
import numpy as np
import scipy.sparse as sp

from gamecore.network.data import Feeder


@dataclass(frozen=True)
class SwitchStructure:
    """Loops, groups and the reduced set of binary decisions of a feeder (``E`` lines, ``D`` decisions).

    Attributes:
        loops: fundamental loops, each a tuple of line positions (chord last).
        decision: ``(E,)`` bool, lines whose status is a binary decision.
        fixed_status: ``(E,)`` bool, status of the non-decision lines (closed for bridges and
            closed non-switchable lines; open for open non-switchable lines).
        groups: series groups of decision lines (same loop set), each a tuple of line positions.
        binaries_before: switchable lines (one binary each without the reduction).
        binaries_after: decision lines ``D``.
    """

    loops: tuple[tuple[int, ...], ...]
    decision: np.ndarray
    fixed_status: np.ndarray
    groups: tuple[tuple[int, ...], ...]
    binaries_before: int
    binaries_after: int

    @property
    def decision_index(self) -> np.ndarray:
        """``(D,)`` positions of the decision lines."""
        return np.flatnonzero(self.decision)

    def selection(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """``(S, c)`` with ``z = c + S @ y``: ``S`` ``(E, D)`` sparse, ``c`` ``(E,)`` float."""
        idx = self.decision_index
        e = len(self.decision)
        s = sp.csr_matrix((np.ones(len(idx)), (idx, np.arange(len(idx)))), shape=(e, len(idx)))
        c = np.where(self.decision, 0.0, self.fixed_status.astype(float))
        return s, c


def _edge_lines(feeder: Feeder) -> np.ndarray:
    """Positions of the lines that are edges of the meshed graph."""
    return np.flatnonzero(feeder.switchable | feeder.initially_closed)


def fundamental_loops(feeder: Feeder) -> list[tuple[int, ...]]:
    """Fundamental loops of the meshed graph (see the module docstring), line positions.

    Raises:
        ValueError: the meshed graph is not connected (some bus can never be supplied).
    """
    g = nx.MultiGraph()
    g.add_nodes_from(range(feeder.n_bus))
    for e in _edge_lines(feeder):
        g.add_edge(int(feeder.from_bus[e]), int(feeder.to_bus[e]), key=int(e),
                   weight=0.0 if feeder.initially_closed[e] else 1.0)
    if not nx.is_connected(g):
        raise ValueError(f"{feeder.name}: the meshed graph is not connected")
    tree_edges = list(nx.minimum_spanning_edges(g, algorithm="kruskal", weight="weight", keys=True, data=False))
    tree = nx.Graph()
    tree.add_nodes_from(range(feeder.n_bus))
    for u, v, key in tree_edges:
        tree.add_edge(u, v, line=key)
    in_tree = {key for _, _, key in tree_edges}
    loops: list[tuple[int, ...]] = []
    for e in _edge_lines(feeder):
        if int(e) in in_tree:
            continue
        path = nx.shortest_path(tree, int(feeder.from_bus[e]), int(feeder.to_bus[e]))
        lines = [tree.edges[a, b]["line"] for a, b in zip(path[:-1], path[1:])]
        loops.append(tuple(int(x) for x in lines) + (int(e),))
    return loops


def analyze(feeder: Feeder) -> SwitchStructure:
    """Fundamental loops, decision lines and series groups of ``feeder``."""
    loops = fundamental_loops(feeder)
    membership: dict[int, set[int]] = {}
    for k, loop in enumerate(loops):
        for e in loop:
            membership.setdefault(e, set()).add(k)
    decision = np.array([bool(feeder.switchable[e]) and e in membership for e in range(feeder.n_line)])
    fixed = np.where(feeder.switchable, True, feeder.initially_closed)  # bridges closed, others as-is
    by_signature: dict[frozenset[int], list[int]] = {}
    for line in np.flatnonzero(decision):
        by_signature.setdefault(frozenset(membership[int(line)]), []).append(int(line))
    groups = tuple(tuple(sorted(v)) for _, v in sorted(by_signature.items(), key=lambda kv: min(kv[1])))
    return SwitchStructure(
        loops=tuple(loops), decision=decision, fixed_status=fixed.astype(bool), groups=groups,
        binaries_before=int(np.count_nonzero(feeder.switchable)),
        binaries_after=int(np.count_nonzero(decision)),
    )


def incidence(feeder: Feeder) -> sp.csr_matrix:
    """Bus-line incidence ``(N, E)``: +1 at the from bus, −1 at the to bus."""
    e = np.arange(feeder.n_line)
    rows = np.concatenate([feeder.from_bus, feeder.to_bus])
    cols = np.concatenate([e, e])
    vals = np.concatenate([np.ones(feeder.n_line), -np.ones(feeder.n_line)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(feeder.n_bus, feeder.n_line))


def radiality_constraints(feeder: Feeder, structure: SwitchStructure, z: cp.Expression,
                          commodity_flow: bool = True) -> list[cp.Constraint]:
    """Spanning-tree constraints plus the loop and group cuts on line statuses ``z`` ``(E, T)``.

    ``z`` is 1 for a closed line; periods are columns and constrained independently. With
    ``commodity_flow=False`` connectivity must come from elsewhere (see the module docstring).
    """
    n, t = feeder.n_bus, z.shape[1]
    cons: list[cp.Constraint] = [cp.sum(z, axis=0) == n - 1]
    if commodity_flow:
        a = incidence(feeder)
        flow = cp.Variable((feeder.n_line, t), name="commodity_flow")
        supply = np.full((n, 1), -1.0)
        supply[feeder.root] = n - 1.0
        cons += [a @ flow == np.repeat(supply, t, axis=1), flow <= (n - 1) * z, flow >= -(n - 1) * z]
    for loop in structure.loops:
        cons.append(cp.sum(z[list(loop), :], axis=0) <= len(loop) - 1)
    for group in structure.groups:
        if len(group) > 1:
            cons.append(cp.sum(z[list(group), :], axis=0) >= len(group) - 1)
    return cons


def is_spanning_tree(feeder: Feeder, closed: np.ndarray) -> bool:
    """True if the closed lines ``(E,)`` form a spanning tree of the buses."""
    closed = np.asarray(closed, dtype=bool)
    if int(closed.sum()) != feeder.n_bus - 1:
        return False
    g = nx.MultiGraph()
    g.add_nodes_from(range(feeder.n_bus))
    g.add_edges_from(zip(feeder.from_bus[closed].tolist(), feeder.to_bus[closed].tolist()))
    return nx.is_connected(g)
