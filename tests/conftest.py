"""Shared test helpers."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def write_scenario(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    """Write scenario YAML text to ``tmp_path/name`` and return the path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def scenario_file(tmp_path: Path):
    """``scenario_file(text, name=...)`` -> path of a scenario file written in tmp_path."""
    return lambda text, name="scenario.yaml": write_scenario(tmp_path, text, name)
