"""Strategy options: building an ``Options`` dataclass from an instance, a mapping or keyword
overrides, with errors that name the strategy and the option."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from gamecore.errors import StrategyError


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

    ``cls`` must be a dataclass type (:class:`StrategyError` otherwise); errors its
    ``__post_init__`` raises (TypeError/ValueError) become :class:`StrategyError`.
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise StrategyError(f"strategy '{strategy}': Options must be a dataclass type "
                            f"(decorate {getattr(cls, '__name__', cls)!r} with @dataclasses.dataclass)")
    fields = {f.name: f for f in dataclasses.fields(cls)}
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
    unknown = sorted(set(base) - set(fields))
    if unknown:
        raise StrategyError(f"strategy '{strategy}': unknown option(s) {unknown}; valid options: "
                            + ", ".join(f"{n} (default {fields[n].default!r})" for n in fields))
    for key, value in base.items():
        default = fields[key].default
        if isinstance(default, bool):
            if not isinstance(value, (bool, np.bool_)):
                raise StrategyError(f"strategy '{strategy}': option {key} must be a bool, got {value!r}")
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            number = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
            if not number or not abs(value) < 2 ** 63:    # NaN, ±inf and huge integers fail the bound
                raise StrategyError(f"strategy '{strategy}': option {key} must be a finite number below 2**63, "
                                    f"got {value!r}")
            if isinstance(default, int) and not float(value).is_integer():
                raise StrategyError(f"strategy '{strategy}': option {key} must be an integer, got {value!r}")
            if isinstance(default, int):
                base[key] = int(value)
    try:
        return cls(**base)
    except (TypeError, ValueError) as err:
        raise StrategyError(f"strategy '{strategy}': {err}") from None
