"""Distribution-feeder data loaded from pandapower, converted to per-unit arrays.

The only feeder so far is ``"ieee33"``: the 12.66 kV, 33-bus, 37-line feeder of Baran & Wu
(1989), taken from :func:`pandapower.networks.case33bw` (never from hand-typed tables).

How the pandapower data is interpreted
--------------------------------------
* **Switches.** ``case33bw`` has no ``switch`` table: its 5 tie lines (pandapower line
  indices 32-36) are stored as *out-of-service lines*. Every line of the data (in or out of
  service) is a candidate branch of the meshed graph; ``initially_closed`` is the line's
  ``in_service`` flag (so the tie lines are the initially open ones). As in Baran & Wu's
  reconfiguration study, **all 37 lines are switchable** (``switchable`` is all ``True``);
  lines that lie in no loop of the meshed graph are later fixed closed by
  :mod:`gamecore.network.radiality`, not here.
* **Line names.** pandapower's ``net.line.name`` is used when set; in ``case33bw`` it is
  ``None`` for every line, so the name is ``line{index}`` with the pandapower line index
  (0-based). Baran & Wu's 1-based switch number is ``index + 1`` (``line6`` = switch 7,
  buses 7-8 in 1-based bus numbering). ``Feeder.line_label(e)`` adds the 1-based bus pair,
  e.g. ``"line6 (7-8)"``.
* **Line limits.** ``case33bw`` stores ``max_i_ka = 99999`` (no limit). We use the documented
  ampacity :data:`DEFAULT_LINE_LIMIT_KA` = 0.4 kA for every line whose stored limit is
  missing or above :data:`HUGE_LIMIT_KA`; the largest branch current of the feeder (the
  substation line at nominal load) is about 0.2 kA, so this limit does not bind at the
  nominal operating point but keeps the current variables bounded.
* **Voltage limits.** From ``net.bus.min_vm_pu`` / ``max_vm_pu`` (0.9-1.1 pu for every
  load bus in ``case33bw``); the ext_grid bus is the root, held at its ``vm_pu`` (1.0 pu).
* **Per-unit system.** ``S_base`` = :data:`S_BASE_MVA` = 1 MVA (so per-unit power ×1000 is
  kW), ``V_base`` = the bus nominal voltage (12.66 kV), ``Z_base = V_base² / S_base``
  (160.28 Ω), ``I_base = S_base / (√3 V_base)`` (45.6 A).

Multi-period load profile
-------------------------
:data:`HOURLY_LOAD_FACTOR` is the IEEE Reliability Test System (RTS-79, Table 4) winter
weekday hourly load, in per-unit of the daily peak (hour 0 = 00:00-01:00). All loads of the
feeder are scaled by the same factor; the Baran & Wu nominal loads are the peak (1.0).
:func:`load_profile` maps ``T`` periods to the day: period ``t`` covers the hours
``[24 t / T, 24 (t + 1) / T)`` and uses the *largest* hourly factor of those hours
(peak-conservative blocks), so ``T = 1`` is exactly the Baran & Wu operating point and
``T = 24`` is the hourly profile. ``T`` must divide 24.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: system power base of the per-unit arrays, MVA (1 pu power = 1000 kW)
S_BASE_MVA: float = 1.0
#: line ampacity used when the data has none (pandapower's placeholder 99999 kA), kA
DEFAULT_LINE_LIMIT_KA: float = 0.4
#: stored limits above this are treated as "no limit", kA
HUGE_LIMIT_KA: float = 1000.0

#: IEEE RTS-79 winter weekday hourly load, per-unit of the daily peak, hours 0..23
HOURLY_LOAD_FACTOR: tuple[float, ...] = (
    0.67, 0.63, 0.60, 0.59, 0.59, 0.60, 0.74, 0.86, 0.95, 0.96, 0.96, 0.95,
    0.95, 0.95, 0.93, 0.94, 0.99, 1.00, 1.00, 0.96, 0.91, 0.83, 0.73, 0.63,
)


class MissingNetworkDependency(ImportError):
    """pandapower (the ``network`` extra) is not installed."""


def import_pandapower(module: str = "pandapower") -> Any:
    """Import pandapower (or one of its submodules, e.g. ``"pandapower.networks"``) on first use.

    pandapower is an optional dependency (extra ``network``): only this package needs it, and
    ``import gamecore`` never imports it. Raises :class:`MissingNetworkDependency` (an
    ``ImportError``) with the install command when it is missing.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        if err.name is None or err.name.split(".")[0] != "pandapower":
            raise  # pandapower is there but broken: show the real error
        raise MissingNetworkDependency(
            "the distribution-network models (gamecore.network, `gamecore reconfigure`) need "
            "pandapower, which is not installed: pip install -e '.[network]' (or pip install "
            "'gamecore[network]')") from err


def _case33bw() -> Any:
    return import_pandapower("pandapower.networks").case33bw()


#: feeder name -> pandapower network constructor
FEEDERS: dict[str, Callable[[], Any]] = {"ieee33": _case33bw}


class UnknownFeederError(KeyError):
    """A feeder name not in :data:`FEEDERS`."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else "unknown feeder"


@dataclass(frozen=True)
class Feeder:
    """A distribution feeder as per-unit arrays (``N`` buses, ``E`` lines).

    Attributes:
        name: feeder name (a key of :data:`FEEDERS`).
        bus_names: ``(N,)`` bus names as in the data (pandapower ``net.bus.name``, as str).
        line_names: ``(E,)`` line names (see the module docstring).
        line_index: ``(E,)`` pandapower ``net.line`` index of each line.
        from_bus, to_bus: ``(E,)`` int, 0-based positions in the bus arrays.
        r_pu, x_pu: ``(E,)`` series resistance / reactance, pu on ``Z_base``.
        i_max_pu: ``(E,)`` current limit, pu on ``I_base``.
        p_load_pu, q_load_pu: ``(N,)`` nominal (peak) active / reactive load, pu on ``S_base``.
        v_min_pu, v_max_pu: ``(N,)`` voltage-magnitude limits, pu.
        root: position of the substation (ext_grid) bus.
        v_root_pu: substation voltage magnitude, pu.
        initially_closed: ``(E,)`` bool, the data's ``in_service`` flag.
        switchable: ``(E,)`` bool, lines the operator may open or close.
        s_base_mva: power base, MVA.
        v_base_kv: voltage base (line-to-line), kV.
    """

    name: str
    bus_names: tuple[str, ...]
    line_names: tuple[str, ...]
    line_index: np.ndarray
    from_bus: np.ndarray
    to_bus: np.ndarray
    r_pu: np.ndarray
    x_pu: np.ndarray
    i_max_pu: np.ndarray
    p_load_pu: np.ndarray
    q_load_pu: np.ndarray
    v_min_pu: np.ndarray
    v_max_pu: np.ndarray
    root: int
    v_root_pu: float
    initially_closed: np.ndarray
    switchable: np.ndarray
    s_base_mva: float
    v_base_kv: float

    @property
    def n_bus(self) -> int:
        """Number of buses ``N``."""
        return len(self.bus_names)

    @property
    def n_line(self) -> int:
        """Number of lines ``E`` (in and out of service)."""
        return len(self.line_names)

    @property
    def z_base_ohm(self) -> float:
        """Impedance base ``V_base² / S_base``, Ω."""
        return self.v_base_kv ** 2 / self.s_base_mva

    @property
    def i_base_ka(self) -> float:
        """Current base ``S_base / (√3 V_base)``, kA."""
        return self.s_base_mva / (math.sqrt(3.0) * self.v_base_kv)

    def line_label(self, e: int) -> str:
        """``"line6 (7-8)"``: the line name and its 1-based bus pair."""
        return f"{self.line_names[e]} ({self.from_bus[e] + 1}-{self.to_bus[e] + 1})"

    def pandapower_net(self) -> Any:
        """A fresh pandapower network of this feeder (the data the arrays come from)."""
        return FEEDERS[self.name]()


def feeder_from_net(net: Any, name: str, line_limit_ka: float = DEFAULT_LINE_LIMIT_KA) -> Feeder:
    """Convert a pandapower network (one ext_grid, one voltage level, lines only) to a :class:`Feeder`.

    Args:
        net: pandapower network.
        name: feeder name stored in the result.
        line_limit_ka: ampacity used for lines whose ``max_i_ka`` is missing or > :data:`HUGE_LIMIT_KA`.

    Raises:
        ValueError: the network has transformers, several ext_grids or several voltage levels
            (not handled by this converter).
    """
    if len(net.ext_grid) != 1:
        raise ValueError(f"{name}: expected exactly one ext_grid, found {len(net.ext_grid)}")
    if len(getattr(net, "trafo", [])) > 0:
        raise ValueError(f"{name}: transformers are not supported by the feeder converter")
    vn = net.bus.vn_kv.unique()
    if len(vn) != 1:
        raise ValueError(f"{name}: expected a single voltage level, found {sorted(vn)}")
    v_base = float(vn[0])
    s_base = S_BASE_MVA
    z_base = v_base ** 2 / s_base
    i_base = s_base / (math.sqrt(3.0) * v_base)

    bus_pos = {int(b): k for k, b in enumerate(net.bus.index)}
    lines = net.line
    length = lines.length_km.to_numpy(float) / lines.parallel.to_numpy(float)
    r = lines.r_ohm_per_km.to_numpy(float) * length / z_base
    x = lines.x_ohm_per_km.to_numpy(float) * length / z_base
    i_max_ka = lines.max_i_ka.to_numpy(float) * lines.parallel.to_numpy(float)
    i_max_ka = np.where(~np.isfinite(i_max_ka) | (i_max_ka > HUGE_LIMIT_KA), line_limit_ka, i_max_ka)
    names = tuple(str(nm) if isinstance(nm, str) and nm.strip() else f"line{int(idx)}"
                  for idx, nm in zip(lines.index, lines.name))

    n = len(bus_pos)
    p = np.zeros(n)
    q = np.zeros(n)
    loads = net.load[net.load.in_service]
    for bus, pmw, qmvar, scaling in zip(loads.bus, loads.p_mw, loads.q_mvar, loads.scaling):
        p[bus_pos[int(bus)]] += float(pmw) * float(scaling) / s_base
        q[bus_pos[int(bus)]] += float(qmvar) * float(scaling) / s_base
    vmin = net.bus.min_vm_pu.to_numpy(float) if "min_vm_pu" in net.bus else np.full(n, 0.9)
    vmax = net.bus.max_vm_pu.to_numpy(float) if "max_vm_pu" in net.bus else np.full(n, 1.1)
    vmin = np.where(np.isfinite(vmin), vmin, 0.9)
    vmax = np.where(np.isfinite(vmax), vmax, 1.1)
    root = bus_pos[int(net.ext_grid.bus.iloc[0])]
    v_root = float(net.ext_grid.vm_pu.iloc[0])
    vmin[root] = vmax[root] = v_root

    return Feeder(
        name=name,
        bus_names=tuple(str(b) for b in net.bus.name),
        line_names=names,
        line_index=lines.index.to_numpy(int),
        from_bus=np.array([bus_pos[int(b)] for b in lines.from_bus], dtype=int),
        to_bus=np.array([bus_pos[int(b)] for b in lines.to_bus], dtype=int),
        r_pu=r, x_pu=x, i_max_pu=i_max_ka / i_base,
        p_load_pu=p, q_load_pu=q, v_min_pu=vmin, v_max_pu=vmax,
        root=root, v_root_pu=v_root,
        initially_closed=lines.in_service.to_numpy(bool),
        switchable=np.ones(len(lines), dtype=bool),
        s_base_mva=s_base, v_base_kv=v_base,
    )


def load_feeder(name: str = "ieee33") -> Feeder:
    """Load a feeder by name (see :data:`FEEDERS`).

    Raises:
        UnknownFeederError: ``name`` is not a known feeder.
    """
    if name not in FEEDERS:
        raise UnknownFeederError(f"unknown feeder '{name}'; available: {', '.join(sorted(FEEDERS))}")
    return feeder_from_net(FEEDERS[name](), name)


def load_profile(periods: int) -> np.ndarray:
    """Load scaling factor per period, shape ``(periods,)``, per-unit of the nominal (peak) load.

    Period ``t`` covers hours ``[24 t / T, 24 (t + 1) / T)`` of :data:`HOURLY_LOAD_FACTOR` and
    takes their maximum; ``load_profile(1) == [1.0]``.

    Raises:
        ValueError: ``periods`` is not a positive divisor of 24.
    """
    if periods < 1 or 24 % periods:
        raise ValueError(f"periods must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24), got {periods}")
    hours = np.asarray(HOURLY_LOAD_FACTOR, dtype=float)
    return hours.reshape(periods, 24 // periods).max(axis=1)
