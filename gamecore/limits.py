"""The memory limit that sizes are checked against before anything is allocated.

Case generators (:func:`gamecore.make_case`) and strategies with size options (``nsga-qp``'s
``pop_size``) estimate, from their arguments alone, how much memory a request will take and
refuse it up front when the estimate exceeds the limit, instead of running until the
machine swaps or the process is killed.

The limit, in bytes (1 GB = 10⁹ bytes), is, first found:

1. an explicit ``max_memory_gb`` argument (e.g. ``make_case(..., max_memory_gb=64)``);
2. the environment variable ``GAMECORE_MAX_MEMORY_GB`` (also reaches the CLI);
3. half of this machine's physical memory (``os.sysconf``; 4 GB where that is unavailable).

Estimates are deliberately simple (a measured per-agent × per-period figure and the like, each
documented where it is defined) and err on the large side; they bound the memory of the calling
process, not the time a request takes.
"""

from __future__ import annotations

import math
import os

from gamecore.errors import ResourceLimitError

#: environment variable holding the memory limit in GB (10⁹ bytes), e.g. ``GAMECORE_MAX_MEMORY_GB=64``
MEMORY_ENV = "GAMECORE_MAX_MEMORY_GB"
#: bytes in a GB, the unit of ``max_memory_gb`` and of :data:`MEMORY_ENV`
GB = 1e9
#: limit used when the physical memory cannot be read (bytes)
FALLBACK_LIMIT = 4 * GB


def _positive_gb(value: object, where: str) -> float:
    """``value`` as a positive finite number of GB; ``ValueError`` naming ``where`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{where} must be a positive number of GB, got {value!r}")
    try:
        gb = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{where} must be a positive number of GB, got {value!r}") from None
    if not (math.isfinite(gb) and gb > 0):
        raise ValueError(f"{where} must be a positive finite number of GB, got {value!r}")
    return gb


def physical_memory_bytes() -> int | None:
    """This machine's physical memory in bytes (``os.sysconf``), or None where unavailable."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return int(pages) * int(page_size) if pages > 0 and page_size > 0 else None


def memory_limit(max_memory_gb: float | None = None) -> tuple[int, str]:
    """The memory limit in bytes and where it comes from (for messages), see the module docstring.

    Raises:
        ValueError: ``max_memory_gb`` or the environment variable is not a positive finite number.
    """
    if max_memory_gb is not None:
        gb = _positive_gb(max_memory_gb, "max_memory_gb")
        return int(gb * GB), f"max_memory_gb={max_memory_gb!r}"
    env = os.environ.get(MEMORY_ENV)
    if env is not None and env.strip():
        gb = _positive_gb(env.strip(), f"environment variable {MEMORY_ENV}")
        return int(gb * GB), f"{MEMORY_ENV}={env.strip()}"
    physical = physical_memory_bytes()
    if physical is None:
        return int(FALLBACK_LIMIT), f"default {FALLBACK_LIMIT / GB:g} GB (physical memory unknown)"
    return physical // 2, f"half of this machine's {physical / GB:.3g} GB of memory"


def memory_limit_bytes(max_memory_gb: float | None = None) -> int:
    """The memory limit in bytes (see :func:`memory_limit`)."""
    return memory_limit(max_memory_gb)[0]


def check_memory(estimate_bytes: float, what: str, *, max_memory_gb: float | None = None,
                 keyword: str | None = "max_memory_gb", remedy: str = "") -> None:
    """Refuse a request whose estimated memory exceeds the limit, before anything is allocated.

    Args:
        estimate_bytes: estimated memory of the request (bytes; may exceed any integer type:
            a float, or inf, is fine).
        what: the request, named for the message (e.g. ``"case 'ieh' with agents=10000000,
            periods=24"``).
        max_memory_gb: explicit limit (GB = 10⁹ bytes), see :func:`memory_limit`.
        keyword: the keyword argument through which the caller's user can pass
            ``max_memory_gb`` (named in the message), or None when only the environment
            variable applies.
        remedy: how to make the request smaller (e.g. ``"lower pop_size"``), appended.

    Raises:
        ResourceLimitError: the estimate exceeds the limit; the message names the request, the
            estimate, the limit and its source, and how to raise the limit.
        ValueError: the limit itself is malformed (see :func:`memory_limit`).
    """
    limit, source = memory_limit(max_memory_gb)
    if not estimate_bytes > limit:   # NaN estimates are a caller bug, not a refusal
        return
    ways = f"{keyword}=<GB> or " if keyword else ""
    fix = f"{remedy}, or raise" if remedy else "raise"
    raise ResourceLimitError(
        what, float(estimate_bytes), limit,
        f"{what} needs an estimated {_gb(estimate_bytes)} of memory, above the limit of {_gb(limit)} "
        f"({source}); {fix} the limit with {ways}the environment variable {MEMORY_ENV}=<GB>")


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / GB:.3g} GB"


__all__ = ["FALLBACK_LIMIT", "GB", "MEMORY_ENV", "check_memory", "memory_limit", "memory_limit_bytes",
           "physical_memory_bytes"]
