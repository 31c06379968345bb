"""Air power and airspace deconfliction, plugged into the engine.

``game.engine._load_plugins`` imports this module; importing it registers the air actions,
the turn and combat hooks and the air event effects.  The rules live in
``game.rules.airspace`` (see that package and docs/airspace.md); this module is the public
face for UI and AI code:

    AirMission(wing, mission, target, announce=True, wait=False)   # action "air"
    IsrAnswer(request, accept)                                     # action "isr_answer"
    predict_air(state, mission) -> AirPrediction
    air_actions_for(state) -> list[Action]        # sensible, legal air actions for the active faction
    zone_owner(state, cell) -> wing id | None     # whose airspace a hex is (None = contested)
    zones(state) -> np.ndarray                    # cell -> wing index, -1 contested
    tension(state, a, b) -> float; sorties(state, wing) -> int; wing_for(state, faction)
    move_tension(state, unit, path) -> float      # what a ground move across a line would add
"""
from __future__ import annotations

from game import engine
from game.rules import events as ev_rules
from game.rules.airspace import lines, missions, tension as tension_rules
from game.rules.airspace.airstate import AirState, Queued, Reveal, air_spec, pair_key
from game.rules.airspace.lines import zone_owner, zones
from game.rules.airspace.missions import (AirMission, AirPrediction, IsrAnswer, air_actions_for,
                                          pending_requests, predict_air, wing_for)
from game.scenario.model import Effect
from game.state import GameEvent, GameState

__all__ = [
    "AirMission", "IsrAnswer", "AirPrediction", "AirState", "Reveal", "Queued", "predict_air",
    "air_actions_for", "zone_owner", "zones", "tension", "sorties", "move_tension", "wing_for", "pending_requests",
    "air_spec", "pair_key",
]


def tension(state: GameState, a: str, b: str) -> float:
    """The tension meter between wings ``a`` and ``b`` (0 if they have none)."""
    if state.air is None:
        return 0.0
    return state.air.tension.get(pair_key(a, b), 0.0)


def sorties(state: GameState, wing: str) -> int:
    return 0 if state.air is None else state.air.sorties.get(wing, 0)


def move_tension(state: GameState, unit, path) -> float:
    """Tension a ground move along ``path`` would add (crossing into the other sponsor's zone)."""
    spec = air_spec(state.scenario)
    if spec is None or state.air is None:
        return 0.0
    own = spec.wing_of(unit.faction)
    if own is None or (unit.id, state.turn) in state.air.crossed:
        return 0.0
    z = zones(state)
    for c in path:
        zi = int(z[c])
        if zi >= 0 and tension_rules.paired(spec, own.id, spec.wings[zi].id):
            return spec.tension.costs["crossing"]
    return 0.0


# --- hooks ---------------------------------------------------------------------------------------

def _new_game(state: GameState) -> None:
    spec = air_spec(state.scenario)
    if spec is None:
        return
    air = AirState()
    for w in spec.wings:
        air.base_sorties[w.id] = w.sorties
        air.sorties[w.id] = 0          # filled when the wing's first faction starts its turn
    for p in spec.pairs():
        air.tension[p] = min(spec.tension.start, spec.tension.maximum)
        air.fired[p] = frozenset(i for i, th in enumerate(spec.tension.thresholds)
                                 if air.tension[p] >= th.at)
    state.air = air


def _start_turn(state: GameState, fid: str, out: list[GameEvent]) -> None:
    spec = air_spec(state.scenario)
    air = state.air
    if spec is None or air is None:
        return
    _run_schedule(state, spec, out)
    lines.note_line_changes(state, out)
    # ISR and hotline notices last until the flyer's next turn starts
    keep = [r for r in air.reveals if not (r.flyer == fid and r.turn < state.turn)]
    if len(keep) != len(air.reveals):
        air.set_reveals(keep)
    air.cas = {k: t for k, t in air.cas.items() if t >= state.turn}
    air.no_fly = [x for x in air.no_fly if state.turn < x[2]]
    for w in spec.wings:
        present = [f for f in w.factions if f in {x.id for x in state.scenario.factions}]
        if not present or min(present, key=state.faction_index) != fid:
            continue
        n = air.base_sorties.get(w.id, w.sorties)
        if w.id in air.suspended:
            left, held = air.suspended[w.id]
            n = max(0, n - held) if held else 0
            if left <= 1:
                del air.suspended[w.id]
            else:
                air.suspended[w.id] = (left - 1, held)
            out.append(GameEvent("air", f"{w.name}: sorties suspended this turn ({n} available)",
                                 faction=fid, data={"wing": w.id, "sorties": n}, turn=state.turn))
        air.sorties[w.id] = n
    missions.offer_requests(state, fid, out)
    missions.fly_queued(state, fid, out)


def _run_schedule(state: GameState, spec, out: list[GameEvent]) -> None:
    """Fire ``air.schedule`` entries that are due (in order, each once)."""
    air = state.air
    due = sorted(range(len(spec.schedule)), key=lambda i: (spec.schedule[i].turn, i))
    for n, i in enumerate(due):
        if n < air.schedule_done:
            continue
        if spec.schedule[i].turn > state.turn:
            break
        air.schedule_done = n + 1
        for eff in spec.schedule[i].effects:
            handler = ev_rules.EFFECT_HANDLERS.get(eff.kind)
            if handler is not None:
                handler(state, eff, out)


def _end_round(state: GameState, out: list[GameEvent]) -> None:
    tension_rules.end_of_round(state, out)


def _move_done(state: GameState, unit, walked: tuple[int, ...], out: list[GameEvent]) -> None:
    tension_rules.ground_crossing(state, unit, walked, out)


# --- event effects -------------------------------------------------------------------------------

@ev_rules.effect_handler("lines")
def _effect_lines(state: GameState, eff: Effect, out: list[GameEvent]) -> None:
    """Suspend, restore, redraw or extend a deconfliction line."""
    spec = air_spec(state.scenario)
    air = state.air
    if spec is None or air is None:
        return
    lid, action = eff.data["line"], eff.data["action"]
    line = next((ln for ln in spec.lines if ln.id == lid), None)
    if line is None:
        return
    pts = tuple(tuple(p) for p in eff.data.get("points", ()))
    if action == "suspend":
        air.line_suspended.add(lid)
    elif action == "restore":
        air.line_suspended.discard(lid)
    elif action == "redraw":
        air.line_points[lid] = pts
    elif action == "extend":
        air.line_points[lid] = lines.line_points(state, line) + pts
    out.append(GameEvent("lines", f"Deconfliction line {line.name or lid}: {action}",
                         data={"line": lid, "action": action}, turn=state.turn))
    lines.note_line_changes(state, out)


@ev_rules.effect_handler("tension")
def _effect_tension(state: GameState, eff: Effect, out: list[GameEvent]) -> None:
    if state.air is None:
        return
    a, b = eff.data["pair"]
    tension_rules.change_tension(state, pair_key(a, b), float(eff.data["change"]), out, reason="event")


@ev_rules.effect_handler("sorties")
def _effect_sorties(state: GameState, eff: Effect, out: list[GameEvent]) -> None:
    """A lasting change to a wing's sorties per round (this round's pool changes too)."""
    air = state.air
    if air is None or eff.data["wing"] not in air.base_sorties:
        return
    w, d = eff.data["wing"], int(eff.data["change"])
    air.base_sorties[w] = max(0, air.base_sorties[w] + d)
    air.sorties[w] = max(0, air.sorties.get(w, 0) + d)
    out.append(GameEvent("air", f"{w}: {d:+d} sorties per turn (now {air.base_sorties[w]})",
                         data={"wing": w, "change": d}, turn=state.turn))


def _register() -> None:
    if _new_game in engine.NEW_GAME_HOOKS:
        return
    engine.ACTION_HANDLERS[AirMission.kind] = missions.apply_mission          # type: ignore[assignment]
    engine.ACTION_HANDLERS[IsrAnswer.kind] = missions.apply_answer            # type: ignore[assignment]
    engine.NEW_GAME_HOOKS.append(_new_game)
    engine.START_TURN_HOOKS.append(_start_turn)
    engine.END_ROUND_HOOKS.append(_end_round)
    engine.MOVE_DONE_HOOKS.append(_move_done)
    engine.COMBAT_SHIFT_HOOKS.append(missions.cas_shift)
    engine.COMBAT_DONE_HOOKS.append(missions.after_combat)
    engine.LEGAL_HOOKS.append(missions.legal_air_actions)


_register()
