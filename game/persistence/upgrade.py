"""Upgrades from older save layouts, one step per version (``UPGRADES[v]`` turns v into v+1).

Format 0 was the first, simpler layout (see docs/save-format.md): no integrity digest, no
checkpoints, the human factions as a list and the moves as compact strings in move-list
notation (``"move r1 12 13"``, ``"attack r1,r2 33 cas"``, ``"end"``).  Upgrading never needs
the scenario: factions a format-0 save does not name are filled in from the scenario on load.
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable

from game.persistence.document import MAX_ACTIONS, Bad, need


def _int(tok: str, where: str) -> int:
    if not tok.lstrip("-").isdigit() or len(tok) > 12:
        raise Bad(where, f"expected a hex number, got {tok[:20]!r}")
    return int(tok)


def parse_v0_move(s: str, where: str) -> dict[str, Any]:
    """One format-0 move string -> a current action dict."""
    toks = s.split()
    if not toks:
        raise Bad(where, "empty move")
    head, rest = toks[0], toks[1:]
    if head == "end" and not rest:
        return {"kind": "end_turn"}
    if head == "move" and len(rest) >= 2:
        return {"kind": "move", "unit": rest[0], "path": [_int(t, where) for t in rest[1:]]}
    if head == "attack" and len(rest) in (2, 3):
        if len(rest) == 3 and rest[2] != "cas":
            raise Bad(where, f"unknown attack option {rest[2][:20]!r} (only 'cas')")
        units = [u for u in rest[0].split(",") if u]
        if not units:
            raise Bad(where, "an attack needs its attackers")
        return {"kind": "attack", "attackers": units, "target": _int(rest[1], where),
                "air_support": len(rest) == 3}
    raise Bad(where, f"not a move: {s[:60]!r} (expected 'move UNIT CELL...', "
                     f"'attack UNITS CELL [cas]' or 'end')")


def v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    seed = need(doc, "seed", int, "")
    text = need(doc, "scenario_text", str, "", optional=True)
    sfile = need(doc, "scenario_file", str, "", optional=True)
    if text is None and not sfile:
        raise Bad("scenario_file", "a format-0 save needs scenario_file or scenario_text")
    humans = need(doc, "humans", list, "")
    players = {}
    for i, h in enumerate(humans):
        if not isinstance(h, str):
            raise Bad(f"humans[{i}]", "expected a faction id")
        players[h] = {"controller": "human", "ai_level": "normal"}
    moves = need(doc, "moves", list, "")
    if len(moves) > MAX_ACTIONS:
        raise Bad("moves", f"more than {MAX_ACTIONS} moves")
    actions = []
    for i, m in enumerate(moves):
        if not isinstance(m, str):
            raise Bad(f"moves[{i}]", "expected a move string")
        actions.append(parse_v0_move(m, f"moves[{i}]"))
    final = need(doc, "hash", str, "", optional=True)
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() if text is not None else None
    stem = (sfile or "scenario").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    scenario: dict[str, Any] = {"id": stem, "name": stem, "sha256": sha, "path": sfile}
    if text is not None:
        scenario["text"] = text
    return {
        "format": doc["format"], "version": 1, "created": None, "app_version": "format 0",
        "note": need(doc, "note", str, "", optional=True) or "",
        "seed": seed, "players": players, "turn": None, "date": None, "active": None,
        "ply": len(actions), "terminal": None, "winner": None, "vp": None,
        "final_hash": final, "checkpoints": [], "actions": actions, "scenario": scenario,
    }


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: v0_to_v1}
