"""Shared pieces of the ``gamecore`` commands: exit-with-message, option
parsing, progress and JSON output, the certificate's display names."""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer

from gamecore.errors import StrategyError
from gamecore.jsonable import dumps
from gamecore.options import guess_value, parse_option_text

#: certificate fields, in display order, with short column labels and long names
CERTIFICATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("best_response_gap", "BR gap"), ("follower_infeasibility", "infeas."), ("coupling_residual", "coupling"),
    ("duality_gap", "duality"), ("leader_violation", "leader c."), ("optimistic_gap", "optimist."),
    ("leader_regret", "regret"))
CERTIFICATE_LABELS: dict[str, str] = {
    "best_response_gap": "best-response gap", "follower_infeasibility": "follower infeasibility",
    "coupling_residual": "coupling residual", "duality_gap": "duality gap", "leader_violation": "leader violation",
    "optimistic_gap": "optimistic gap", "leader_regret": "leader regret"}


# ------------------------------------------------------------------------------ helpers
def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code`` (no traceback)."""
    typer.echo(f"gamecore: error: {message}", err=True)
    raise typer.Exit(code)


def flag(help_text: str, *names: str) -> Any:
    """A typer on/off option: ``False`` unless one of ``names`` is given (it takes no value);
    the help shows the bare flag, not a ``<bool>`` value."""
    return typer.Option(False, *names, metavar="", help=help_text)


def parse_value(text: str) -> bool | int | float | str:
    """Untyped option text -> value (:func:`gamecore.options.guess_value`: ``true``/``false`` ->
    bool, then int, then float, else the string). Strategy options are typed by their field
    instead: :func:`parse_options` with the ``Options`` class."""
    return guess_value(text)


def options_class(strategy: str) -> type | None:
    """The ``Options`` dataclass of the registered strategy ``strategy`` (None when unknown: the
    strategy lookup then reports the name with the valid ones)."""
    from gamecore.registry import available_strategies

    options_cls = getattr(available_strategies().get(strategy), "Options", None)
    return options_cls if isinstance(options_cls, type) and dataclasses.is_dataclass(options_cls) else None


def parse_options(items: Sequence[str], options_cls: type | None = None, strategy: str | None = None
                  ) -> dict[str, Any]:
    """``["max_iter=50", "tol=1e-6"]`` -> ``{"max_iter": 50, "tol": 1e-06}`` (``-`` in keys -> ``_``).

    With ``options_cls`` (a strategy's ``Options`` dataclass) each value is parsed and validated
    by its field (:func:`gamecore.options.parse_option_text`: ``-O polish=false``,
    ``-O time_limit=none``...; ``strategy`` names the strategy in errors); without it, values
    are guessed from the text (:func:`parse_value`).

    Raises:
        StrategyError: an item without ``=`` or with an empty key, a key given twice, and with
            ``options_cls`` an unknown option or a value its field refuses.
    """
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise StrategyError(f"--option expects key=value, got {item!r}")
        if key in options:
            raise StrategyError(f"--option {key} given twice")
        options[key] = (parse_value(value.strip()) if options_cls is None
                        else parse_option_text(options_cls, key, value, strategy=strategy))
    return options


def show_progress(quiet: bool) -> bool:
    """Progress bars only when not ``--quiet`` and both stdout and stderr are terminals."""
    return not quiet and _isatty(sys.stdout) and _isatty(sys.stderr)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def check_seconds(name: str, value: float) -> float:
    """``value`` if it is a finite number of seconds > 0; else exit 2 naming option ``name``."""
    if not (math.isfinite(value) and value > 0):
        fail(f"{name} must be a finite number of seconds > 0, got {value:g}")
    return value



def echo_json(payload: Any) -> None:
    """Print ``payload`` as one line of strict JSON (:func:`gamecore.jsonable.dumps`: NaN/inf -> null,
    numpy -> Python, unknown objects -> ``str``)."""
    typer.echo(dumps(payload))
