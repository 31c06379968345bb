"""Scenario-format extensions: the loader calls ``load_all()`` once before parsing anything.

Each feature that adds YAML sections or effect kinds registers them here, so the loader itself
never names them.
"""
from __future__ import annotations


def load_all() -> None:
    """Register every extension's sections, effects and triggers with the loader."""
    from game.scenario import air_section
    air_section.register()
