"""Plain-text tables (no rich dependency): one column layout for the CLI tables, the demo's
streaming table and the benchmark reports.

A table is a header line, a line of dashes and one line per row; columns are separated by two
spaces and padded to their width, left- or right-aligned; trailing spaces are stripped.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any


def fmt(value: Any, spec: str = ".4g", missing: str = "n/a") -> str:
    """Format one table cell: floats with ``spec``; ``missing`` for None and NaN; ``inf`` /
    ``-inf`` as such; bools, integers (numpy's too) and non-numbers as ``str``."""
    if value is None:
        return missing
    if isinstance(value, (bool, numbers.Integral)):  # numpy integers too
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return missing if math.isnan(number) else str(number)
    return format(number, spec)


class Columns:
    """Column layout: each column as wide as the larger of its header and its given width,
    left-aligned unless ``right[j]``."""

    def __init__(self, headers: Sequence[str], widths: Sequence[int] = (),
                 right: Sequence[bool] | None = None) -> None:
        self.headers = [str(h) for h in headers]
        widths = list(widths) + [0] * (len(self.headers) - len(widths))
        self.widths = [max(len(h), w) for h, w in zip(self.headers, widths)]
        self.right = list(right) if right is not None else [False] * len(self.headers)

    @classmethod
    def fitting(cls, headers: Sequence[str], rows: Sequence[Sequence[str]],
                right: Sequence[bool] | None = None) -> Columns:
        """Columns as wide as their widest cell (header included)."""
        widths = [max([0] + [len(row[j]) for row in rows]) for j in range(len(headers))]
        return cls(headers, widths, right)

    def line(self, values: Sequence[str]) -> str:
        """One line: ``values`` padded and aligned, two spaces apart, trailing spaces stripped."""
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(values, self.widths, self.right)).rstrip()

    def head(self) -> list[str]:
        """The header line and the line of dashes."""
        return [self.line(self.headers), self.line(["-" * w for w in self.widths])]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool] | None = None) -> str:
    """A plain-text table: header, dashes, rows (cells ``str``-ed); columns padded to their widest cell."""
    cells = [[str(c) for c in row] for row in rows]
    columns = Columns.fitting(headers, cells, right)
    return "\n".join(columns.head() + [columns.line(row) for row in cells])


class StreamTable:
    """Prints a table one row at a time through ``echo`` (so long runs show progress): column
    widths are fixed up front (at least the headers' widths); the header is printed at once."""

    def __init__(self, headers: Sequence[str], widths: Sequence[int], echo: Callable[[str], None],
                 right: Sequence[bool] | None = None) -> None:
        self.columns = Columns(headers, widths, right)
        self.echo = echo
        for line in self.columns.head():
            self.echo(line)

    @property
    def widths(self) -> list[int]:
        return self.columns.widths

    def row(self, values: Sequence[str]) -> None:
        self.echo(self.columns.line(values))
