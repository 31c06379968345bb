"""Fuzzing the scenario loader: whatever the input, it returns a Scenario or raises
ScenarioError whose every problem names the file -- never any other exception."""
from __future__ import annotations

import copy
import datetime as dt
import os
import re
import tempfile
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.errors import ScenarioError
from game.scenario.loader import load_scenario, load_scenario_text
from game.scenario.model import Scenario

from test_scenario_loader import VALID

NAME = "fuzz.yaml"
PROBLEM = re.compile(r"fuzz\.yaml:\d+ ", re.S)
BASE: dict[str, Any] = yaml.safe_load(VALID)
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(text: str, name: str = NAME) -> None:
    """The one property: a Scenario, or a ScenarioError made only of located problems."""
    try:
        scn = load_scenario_text(text, name)
    except ScenarioError as e:
        assert e.problems, "a ScenarioError must say what is wrong"
        for p in e.problems:
            assert isinstance(p, str) and PROBLEM.match(p), p
            assert "could not load:" not in p, p     # the catch-all net means a loader bug
        return
    assert isinstance(scn, Scenario)
    assert scn.terrain.shape == (scn.grid.n_cells,)


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, prefix + (i,))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for k in path[:-1]:
        doc = doc[k]
    return doc


odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 1000),
    st.integers(min_value=-(10 ** 300), max_value=10 ** 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.dates(min_value=dt.date(1, 1, 1)),
    st.lists(st.integers(-5, 500), max_size=4),
    st.lists(st.lists(st.floats(-200, 200), min_size=2, max_size=2), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(-5, 5), max_size=3),
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    """VALID with 1-3 structural mutations: delete keys, swap types, rename keys, duplicate."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        op = draw(st.sampled_from(["delete", "replace", "replace", "rename", "duplicate"]))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(odd_values)
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(key)
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """VALID with text-level damage: random unicode inserted, slices cut, huge numbers."""
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "cut", "bignum", "dupline"]))
        if op == "insert":
            text = text[:i] + draw(st.text(max_size=8)) + text[i:]
        elif op == "cut":
            text = text[:i] + text[i + draw(st.integers(1, 40)):]
        elif op == "bignum":
            nums = list(re.finditer(r"\d+", text))
            m = nums[draw(st.integers(0, len(nums) - 1))]
            big = draw(st.sampled_from(["9" * 400, "1" + "0" * 5000, "-99999999999", "1.0e+999",
                                        ".nan", "0x" + "f" * 40, "0", "-1", "1:2:3:4:5"]))
            text = text[:m.start()] + big + text[m.end():]
        else:
            lines = text.splitlines(keepends=True)
            j = draw(st.integers(0, len(lines) - 1))
            lines.insert(j, lines[j])
            text = "".join(lines)
    return text


YAMLISH = st.text(alphabet=st.sampled_from(list("abcdefxyz019 .-_:,[]{}&*!|>'\"#%@`?~\n\t\\")
                                           + ["\u00e9", "\u202e", "\U0001F600", "\x00"]),
                  max_size=120)


@FUZZ
@given(mutated_documents())
def test_fuzz_mutated_documents(text: str) -> None:
    check(text)


@FUZZ
@given(mutated_text())
def test_fuzz_mutated_text(text: str) -> None:
    check(text)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.one_of(YAMLISH, st.text(max_size=80)))
def test_fuzz_random_yamlish_text(text: str) -> None:
    check(text)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_fuzz_random_bytes_from_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, NAME)
        with open(path, "wb") as f:
            f.write(data)
        try:
            load_scenario(path)
        except ScenarioError as e:
            assert e.problems and all(p.startswith(path + ":") for p in e.problems)


def test_unmutated_base_is_valid() -> None:
    check(yaml.safe_dump(BASE, sort_keys=False, allow_unicode=True))
    assert isinstance(load_scenario_text(yaml.safe_dump(BASE, sort_keys=False), NAME), Scenario)
