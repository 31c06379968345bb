"""Scenario events (Wesnoth-style): triggers on turn/date, on a hex captured, on tension; effects
such as messages, reinforcements, relation changes, VP and new supply sources.

Other rule modules add effect kinds by registering in ``EFFECT_HANDLERS``.
"""
from __future__ import annotations

from typing import Callable

from game.rules.terrain import tables
from game.scenario.model import Effect, Event, UnitSpec
from game.state import GameEvent, GameState, Unit

EffectHandler = Callable[[GameState, Effect, list[GameEvent]], None]
EFFECT_HANDLERS: dict[str, EffectHandler] = {}


def effect_handler(kind: str) -> Callable[[EffectHandler], EffectHandler]:
    def deco(fn: EffectHandler) -> EffectHandler:
        EFFECT_HANDLERS[kind] = fn
        return fn
    return deco


def fire(state: GameState, ev: Event, out: list[GameEvent]) -> None:
    if ev.once and ev.id in state.fired:
        return
    state.fired.add(ev.id)
    for eff in ev.effects:
        handler = EFFECT_HANDLERS.get(eff.kind)
        if handler is not None:
            handler(state, eff, out)


def fire_turn_events(state: GameState, out: list[GameEvent]) -> None:
    for ev in state.scenario.events:
        if ev.trigger.kind in ("turn", "date") and ev.trigger.turn is not None and ev.trigger.turn <= state.turn:
            if ev.id not in state.fired:
                fire(state, ev, out)


def fire_capture_events(state: GameState, cell: int, by: str, out: list[GameEvent]) -> None:
    for ev in state.scenario.events:
        tr = ev.trigger
        if tr.kind == "captured" and tr.cell == cell and (not ev.once or ev.id not in state.fired):
            if tr.by is None or tr.by == by:
                fire(state, ev, out)


def fire_tension_events(state: GameState, a: str, b: str, level: float, out: list[GameEvent]) -> None:
    for ev in state.scenario.events:
        tr = ev.trigger
        if tr.kind == "tension" and ev.id not in state.fired and tr.pair and set(tr.pair) == {a, b}:
            if tr.level is not None and level > tr.level:
                fire(state, ev, out)


# --- placing units ---------------------------------------------------------------------

def place_unit(state: GameState, spec: UnitSpec) -> Unit | None:
    """Put a reinforcement on its hex, or the nearest free hex within 3; None if no room."""
    grid = state.scenario.grid
    t = tables(state.scenario)
    limit = state.scenario.rules.stacking
    occ = state.occupancy()
    for cell in _spiral_cells(grid, spec.cell, 3):
        if t.move_cost[cell] >= 99:
            continue
        here = occ.get(cell, [])
        if any(not state.friendly(u.faction, spec.faction) for u in here):
            continue
        if len(here) >= limit:
            continue
        ut = state.scenario.unit_types[spec.type]
        u = Unit.from_spec(spec, ut)
        u.cell = cell
        u.mp = ut.movement
        state.units[u.id] = u
        return u
    return None


def _spiral_cells(grid, cell: int, radius: int) -> list[int]:
    from game.hexgrid import spiral
    out = []
    for h in spiral(grid.hex(cell), radius):
        if grid.in_bounds(h):
            out.append(grid.cell(h))
    return out


def arrive(state: GameState, spec: UnitSpec, message: str, out: list[GameEvent]) -> bool:
    u = place_unit(state, spec)
    if u is None:
        return False
    old = int(state.control[u.cell])
    if old < 0 or state.at_war(state.scenario.factions[old].id, u.faction):
        state.control[u.cell] = state.faction_index(u.faction)
    if u.faction in state.eliminated:          # a scripted return brings the faction back
        state.eliminated.remove(u.faction)
    text = message or f"Reinforcement: {u.name} arrives."
    out.append(GameEvent("reinforcement", text, faction=u.faction, data={"unit": u.id, "cell": u.cell}, turn=state.turn))
    return True


def deliver_reinforcements(state: GameState, fid: str, out: list[GameEvent]) -> None:
    """Units due by now for ``fid`` arrive; those with no room wait for the next turn."""
    keep = []
    for turn, spec, msg in state.pending:
        if spec.faction == fid and turn <= state.turn:
            if spec.id in state.units:
                continue
            if not arrive(state, spec, msg, out):
                keep.append((turn + 1, spec, msg))
        else:
            keep.append((turn, spec, msg))
    state.pending = keep


# --- built-in effects --------------------------------------------------------------------

@effect_handler("message")
def _message(state: GameState, eff: Effect, out: list[GameEvent]) -> None:
    text = eff.data.get("text") or eff.data.get("message") or ""
    out.append(GameEvent("message", str(text), data={"faction": eff.data.get("faction")}, turn=state.turn))


@effect_handler("reinforcements")
def _reinforce(state: GameState, eff: Effect, out: list[GameEvent]) -> None:
    for spec in eff.data.get("units", ()):
        # arrive at the start of the owner's next turn (or now, if it is their turn)
        state.pending.append((state.turn, spec, eff.data.get("message", "")))
    deliver_reinforcements(state, state.active_faction, out)


@effect_handler("relation")
def _relation(state: GameState, eff: Effect, out: list[GameEvent]) -> None:
    a, b, status = eff.data["a"], eff.data["b"], eff.data["status"]
    key = (a, b) if a < b else (b, a)
    old = state.relations.get(key, "neutral")
    state.relations[key] = status
    out.append(GameEvent("relation", f"Relations between {a} and {b}: {old} -> {status}",
                         data={"a": a, "b": b, "old": old, "status": status}, turn=state.turn))


@effect_handler("vp")
def _vp(state: GameState, eff: Effect, out: list[GameEvent]) -> None:
    fi = state.faction_index(eff.data["faction"])
    amt = float(eff.data["amount"])
    state.vp[fi] += amt
    out.append(GameEvent("vp", f"{state.scenario.factions[fi].name} {amt:+g} VP", faction=eff.data["faction"],
                         data={"amount": amt}, turn=state.turn))


@effect_handler("supply_source")
def _supply(state: GameState, eff: Effect, out: list[GameEvent]) -> None:
    src = eff.data["source"]
    state.extra_sources.append(src)
    out.append(GameEvent("supply", f"New supply source for {src.faction}" + (f": {src.name}" if src.name else ""),
                         faction=src.faction, data={"cell": src.cell}, turn=state.turn))
