"""Published bilevel test problems in one standard data form (no gamecore objects).

Every problem of the library (:mod:`gamecore.cases.bilevel.linear`,
:mod:`gamecore.cases.bilevel.quadratic`, :mod:`gamecore.cases.bilevel.tp`) is stored as a
:class:`BilevelProblem`, the optimistic bilevel program::

    min_{x, y}   F(x, y) = cxᵀx + cyᵀy + ½ xᵀHxx x + xᵀHxy y + ½ yᵀHyy y
    s.t.         Gx x + Gy y ≤ g                          (upper-level constraints)
                 xl ≤ x ≤ xu                               (leader box, finite)
                 y ∈ argmin_y { f(x, y) = dyᵀy + xᵀR y + ½ yᵀQ y :
                                Ax x + By y ≤ b,  Ex x + Ey y = e,  yl ≤ y ≤ yu }

with ``Q`` symmetric positive semidefinite (the lower level is an LP or a convex QP in y for
each x), ``Hxx`` and ``Hyy`` symmetric. Terms of f in x alone are dropped (they do not change
the argmin). Maximisation problems are stored negated (``F_min = −F_max``), and the
optimum ``f_star`` is in that minimisation form. Upper-level constraints that involve y
are "coupled" constraints (the leader decides them jointly with the follower's response,
optimistic reading).

Shapes: ``n_x`` leader variables, ``n_y`` follower variables; ``cx (n_x,)``,
``cy (n_y,)``, ``Hxx (n_x, n_x)``, ``Hxy (n_x, n_y)``, ``Hyy (n_y, n_y)``, ``Gx (p, n_x)``,
``Gy (p, n_y)``, ``g (p,)``, ``dy (n_y,)``, ``R (n_x, n_y)``, ``Q (n_y, n_y)``,
``Ax (m, n_x)``, ``By (m, n_y)``, ``b (m,)``, ``Ex (q, n_x)``, ``Ey (q, n_y)``, ``e (q,)``,
bounds ``(n_x,)`` / ``(n_y,)`` (y bounds may be ±inf).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, overload

import numpy as np

#: where the listed optimum comes from
OptimumStatus = Literal["literature", "verified", "corrected"]

_In = TypeVar("_In")
_Out = TypeVar("_Out")


class _ArrayField(Generic[_In, _Out]):
    """Annotation-only view of a :class:`BilevelProblem` array field for type checkers: the
    constructor accepts ``_In`` (lists, arrays, None, a scalar for a bound) and reading the
    attribute gives ``_Out``, the float array :meth:`BilevelProblem.__post_init__` stores.
    Never instantiated; the fields are plain dataclass fields at run time."""

    @overload
    def __get__(self, obj: None, owner: type) -> _ArrayField[_In, _Out]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> _Out: ...
    def __get__(self, obj: object, owner: type) -> _Out | _ArrayField[_In, _Out]:
        raise NotImplementedError

    def __set__(self, obj: object, value: _In) -> None:
        raise NotImplementedError


_Vector = _ArrayField[Sequence[float] | np.ndarray | None, np.ndarray]
_Matrix = _ArrayField[Sequence[Sequence[float]] | np.ndarray | None, np.ndarray]
_Bound = _ArrayField[Sequence[float] | np.ndarray | float | None, np.ndarray]
_OptionalVector = _ArrayField[Sequence[float] | np.ndarray | None, np.ndarray | None]
#: default of the array fields ("absent"; None at run time), typed Any because the fields'
#: declared types are the _ArrayField views above
_ABSENT: Any = None


def _matrix(value: object, rows: int, cols: int, label: str, name: str) -> np.ndarray:
    arr = np.zeros((rows, cols)) if value is None else np.asarray(value, dtype=float)
    if arr.size == 0 and rows * cols == 0:
        return np.zeros((rows, cols))
    arr = arr.reshape(rows, cols) if arr.ndim == 1 and rows * cols == arr.size and (rows == 1 or cols == 1) else arr
    if arr.shape != (rows, cols):
        raise ValueError(f"bilevel problem '{name}': {label} has shape {arr.shape}, expected {(rows, cols)}")
    if not np.isfinite(arr).all():
        raise ValueError(f"bilevel problem '{name}': {label} contains NaN or inf")
    return arr


def _vector(value: object, size: int, label: str, name: str, default: float = 0.0,
            allow_inf: bool = False) -> np.ndarray:
    arr = np.full(size, default, dtype=float) if value is None else np.asarray(value, dtype=float).ravel()
    if arr.size == 1 and size != 1:
        arr = np.full(size, float(arr[0]))
    if arr.shape != (size,):
        raise ValueError(f"bilevel problem '{name}': {label} has shape {arr.shape}, expected {(size,)}")
    if np.isnan(arr).any() or (not allow_inf and not np.isfinite(arr).all()):
        raise ValueError(f"bilevel problem '{name}': {label} contains NaN" + ("" if allow_inf else " or inf"))
    return arr


@dataclass(frozen=True)
class BilevelProblem:
    """One published bilevel test problem (module docstring for the form and shapes).

    Attributes:
        name: library name (BOLIB / BASBLib spelling, e.g. ``"Bard1988Ex1"``, ``"TP3"``).
        source: the paper the problem comes from and the library it was taken from.
        n_x, n_y: numbers of leader and follower variables.
        f_star: optimistic optimum of F in minimisation form; ``x_star`` / ``y_star`` a
            solution attaining it (when published).
        optimum_status: ``"literature"`` (as listed), ``"verified"`` (listed value
            confirmed by an independent method in this repository), ``"corrected"``
            (listed value wrong; ``f_star`` is the verified one and ``notes`` says what was
            listed and how the correct value was found).
        listed_f_star: the value the library lists (differs from ``f_star`` only when corrected).
        notes: anything a user should know (maximisation negated, bounds added, degenerate
            follower, ...).
        tags: e.g. ``("linear",)``, ``("quadratic", "coupled", "degenerate")``.
    """

    name: str
    source: str
    n_x: int
    n_y: int
    f_star: float
    cx: _Vector = _ABSENT
    cy: _Vector = _ABSENT
    Hxx: _Matrix = _ABSENT
    Hxy: _Matrix = _ABSENT
    Hyy: _Matrix = _ABSENT
    Gx: _Matrix = _ABSENT
    Gy: _Matrix = _ABSENT
    g: _Vector = _ABSENT
    xl: _Bound = _ABSENT
    xu: _Bound = _ABSENT
    dy: _Vector = _ABSENT
    R: _Matrix = _ABSENT
    Q: _Matrix = _ABSENT
    Ax: _Matrix = _ABSENT
    By: _Matrix = _ABSENT
    b: _Vector = _ABSENT
    Ex: _Matrix = _ABSENT
    Ey: _Matrix = _ABSENT
    e: _Vector = _ABSENT
    yl: _Bound = _ABSENT
    yu: _Bound = _ABSENT
    x_star: _OptionalVector = _ABSENT
    y_star: _OptionalVector = _ABSENT
    optimum_status: OptimumStatus = "literature"
    listed_f_star: float | None = None
    notes: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        nx, ny, nm = self.n_x, self.n_y, self.name
        if nx < 1 or ny < 1:
            raise ValueError(f"bilevel problem '{nm}': n_x and n_y must be >= 1")
        p = 0 if self.g is None else np.asarray(self.g).size
        m = 0 if self.b is None else np.asarray(self.b).size
        q = 0 if self.e is None else np.asarray(self.e).size
        setters = {
            "cx": _vector(self.cx, nx, "cx", nm), "cy": _vector(self.cy, ny, "cy", nm),
            "Hxx": _matrix(self.Hxx, nx, nx, "Hxx", nm), "Hxy": _matrix(self.Hxy, nx, ny, "Hxy", nm),
            "Hyy": _matrix(self.Hyy, ny, ny, "Hyy", nm),
            "Gx": _matrix(self.Gx, p, nx, "Gx", nm), "Gy": _matrix(self.Gy, p, ny, "Gy", nm),
            "g": _vector(self.g, p, "g", nm),
            "xl": _vector(self.xl, nx, "xl", nm, -np.inf, allow_inf=True),
            "xu": _vector(self.xu, nx, "xu", nm, np.inf, allow_inf=True),
            "dy": _vector(self.dy, ny, "dy", nm), "R": _matrix(self.R, nx, ny, "R", nm),
            "Q": _matrix(self.Q, ny, ny, "Q", nm),
            "Ax": _matrix(self.Ax, m, nx, "Ax", nm), "By": _matrix(self.By, m, ny, "By", nm),
            "b": _vector(self.b, m, "b", nm),
            "Ex": _matrix(self.Ex, q, nx, "Ex", nm), "Ey": _matrix(self.Ey, q, ny, "Ey", nm),
            "e": _vector(self.e, q, "e", nm),
            "yl": _vector(self.yl, ny, "yl", nm, -np.inf, allow_inf=True),
            "yu": _vector(self.yu, ny, "yu", nm, np.inf, allow_inf=True),
        }
        if self.x_star is not None:
            setters["x_star"] = _vector(self.x_star, nx, "x_star", nm)
        if self.y_star is not None:
            setters["y_star"] = _vector(self.y_star, ny, "y_star", nm)
        for key, value in setters.items():
            object.__setattr__(self, key, value)
        for label in ("Hxx", "Hyy", "Q"):
            mat = getattr(self, label)
            if not np.allclose(mat, mat.T):
                raise ValueError(f"bilevel problem '{nm}': {label} must be symmetric")
        if np.linalg.eigvalsh(self.Q).min() < -1e-9:
            raise ValueError(f"bilevel problem '{nm}': Q must be positive semidefinite (convex lower level)")
        if (self.xl > self.xu).any() or (self.yl > self.yu).any():
            raise ValueError(f"bilevel problem '{nm}': a lower bound lies above its upper bound")
        if not np.isfinite(self.f_star):
            raise ValueError(f"bilevel problem '{nm}': f_star must be finite")

    # ----------------------------------------------------------------- evaluation
    def leader_value(self, x: np.ndarray, y: np.ndarray) -> float:
        """F(x, y) in minimisation form."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        return float(self.cx @ x + self.cy @ y + 0.5 * x @ self.Hxx @ x + x @ self.Hxy @ y + 0.5 * y @ self.Hyy @ y)

    def follower_value(self, x: np.ndarray, y: np.ndarray) -> float:
        """f(x, y) (without terms in x alone)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        return float(self.dy @ y + x @ self.R @ y + 0.5 * y @ self.Q @ y)

    @property
    def linear(self) -> bool:
        """True when F and f are linear (no quadratic term at all)."""
        return not (np.any(self.Hxx) or np.any(self.Hxy) or np.any(self.Hyy) or np.any(self.Q) or np.any(self.R))

    @property
    def coupled(self) -> bool:
        """True when an upper-level constraint involves y."""
        return bool(np.any(self.Gy))
