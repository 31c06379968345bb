"""Shared helpers for the persistence tests (no tests here): a small YAML scenario and seeded play.

The scenario is inline YAML so saves can embed it; three factions (two deconflicted sponsors'
clients and a hidden enemy) make random games with combat, hidden units and VP in a few ms.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from game.ai.random_agent import RandomAgent
from game.actions import EndTurn
from game.persistence import document
from game.scenario.loader import load_scenario, load_scenario_text
from game.session import PlayerSetup, Session

MINI_YAML = """\
format: 1
meta:
  id: mini
  name: "Mini valley"
  description: "A tiny test map for saves."
  start_date: 2017-09-01
  days_per_turn: 3
  turns: 6
  seed: 5
terrain_types:
  desert: {code: d, name: "Desert", move_cost: 1, defence: 1.0, colour: "#d9c38f"}
  urban:  {code: u, name: "Urban", move_cost: 2, defence: 2.0, colour: "#9a8f86"}
map:
  width: 10
  height: 8
  hex_km: 5
  default_terrain: desert
  rows:
    - "dddddddddd"
    - "dudddddudd"
    - "dddddddddd"
    - "dddddddddd"
    - "dddddddddd"
    - "dddddddddd"
    - "dduddddddd"
    - "dddddddddd"
places:
  - {name: Alpha, hex: [1, 1], kind: city}
  - {name: Bravo, hex: [7, 1], kind: town}
  - {name: Charlie, hex: [2, 6], kind: town, aliases: ["Šarlī", "شارلي"]}
factions:
  - {id: red, name: "Red", colour: "#b03a2e", vp_goal: 10}
  - {id: blue, name: "Blue", colour: "#2e5cb0", vp_goal: 10}
  - {id: black, name: "Black", colour: "#222222", vp_goal: 5, hidden: true}
relations:
  - [red, black, war]
  - [blue, black, war]
  - [red, blue, deconflicted]
unit_types:
  inf: {name: "Infantry", symbol: infantry, attack: 4, defence: 4, movement: 4, steps: 3}
  arm: {name: "Armour", symbol: armor, attack: 7, defence: 4, movement: 6, steps: 3}
units:
  - {id: r1, name: "Red 1", type: inf, faction: red, hex: [0, 0]}
  - {id: r2, name: "Red 2", type: arm, faction: red, hex: [0, 2]}
  - {id: b1, name: "Blue 1", type: inf, faction: blue, hex: [9, 0]}
  - {id: b2, name: "Blue 2", type: arm, faction: blue, hex: [9, 2]}
  - {id: k1, name: "Black 1", type: inf, faction: black, hex: [5, 4]}
  - {id: k2, name: "Black 2", type: inf, faction: black, hex: [4, 6]}
supply_sources:
  - {faction: red, hex: [0, 0], needs_control: false}
  - {faction: blue, hex: [9, 0], needs_control: false}
  - {faction: black, hex: [5, 5], needs_control: false}
objectives:
  - {name: Alpha, place: Alpha, vp_per_turn: 1, vp_end: 3}
  - {name: Bravo, place: Bravo, vp_per_turn: 1, vp_end: 3}
  - {name: Charlie, place: Charlie, vp_per_turn: 2, vp_end: 3}
"""


def write_mini(folder: Path, name: str = "mini.yaml", text: str = MINI_YAML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def mini_scenario(folder: Path | None = None):
    """The scenario loaded from a file in ``folder`` (so it has a source path), or from text."""
    if folder is None:
        return load_scenario_text(MINI_YAML, "mini.yaml")
    return load_scenario(write_mini(folder))


def agent_for(seed: int, turn: int, faction_index: int) -> RandomAgent:
    """A fresh agent per (game seed, turn, faction): play depends only on the position."""
    return RandomAgent(seed * 1_000_003 + turn * 101 + faction_index)


def play(session: Session, seed: int, until_turn: int | None = None, max_actions: int | None = None) -> None:
    """Play with per-turn seeded random agents until the game ends, ``until_turn`` starts, or
    ``max_actions`` actions are in the log."""
    st = session.state
    assert st is not None
    agent = None
    key = None
    while not st.terminal:
        if until_turn is not None and st.turn >= until_turn:
            return
        if max_actions is not None and len(session.actions) >= max_actions:
            return
        if key != (st.turn, st.active):
            key = (st.turn, st.active)
            agent = agent_for(seed, st.turn, st.active)
        assert agent is not None
        session.apply(agent.choose(st))


def new_session(scn, seed: int, humans: tuple[str, ...] = ()) -> Session:
    players = {f.id: PlayerSetup("human" if f.id in humans else "ai", "normal") for f in scn.factions}
    return Session.start(scn, seed, players)


def read_doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_doc(path: Path, doc: dict[str, Any], *, reseal: bool) -> None:
    """Write a (hand-edited) save document; ``reseal`` recomputes the integrity digest, as a
    determined editor would."""
    if reseal and doc.get("version", 0) >= 1:
        doc["integrity"] = document.integrity_of(doc)
    path.write_bytes(document.render(doc))


def end_turns(session: Session) -> int:
    return sum(isinstance(a, EndTurn) for a in session.actions)
