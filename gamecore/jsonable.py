"""JSON-safe copies of results and reports (the one sanitiser used by :meth:`Result.to_dict`,
:meth:`Result.to_json` and the CLI's ``--json`` output).

Non-finite floats (NaN, ±inf, Python or numpy) become ``None`` (JSON ``null``), so the text is
strict JSON (``allow_nan=False``); numpy arrays become (nested) lists, numpy scalars Python
scalars; dict keys become strings, tuples lists.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of ``value`` (containers recursed); other objects are returned as they are."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    return value


def dumps(value: Any, *, indent: int | None = None, default: Callable[[Any], Any] | None = str) -> str:
    """Strict JSON text of :func:`jsonable` ``(value)``; objects JSON does not know are written
    as ``default(obj)`` (``str`` by default; ``None``: ``TypeError``)."""
    return json.dumps(jsonable(value), indent=indent, allow_nan=False, default=default)
