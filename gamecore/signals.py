"""Leader signals: named, bounded arrays (prices per period and carrier, usually).

A game's signals are packed into one flat vector (in declaration order, each signal
flattened in C order) whenever they travel to followers; :class:`SignalLayout` does the
packing and unpacking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from gamecore.errors import GameDefinitionError


@dataclass(frozen=True)
class Signal:
    """One named leader signal.

    Args:
        name: identifier used by followers and couplings.
        shape: array shape, e.g. ``(T,)`` for one price per period.
        lower, upper: bounds, scalars or arrays broadcastable to ``shape`` (signal units).
        unit: free-text unit, used in tables and plots (e.g. ``"yuan/kWh"``).
        integer: the signal takes integer values only (a binary signal is an integer signal
            with bounds 0 and 1, :meth:`binary`). Both bounds must then be finite; they are
            rounded inward to integers (``lower_array = ceil(lower)``, ``upper_array =
            floor(upper)``; a bound within 1e-9 relative of an integer is taken as that
            integer, so ``2.9999999999`` stays 3), and a range without an integer is
            refused. Strategies that search a continuous box refuse such games
            (:attr:`gamecore.strategy.Strategy.integer_signals`); an integer signal cannot
            price a market coupling (:class:`gamecore.leader.Leader`).

    Attributes:
        lower_array, upper_array: the effective bounds, broadcast to ``shape`` (float arrays;
            for an integer signal the inward-rounded integer bounds).

    Raises:
        GameDefinitionError: naming ``signals['<name>'].<field>``: NaN or mis-shaped bounds,
            an empty shape, lower = +inf / upper = −inf, lower above upper; for an integer
            signal an infinite bound or no integer between the bounds; ``integer`` not a bool.
    """

    name: str
    shape: tuple[int, ...]
    lower: np.ndarray | float = -np.inf
    upper: np.ndarray | float = np.inf
    unit: str = ""
    integer: bool = False
    lower_array: np.ndarray = field(init=False, repr=False, compare=False)
    upper_array: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shape = tuple(int(s) for s in np.atleast_1d(self.shape)) if self.shape != () else ()
        object.__setattr__(self, "shape", shape)
        where = f"signals['{self.name}']"
        for label, value in (("lower", self.lower), ("upper", self.upper)):
            arr = np.asarray(value, dtype=float)
            if np.isnan(arr).any():
                raise GameDefinitionError("leader", f"{where}.{label}", "contains NaN")
            try:
                arr = np.broadcast_to(arr, shape).astype(float).copy()
            except ValueError:
                raise GameDefinitionError(
                    "leader", f"{where}.{label}", f"shape {arr.shape} does not broadcast to {shape}"
                ) from None
            object.__setattr__(self, f"{label}_array", arr)
        if int(np.prod(shape, dtype=int)) == 0:
            raise GameDefinitionError("leader", f"{where}.shape", f"shape {shape} has no entries")
        for label, arr, wrong in (("lower", self.lower_array, np.inf), ("upper", self.upper_array, -np.inf)):
            hit = np.flatnonzero(arr.ravel() == wrong)
            if hit.size:
                raise GameDefinitionError("leader", f"{where}.{label}",
                                          f"is {wrong} at index {int(hit[0])}: no value of the signal satisfies it")
        bad = np.flatnonzero(self.lower_array.ravel() > self.upper_array.ravel())
        if bad.size:
            i = int(bad[0])
            raise GameDefinitionError(
                "leader",
                f"{where}.lower",
                f"lower bound {self.lower_array.ravel()[i]:.6g} above upper bound "
                f"{self.upper_array.ravel()[i]:.6g} at index {i}",
            )
        if not isinstance(self.integer, (bool, np.bool_)):
            raise GameDefinitionError("leader", f"{where}.integer",
                                      f"must be True or False, got {type(self.integer).__name__} {self.integer!r}")
        object.__setattr__(self, "integer", bool(self.integer))
        if self.integer:
            self._round_bounds_inward(where)

    def _round_bounds_inward(self, where: str) -> None:
        """Integer signal: require finite bounds, round them inward, refuse an empty integer range."""
        for label, arr in (("lower", self.lower_array), ("upper", self.upper_array)):
            hit = np.flatnonzero(~np.isfinite(arr.ravel()))
            if hit.size:
                i = int(hit[0])
                raise GameDefinitionError("leader", f"{where}.{label}",
                                          f"is {arr.ravel()[i]} at index {i}: an integer signal needs finite "
                                          "lower and upper bounds")
        lo = _round_inward(self.lower_array, np.ceil)
        hi = _round_inward(self.upper_array, np.floor)
        empty = np.flatnonzero(lo.ravel() > hi.ravel())
        if empty.size:
            i = int(empty[0])
            raise GameDefinitionError(
                "leader", f"{where}.lower",
                f"no integer between lower bound {self.lower_array.ravel()[i]:.6g} and upper bound "
                f"{self.upper_array.ravel()[i]:.6g} at index {i} (integer signal)")
        object.__setattr__(self, "lower_array", lo)
        object.__setattr__(self, "upper_array", hi)

    @classmethod
    def binary(cls, name: str, shape: tuple[int, ...] | int, unit: str = "") -> Signal:
        """A binary signal: integer with bounds 0 and 1 (e.g. switch open/closed, build/not);
        ``shape`` as for the constructor (an int ``n`` means ``(n,)``)."""
        return cls(name, shape if isinstance(shape, tuple) else (int(shape),), 0.0, 1.0, unit=unit, integer=True)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    @property
    def bounded(self) -> bool:
        return bool(np.isfinite(self.lower_array).all() and np.isfinite(self.upper_array).all())

    def clip(self, value: np.ndarray) -> np.ndarray:
        return np.clip(value, self.lower_array, self.upper_array)


class SignalLayout:
    """Packs a mapping ``name -> array`` into one flat float vector and back."""

    def __init__(self, signals: Iterable[Signal]) -> None:
        self.signals: dict[str, Signal] = {}
        self.slices: dict[str, slice] = {}
        offset = 0
        for sig in signals:
            if sig.name in self.signals:
                raise GameDefinitionError("leader", f"signals['{sig.name}']", "declared twice")
            self.signals[sig.name] = sig
            self.slices[sig.name] = slice(offset, offset + sig.size)
            offset += sig.size
        self.size = offset
        self._integer = (np.concatenate([np.full(sig.size, sig.integer) for sig in self.signals.values()])
                         if self.size else np.zeros(0, dtype=bool))
        self._integer.flags.writeable = False

    @property
    def names(self) -> list[str]:
        return list(self.signals)

    def lower(self) -> np.ndarray:
        return np.concatenate([s.lower_array.ravel() for s in self.signals.values()]) if self.size else np.zeros(0)

    def upper(self) -> np.ndarray:
        return np.concatenate([s.upper_array.ravel() for s in self.signals.values()]) if self.size else np.zeros(0)

    def pack(self, values: Mapping[str, np.ndarray], agent: str = "leader") -> np.ndarray:
        """Flatten ``values`` (every declared signal required) into one vector."""
        out = np.empty(self.size)
        for name, sig in self.signals.items():
            if name not in values:
                raise GameDefinitionError(agent, f"signals['{name}']", "missing value")
            arr = np.asarray(values[name], dtype=float)
            if arr.shape != sig.shape and arr.size != sig.size:
                raise GameDefinitionError(agent, f"signals['{name}']", f"shape {arr.shape}, expected {sig.shape}")
            if not np.isfinite(arr).all():
                raise GameDefinitionError(agent, f"signals['{name}']", "contains NaN or inf")
            out[self.slices[name]] = arr.ravel()
        unknown = set(values) - set(self.signals)
        if unknown:
            raise GameDefinitionError(agent, f"signals['{sorted(unknown)[0]}']",
                                      f"unknown signal; declared: {self.names}")
        return out

    def unpack(self, vector: np.ndarray) -> dict[str, np.ndarray]:
        vector = np.asarray(vector, dtype=float)
        return {name: vector[self.slices[name]].reshape(sig.shape).copy() for name, sig in self.signals.items()}

    def integer_mask(self) -> np.ndarray:
        """Boolean mask (flat layout, read-only) of the entries that belong to integer signals."""
        return self._integer

    @property
    def has_integer(self) -> bool:
        return bool(self._integer.any())

    def round_integers(self, vector: np.ndarray) -> np.ndarray:
        """A copy of the flat ``vector`` with the integer signals' entries rounded to the nearest
        integer (others unchanged). Rounding does not clip: an entry already inside its
        integer bounds stays inside them."""
        out = np.array(vector, dtype=float, copy=True)
        if self.has_integer:
            out[self._integer] = np.rint(out[self._integer])
        return out

    def non_integrality(self, vector: np.ndarray) -> dict[str, float]:
        """Per integer signal, ``max_k |x_k − round(x_k)|`` over its entries of the flat ``vector``
        (signal units; 0 when integral, NaN when an entry is NaN/inf). Continuous signals are
        not listed."""
        vector = np.asarray(vector, dtype=float)
        out: dict[str, float] = {}
        for name, sig in self.signals.items():
            if sig.integer:
                part = vector[self.slices[name]]
                dev = np.abs(part - np.rint(part))
                out[name] = float(np.max(dev)) if np.isfinite(part).all() else float("nan")
        return out

    def midpoint(self) -> np.ndarray:
        """A starting point: the box midpoint where both bounds are finite, else the finite bound or 0."""
        lo, hi = self.lower(), self.upper()
        mid = np.where(np.isfinite(lo) & np.isfinite(hi), 0.5 * (lo + hi), 0.0)
        mid = np.where(np.isfinite(lo) & ~np.isfinite(hi), np.maximum(lo, 0.0), mid)
        mid = np.where(~np.isfinite(lo) & np.isfinite(hi), np.minimum(hi, 0.0), mid)
        return mid


def _round_inward(bounds: np.ndarray, direction: np.ufunc) -> np.ndarray:
    """``direction`` (np.ceil for lower, np.floor for upper bounds) of ``bounds``, except that a
    bound within 1e-9 relative of an integer is taken as that integer (floating-point noise
    such as 2.9999999999 must not lose the value 3)."""
    nearest = np.rint(bounds)
    close = np.abs(bounds - nearest) <= 1e-9 * np.maximum(1.0, np.abs(bounds))
    return np.where(close, nearest, direction(bounds)).astype(float)
