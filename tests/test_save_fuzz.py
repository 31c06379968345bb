"""Fuzz the save loader: whatever the bytes, the answer is a Session or one SaveError line.

Random bytes, truncations, bit flips, mutated JSON (with and without a recomputed digest, so the
mutations also reach the field checks and the replay), wrong types, huge numbers and unicode.
Oversized and non-regular files are refused from their metadata, without being read.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.errors import SaveError
from game.persistence import MAX_SAVE_BYTES, load_session, read_save_info, save_session
from game.persistence import document
from game.persistence import files as files_mod
from game.session import Session
from tests.test_persistence_support import MINI_YAML, mini_scenario, new_session, play

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small good save: its bytes, its document and its state hash."""
    d = tmp_path_factory.mktemp("fuzzbase")
    s = new_session(mini_scenario(d), 3)
    play(s, 3, until_turn=3)
    p = save_session(s, d / "base.dsave")
    data = p.read_bytes()
    return data, json.loads(data), s.state.state_hash()


@pytest.fixture(scope="module")
def spot(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "f.dsave"


def outcome(path: Path, data: bytes) -> Session | SaveError:
    """Load ``data`` from ``path``; anything but a Session or a one-line SaveError fails."""
    path.write_bytes(data)
    try:
        s = load_session(path)
    except SaveError as e:
        msg = str(e)
        assert msg.startswith(str(path)) and "\n" not in msg and len(msg) < 2000, msg
        try:
            read_save_info(path)
        except SaveError:
            pass
        return e
    assert isinstance(s, Session) and s.state is not None
    return s


def _json_values():
    leaves = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
              | st.text(max_size=30) | st.sampled_from([10 ** 100, -(2 ** 63), 2 ** 64, 10 ** 4000 // 10 ** 3990,
                                                         "", "\u202e\u0000", "end_turn", "move", "r1", "red"]))
    return st.recursive(leaves, lambda kids: st.lists(kids, max_size=4)
                        | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=8)


# --- raw bytes ------------------------------------------------------------------------------------

@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(spot, data):
    assert isinstance(outcome(spot, data), SaveError)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_after_a_save_header(spot, data):
    assert isinstance(outcome(spot, b'{\n "format": "deconfliction-save",\n' + data), SaveError)


@FUZZ
@given(st.data())
def test_truncations(base, spot, data):
    raw, _, h = base
    n = data.draw(st.integers(0, len(raw)))
    r = outcome(spot, raw[:n])
    if isinstance(r, Session):
        assert raw[:n].strip() == raw.strip() and r.state.state_hash() == h


@FUZZ
@given(st.data())
def test_bit_flips(base, spot, data):
    raw, _, h = base
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(buf) - 1))
        buf[i] ^= 1 << data.draw(st.integers(0, 7))
    r = outcome(spot, bytes(buf))
    if isinstance(r, Session):
        assert r.state.state_hash() == h       # a flip that survives is in whitespace only


@FUZZ
@given(st.data())
def test_spliced_garbage(base, spot, data):
    raw, _, _ = base
    i = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.binary(min_size=1, max_size=40) | st.text(max_size=40).map(str.encode))
    outcome(spot, raw[:i] + junk + raw[i + data.draw(st.integers(0, 40)):])


# --- mutated documents -----------------------------------------------------------------------------

def _paths(doc, prefix=()):
    """Every (container, key) in the document, skipping the long scenario text's insides."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append(prefix + (k,))
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append(prefix + (i,))
            out += _paths(v, prefix + (i,))
    return out


def _mutate(doc, data):
    doc = copy.deepcopy(doc)
    paths = _paths(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        try:
            if op == "replace":
                parent[key] = data.draw(_json_values())
            elif op == "delete":
                del parent[key]
            elif isinstance(parent, list):
                parent.insert(key, data.draw(_json_values()))
            else:
                parent[data.draw(st.text(max_size=10))] = data.draw(_json_values())
        except (KeyError, IndexError, TypeError):
            pass
        paths = _paths(doc)
        if not paths:
            break
    return doc


def _encode(doc, reseal: bool) -> bytes:
    if reseal and isinstance(doc, dict):
        try:
            doc["integrity"] = document.integrity_of(doc)
        except (ValueError, TypeError):
            pass
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


@FUZZ
@given(st.data(), st.booleans())
def test_mutated_documents(base, spot, data, reseal):
    _, doc, h = base
    mutated = _mutate(doc, data)
    r = outcome(spot, _encode(mutated, reseal))
    if isinstance(r, Session) and not reseal:
        assert r.state.state_hash() == h


@FUZZ
@given(st.data(), st.sampled_from(["seed", "players", "actions", "checkpoints", "scenario", "version",
                                    "ply", "turn", "final_hash", "vp", "note", "created", "format"]),
       _json_values())
def test_wrong_types_in_top_fields(base, spot, data, field, value):
    _, doc, _ = base
    doc = copy.deepcopy(doc)
    doc[field] = value
    outcome(spot, _encode(doc, True))


@FUZZ
@given(st.data(), _json_values(), st.booleans())
def test_action_fields(base, spot, data, value, reseal):
    """Any value in any field of any action: a named field error, an illegal action, or a game."""
    _, doc, _ = base
    doc = copy.deepcopy(doc)
    i = data.draw(st.integers(0, len(doc["actions"]) - 1))
    keys = list(doc["actions"][i]) + ["extra"]
    doc["actions"][i][data.draw(st.sampled_from(keys))] = value
    outcome(spot, _encode(doc, reseal))


@FUZZ
@given(st.lists(st.text(max_size=12) | st.from_regex(r"(move|attack|end)( [a-z0-9,\-]{1,6}){0,4}", fullmatch=True),
                max_size=6), _json_values())
def test_format0_documents(spot, moves, value):
    doc = {"format": "deconfliction-save", "version": 0, "scenario_text": MINI_YAML, "seed": 1,
           "humans": ["red"], "moves": moves}
    outcome(spot, _encode(doc, False))
    doc["seed"] = value
    outcome(spot, _encode(doc, False))


def test_deep_nesting_and_huge_numbers(spot):
    head = '{"format": "deconfliction-save", "version": 1, "x": '
    assert isinstance(outcome(spot, (head + "[" * 200_000).encode()), SaveError)
    assert isinstance(outcome(spot, (head + "[" * 200_000 + "]" * 200_000 + "}").encode()), SaveError)
    e = outcome(spot, (head + "9" * 10_000 + "}").encode())
    assert isinstance(e, SaveError) and "corrupt" in str(e)


# --- refused from metadata ------------------------------------------------------------------------

def test_oversized_and_special_files_are_never_read(tmp_path, monkeypatch):
    opened = []
    real_open = open
    monkeypatch.setattr(files_mod, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k),
                        raising=False)
    big = tmp_path / "huge.dsave"
    with real_open(big, "wb") as f:
        f.truncate(MAX_SAVE_BYTES * 64)        # 4 GB, sparse
    with pytest.raises(SaveError) as e:
        load_session(big)
    assert "too large" in str(e.value)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.dsave"
        os.mkfifo(fifo)
        with pytest.raises(SaveError) as e:
            load_session(fifo)                 # reading a FIFO would block forever
        assert "not a regular file" in str(e.value)
    assert opened == []
