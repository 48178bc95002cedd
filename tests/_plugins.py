"""Test helper: extra entry points seen by gamecore's plug-in registry (no real installation)."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

import gamecore.registry


def add_entry_points(monkeypatch: pytest.MonkeyPatch, *extra: EntryPoint) -> None:
    """The registry's scan returns what it returned so far for a group plus ``extra`` ones of it."""
    real = gamecore.registry.entry_points
    monkeypatch.setattr(gamecore.registry, "entry_points",
                        lambda group: [*real(group=group), *(ep for ep in extra if ep.group == group)])
