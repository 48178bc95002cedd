"""Strategy options declared once.

An ``Options`` dataclass declares each option with :func:`option` (default, one-line doc,
range, choices, unit). From that declaration and the field's annotation this module derives,
in one place each:

* validation and coercion of a value (:func:`build_options`, used by every strategy's
  constructor; :func:`check_values` for option classes built directly, e.g.
  :class:`gamecore.bounds.BoundOptions`);
* parsing of command-line text (:func:`parse_option_text`, ``gamecore solve -O name=text``);
* the help table (:func:`describe_options`, ``gamecore strategies NAME``).

Supported field types: ``bool``, ``int``, ``float``, ``str``, ``Literal[...]`` (choices) and
any of them ``| None`` (None allowed). Numbers must be finite (NaN never; +inf / -inf only when
the range says so explicitly: ``le=math.inf`` / ``ge=-math.inf``); an ``int`` option takes an
integral float (coerced) but no bool; a ``float`` option takes any real number (coerced to
float). A field declared without :func:`option` (a plug-in's plain dataclass field) is checked
by its annotation when that is one of the types above, else by the type of its default
(bool / int / float; a None default also allows None); any other field is passed through.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import types
import typing
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gamecore.errors import StrategyError

#: key of :func:`option`'s declaration in ``dataclasses.Field.metadata``
METADATA_KEY = "gamecore.option"
#: largest magnitude (exclusive) of an ``int`` option (a C ``int64``)
INT_LIMIT = 2 ** 63

_TRUE_WORDS = ("true", "yes", "on")
_FALSE_WORDS = ("false", "no", "off")
_TRUE = (*_TRUE_WORDS, "1")        # a bool option also takes 1 / 0
_FALSE = (*_FALSE_WORDS, "0")
_NONE = ("none", "null", "")


@dataclass(frozen=True)
class OptionSpec:
    """What :func:`option` declares about one option (stored in the field's metadata).

    ``ge``/``gt``/``le``/``lt``: bounds of a number (None: unbounded on that side); ``choices``:
    the allowed values; ``also``: values accepted outside the range (e.g. ``0`` = automatic);
    ``unit``: unit of the value (``"s"``, ``"$/MWh"``, ``""`` for none).
    """

    doc: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[Any, ...] | None = None
    also: tuple[Any, ...] = ()
    unit: str = ""


def option(default: Any, *, doc: str, ge: float | None = None, gt: float | None = None, le: float | None = None,
           lt: float | None = None, choices: tuple[Any, ...] | list[Any] | None = None, also: tuple[Any, ...] = (),
           unit: str = "") -> Any:
    """A dataclass field for an option: ``max_iter: int = option(500, doc="...", ge=1)``.

    Args:
        default: the default value (a mutable one is copied for every instance).
        doc: one line: what the option does (shown by ``gamecore strategies NAME``).
        ge, gt, le, lt: bounds of a number (inclusive / exclusive); ``le=math.inf`` allows +inf.
        choices: the allowed values (for a ``str`` field; a ``Literal`` annotation also works).
        also: values accepted besides the range (e.g. ``also=(0,)`` for "0 = automatic").
        unit: unit of the value.

    Raises:
        TypeError: both ``ge`` and ``gt`` (or ``le`` and ``lt``) given.
    """
    if ge is not None and gt is not None or le is not None and lt is not None:
        raise TypeError("option(): give at most one lower bound (ge/gt) and one upper bound (le/lt)")
    spec = OptionSpec(doc, ge, gt, le, lt, None if choices is None else tuple(choices), tuple(also), unit)
    metadata = {METADATA_KEY: spec}
    if type(default).__hash__ is None:                      # list, dict, set...: dataclasses' own test
        return dataclasses.field(default_factory=functools.partial(copy.deepcopy, default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def time_limit_option(default: float | None = None) -> Any:
    """The shared ``time_limit: float | None`` option: seconds of wall time for the whole solve
    (None = no limit; > 0), enforced by the driver (:meth:`gamecore.strategy.Strategy.solve`)."""
    return option(default, doc="wall time of the whole solve; None = no limit", gt=0, unit="s")


@dataclass(frozen=True)
class OptionInfo:
    """One option as ``gamecore strategies NAME`` shows it (:func:`describe_options`).

    Attributes:
        name: the field name.
        type: its type as text (``"int"``, ``"float | None"``, ``"str"``, ``"any"``).
        default: the default value.
        range: the accepted values as text (``"integer >= 1"``, ``"in (0, 1)"``, ``"> 0, or None"``,
            ``"one of 'auto', 'single'"``...).
        unit: unit of the value (``""``: none).
        doc: one line (``""`` for a field declared without :func:`option`).
        invalid: values just outside the declared range / choices (one per declared bound), each
            of which validation must refuse (used by :mod:`gamecore.testing` and the tests).
    """

    name: str
    type: str
    default: Any
    range: str
    unit: str
    doc: str
    invalid: tuple[Any, ...] = ()


# ------------------------------------------------------------------------------ field kinds
@dataclass(frozen=True)
class _Option:
    """A field with what validation needs: base type (None: unchecked), None allowed, spec."""

    name: str
    default: Any
    base: type | None
    optional: bool
    spec: OptionSpec

    @property
    def choices(self) -> tuple[Any, ...] | None:
        return self.spec.choices

    def requirement(self) -> str:
        """The accepted values, as in "must be ...": ``"an integer >= 1"``, ``"in (0, 1)"``, ``"> 0, or None"``."""
        spec = self.spec
        if self.choices is not None:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.base is int:
            text = "an integer" + _bounds_text(spec)
        elif self.base is float:                       # "in (0, 1)", "> 0": the wording tests match on
            text = _bounds_text(spec).strip() or "a number"
        elif self.base is bool:
            text = "a bool (true/false)"
        elif self.base is str:
            text = "a string"
        else:
            text = "any value"
        extra = [repr(v) for v in spec.also] + (["None"] if self.optional and self.base is not None else [])
        return text + (", or " + " or ".join(extra) if extra else "")

    def type_text(self) -> str:
        name = self.base.__name__ if self.base is not None else "any"
        return f"{name} | None" if self.optional and self.base is not None else name

    def check(self, value: Any) -> Any:
        """``value`` coerced to the option's type (numpy scalars -> Python, int -> float for a
        float option, integral float -> int for an int option) and checked against its range.

        Raises:
            ValueError: ``"option NAME must be <requirement>, got <value>"``.
        """
        if value is None and self.optional:
            return value
        if self.base is None:
            if self.choices is not None and value not in self.choices:
                raise self._error(value)
            return value
        if self.base is bool:
            if not isinstance(value, (bool, np.bool_)):
                raise self._error(value)
            return bool(value)
        if self.base is str:
            if not isinstance(value, str) or (self.choices is not None and value not in self.choices
                                              and value not in self.spec.also):
                raise self._error(value)
            return value
        number = self._number(value)
        if number in self.spec.also:
            return number
        if self.choices is not None and number not in self.choices or not _in_bounds(number, self.spec):
            raise self._error(value)
        return number

    def _number(self, value: Any) -> int | float:
        """``value`` as an int / float of this option's base, or ValueError (not a real number,
        NaN, an infinity the range does not allow, an integer of 2**63 or more for an int
        option, a non-integral value for an int option)."""
        real = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))
        if not real:
            raise self._error(value, "a finite number")
        if isinstance(value, (int, np.integer)) and self.base is int:
            if abs(int(value)) >= INT_LIMIT:
                raise self._error(value, "a finite number below 2**63")
            return int(value)
        try:
            number = float(value)
        except OverflowError:                                # an int beyond float's range
            raise self._error(value, "a finite number") from None
        if math.isnan(number) or math.isinf(number) and not (number > 0 and self.spec.le == math.inf
                                                             or number < 0 and self.spec.ge == -math.inf):
            raise self._error(value, "a finite number")
        if self.base is int:
            if abs(number) >= INT_LIMIT:
                raise self._error(value, "a finite number below 2**63")
            if not number.is_integer():
                raise self._error(value)
            return int(number)
        return number

    def _error(self, value: Any, kind: str = "") -> ValueError:
        requirement = self.requirement()
        need = f"{kind} ({requirement})" if kind and requirement != "a number" else kind or requirement
        return ValueError(f"option {self.name} must be {need}, got {value!r}")

    def from_text(self, text: str) -> Any:
        """``text`` (a command-line value) converted to this option's type, before :meth:`check`:
        ``none``/``null``/empty -> None (when allowed), ``true``/``false`` (``yes``/``no``,
        ``on``/``off``, ``1``/``0``) for a bool, int / float syntax for numbers (``1e3`` for an
        int is 1000), a choice by its text; text that does not convert is returned unchanged
        (so :meth:`check` names the option in its error). Unchecked fields: :func:`guess_value`."""
        stripped = text.strip()
        lowered = stripped.lower()
        if self.optional and lowered in _NONE:
            return None
        if self.base is None:
            return guess_value(stripped)
        if self.choices is not None and self.base is not str:
            return next((c for c in self.choices if str(c) == stripped), stripped)
        if self.base is bool:
            return True if lowered in _TRUE else False if lowered in _FALSE else stripped
        if self.base in (int, float):
            for cast in (int, float) if self.base is int else (float,):
                try:
                    return cast(stripped)
                except ValueError:
                    pass
        return stripped


def _bounds_text(spec: OptionSpec) -> str:
    """``" >= 1"``, ``" in (0, 1]"``, ``" < 0.5"`` or ``""``."""
    lower = (spec.ge, "[", ">=") if spec.ge is not None else (spec.gt, "(", ">") if spec.gt is not None else None
    upper = (spec.le, "]", "<=") if spec.le is not None else (spec.lt, ")", "<") if spec.lt is not None else None
    if lower and upper:
        return f" in {lower[1]}{_num(lower[0])}, {_num(upper[0])}{upper[1]}"
    bound = lower or upper
    return f" {bound[2]} {_num(bound[0])}" if bound else ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _in_bounds(value: float, spec: OptionSpec) -> bool:
    return ((spec.ge is None or value >= spec.ge) and (spec.gt is None or value > spec.gt)
            and (spec.le is None or value <= spec.le) and (spec.lt is None or value < spec.lt))


def _invalid_examples(opt: _Option) -> tuple[Any, ...]:
    """One value just outside each declared bound (and one outside the choices)."""
    spec = opt.spec
    if opt.base not in (int, float, str) and opt.choices is None:
        return ()
    if opt.choices is not None:
        return ("<not-" + "|".join(str(c) for c in opt.choices) + ">",) if opt.base is str else ()
    step: Callable[[float, float], float] = ((lambda x, to: x + (1 if to > x else -1)) if opt.base is int
                                             else math.nextafter)
    found = []
    if spec.ge is not None and math.isfinite(spec.ge):
        found.append(step(spec.ge, -math.inf))
    if spec.gt is not None:
        found.append(spec.gt)
    if spec.le is not None and math.isfinite(spec.le):
        found.append(step(spec.le, math.inf))
    if spec.lt is not None:
        found.append(spec.lt)
    cast = int if opt.base is int else float
    return tuple(cast(v) for v in found if v not in spec.also)


def _annotation_kind(annotation: Any) -> tuple[type | None, bool, tuple[Any, ...] | None]:
    """(base type or None, None allowed, Literal choices) of a resolved annotation."""
    optional = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        optional = type(None) in args
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            return None, optional, None
        annotation = rest[0]
    if typing.get_origin(annotation) is Literal:
        choices = typing.get_args(annotation)
        kinds = {type(c) for c in choices}
        return (kinds.pop() if len(kinds) == 1 else None), optional, choices
    if annotation in (bool, int, float, str):
        return annotation, optional, None
    return None, optional, None


_CACHE: weakref.WeakKeyDictionary[type, dict[str, _Option]] = weakref.WeakKeyDictionary()


def _options(cls: type) -> dict[str, _Option]:
    """Name -> :class:`_Option` of every field of dataclass ``cls`` (cached per class)."""
    if cls not in _CACHE:
        _CACHE[cls] = _resolve(cls)
    return _CACHE[cls]


def _resolve(cls: type) -> dict[str, _Option]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:            # a plug-in's annotation that cannot be resolved here: use the defaults
        hints = {}
    found: dict[str, _Option] = {}
    for f in dataclasses.fields(cls):
        default = _field_default(f)
        base, optional, choices = _annotation_kind(hints.get(f.name, Any))
        spec = f.metadata.get(METADATA_KEY)
        if spec is None or f.name not in hints:   # a plain field, or an annotation unresolvable here
            optional = optional or default is None
            if base is None and choices is None:  # no supported annotation: the default decides, as before
                base = next((t for t in (bool, int, float) if isinstance(default, t)), None)
        spec = spec or OptionSpec("")
        if choices is not None and spec.choices is None:
            spec = dataclasses.replace(spec, choices=choices)
        found[f.name] = _Option(f.name, default, base, optional, spec)
    return found


def _field_default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _label(strategy: str | None, cls: type) -> str:
    return f"strategy '{strategy}'" if strategy is not None else f"{cls.__name__}"


def _unknown(label: str, cls: type, names: list[str]) -> StrategyError:
    opts = _options(cls)
    return StrategyError(f"{label}: unknown option(s) {names}; valid options: "
                         + ", ".join(f"{n} (default {o.default!r})" for n, o in opts.items()))


# ------------------------------------------------------------------------------ public
def describe_options(options_cls: type) -> list[OptionInfo]:
    """One :class:`OptionInfo` per field of the dataclass ``options_cls``, in declaration order."""
    return [OptionInfo(o.name, o.type_text(), o.default, o.requirement().removeprefix("an ").removeprefix("a "),
                       o.spec.unit, o.spec.doc, _invalid_examples(o)) for o in _options(options_cls).values()]


def check_value(options_cls: type, name: str, value: Any, *, strategy: str | None = None) -> Any:
    """``value`` validated and coerced for option ``name`` of ``options_cls``.

    Raises:
        StrategyError: unknown option (listing the valid ones), or a value of the wrong type or
            outside the declared range, e.g. ``"strategy 'bisection': option max_iter must be an
            integer >= 1, got 0"``.
    """
    opts = _options(options_cls)
    if name not in opts:
        raise _unknown(_label(strategy, options_cls), options_cls, [name])
    try:
        return opts[name].check(value)
    except ValueError as err:
        raise StrategyError(f"{_label(strategy, options_cls)}: {err}") from None


def parse_option_text(options_cls: type, name: str, text: str, *, strategy: str | None = None) -> Any:
    """The value of option ``name`` of ``options_cls`` written as ``text`` on the command line,
    typed by the field (``"1e-6"`` -> 1e-06 for a float, ``"false"`` -> False for a bool,
    ``"none"`` -> None for ``float | None``, ``"nsga3"`` for a choice) and validated as
    :func:`check_value` does (same errors: :class:`StrategyError` naming the option)."""
    opts = _options(options_cls)
    if name not in opts:
        raise _unknown(_label(strategy, options_cls), options_cls, [name])
    return check_value(options_cls, name, opts[name].from_text(text), strategy=strategy)


def check_values(instance: Any) -> None:
    """Check every field of the dataclass instance ``instance`` (for option classes built
    directly rather than through :func:`build_options`, e.g. in ``__post_init__``).

    Raises:
        ValueError: ``"<ClassName>: option NAME must be ..., got ..."``.
    """
    for name, opt in _options(type(instance)).items():
        try:
            opt.check(getattr(instance, name))
        except ValueError as err:
            raise ValueError(f"{type(instance).__name__}: {err}") from None


def guess_value(text: str) -> bool | int | float | str:
    """Untyped text -> value (for fields whose type is unknown): ``true``/``false`` (``yes``/``no``,
    ``on``/``off``) -> bool, then int, then float, else the text."""
    lowered = text.strip().lower()
    if lowered in _TRUE_WORDS:
        return True
    if lowered in _FALSE_WORDS:
        return False
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def check_max_iter(strategy: str, options: Any) -> None:
    """Raise :class:`StrategyError` unless ``options.max_iter`` is an integer ≥ 1 (the
    iteration budget :meth:`IterativeStrategy.run` needs)."""
    if not hasattr(options, "max_iter"):
        raise StrategyError(f"strategy '{strategy}': an IterativeStrategy's Options ({type(options).__name__}) "
                            "must define max_iter (an integer >= 1, the driver's iteration budget)")
    value = options.max_iter
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise StrategyError(f"strategy '{strategy}': option max_iter must be an integer >= 1, got {value!r}")


def build_options(strategy: str, cls: type, options: Any, overrides: Mapping[str, Any]) -> Any:
    """Instantiate ``cls`` from an instance/mapping plus keyword overrides, with clear errors.

    Every given value is checked and coerced by its field (:func:`check_value`: type from the
    annotation, range from :func:`option`) before ``cls`` is built. ``cls`` must be a dataclass
    type (:class:`StrategyError` otherwise); errors its ``__post_init__`` raises
    (TypeError/ValueError, for cross-field checks) become :class:`StrategyError`.
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise StrategyError(f"strategy '{strategy}': Options must be a dataclass type "
                            f"(decorate {getattr(cls, '__name__', cls)!r} with @dataclasses.dataclass)")
    if options is None:
        base: dict[str, Any] = {}
    elif isinstance(options, cls):
        base = dataclasses.asdict(options)
    elif isinstance(options, Mapping):
        base = dict(options)
    else:
        raise StrategyError(f"strategy '{strategy}': options must be {cls.__name__} or a mapping, "
                            f"got {type(options).__name__}")
    base.update(overrides)
    unknown = sorted(set(base) - set(_options(cls)))
    if unknown:
        raise _unknown(_label(strategy, cls), cls, unknown)
    checked = {key: check_value(cls, key, value, strategy=strategy) for key, value in base.items()}
    try:
        return cls(**checked)
    except (TypeError, ValueError) as err:
        raise StrategyError(f"strategy '{strategy}': {err}") from None


def format_vector(vector: np.ndarray) -> str:
    """A vector as the text of a vector-valued ``str`` option: comma-separated ``repr`` of each
    float (an exact round trip through :func:`parse_vector`)."""
    return ",".join(repr(float(v)) for v in np.ravel(vector))


def parse_vector(strategy: str, name: str, text: str | None, size: int) -> np.ndarray | None:
    """The vector a :func:`format_vector` text option holds (None for None / empty text).

    Raises:
        StrategyError: not comma-separated numbers, or not ``size`` of them (naming the strategy
            and the option).
    """
    if text is None or not text.strip():
        return None
    try:
        values = np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise StrategyError(f"strategy '{strategy}': option {name} must be comma-separated numbers, "
                            f"got {text[:40]!r}") from None
    if values.size != size:
        raise StrategyError(f"strategy '{strategy}': option {name} has {values.size} values, the game has {size}")
    return values
