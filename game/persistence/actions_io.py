"""Action dicts from a save -> Action objects, each field checked against its type hint.

``game.actions.action_from_dict`` trusts its input; a save does not deserve that trust, so the
values are checked here first (a unit id must be text, a path a list of cell numbers ...) and a
fault names its field, e.g. ``actions[17].path[2]: expected an integer``.  Action kinds added by
rule modules (air missions) are checked the same way from their own type hints.
"""
from __future__ import annotations

import math
import types
import typing
from dataclasses import fields
from functools import lru_cache
from typing import Any

from game.actions import ACTION_TYPES, Action, action_from_dict
from game.persistence.document import Bad, _json_type, fkey

MAX_INT = 2 ** 62
MAX_STR = 200
MAX_LIST = 100_000


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - an unresolvable hint is simply not checked
        return {}


def _check(v: Any, tp: Any, where: str) -> None:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any or tp is typing.ClassVar:
        return
    if origin in (typing.Union, types.UnionType):
        errors = []
        for a in args:
            try:
                _check(v, a, where)
                return
            except Bad as e:
                errors.append(e.what)
        raise Bad(where, errors[0] if len(errors) == 1 else f"unexpected {_json_type(v)}")
    if tp is type(None):
        if v is not None:
            raise Bad(where, f"expected null, got {_json_type(v)}")
        return
    if tp is bool:
        if not isinstance(v, bool):
            raise Bad(where, f"expected true/false, got {_json_type(v)}")
        return
    if tp is int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise Bad(where, f"expected an integer, got {_json_type(v)}")
        if abs(v) > MAX_INT:
            raise Bad(where, "number out of range")
        return
    if tp is float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > 1e15:
            raise Bad(where, f"expected a number, got {_json_type(v)}")
        return
    if tp is str:
        if not isinstance(v, str):
            raise Bad(where, f"expected text, got {_json_type(v)}")
        if len(v) > MAX_STR:
            raise Bad(where, "text too long")
        return
    if origin in (tuple, list) or tp in (tuple, list):
        if not isinstance(v, list):
            raise Bad(where, f"expected a list, got {_json_type(v)}")
        if len(v) > MAX_LIST:
            raise Bad(where, "list too long")
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(v) != len(args):
                raise Bad(where, f"expected {len(args)} items, got {len(v)}")
            for i, (x, a) in enumerate(zip(v, args)):
                _check(x, a, f"{where}[{i}]")
            return
        item = args[0] if args else Any
        for i, x in enumerate(v):
            _check(x, item, f"{where}[{i}]")
        return
    if origin is typing.Literal:
        if v not in args:
            raise Bad(where, f"expected one of {', '.join(map(repr, args))}")
        return
    # other annotations (dicts, custom classes): only plain JSON values get through
    if isinstance(v, (dict, list)) and origin not in (dict, list):
        raise Bad(where, f"unexpected {_json_type(v)}")


def action_from_save(d: Any, where: str) -> Action:
    """One saved action dict -> an Action; Bad naming the field when it does not fit."""
    if not isinstance(d, dict):
        raise Bad(where, f"expected an action object, got {_json_type(d)}")
    kind = d.get("kind")
    if not isinstance(kind, str):
        raise Bad(f"{where}.kind", "missing or not text")
    cls = ACTION_TYPES.get(kind)
    if cls is None:
        raise Bad(f"{where}.kind", f"unknown action {kind[:40]!r} (made by a version with other rules?)")
    hints = _hints(cls)
    names = set()
    for f in fields(cls):
        names.add(f.name)
        if f.name in d:
            _check(d[f.name], hints.get(f.name, Any), f"{where}.{f.name}")
    extra = sorted(k for k in d if k not in names and k != "kind")
    if extra:
        raise Bad(f"{where}.{fkey(extra[0])}", f"not a field of a {kind} action")
    try:
        return action_from_dict(d)
    except KeyError as e:
        raise Bad(f"{where}.{e.args[0]}", "missing") from None
    except (ValueError, TypeError) as e:
        raise Bad(where, str(e)[:200]) from None
