"""Victory points: objectives score for their holder every turn and at the end; the winner is
the faction with the highest share of its own goal.  Sudden death ends the game at once."""
from __future__ import annotations

from game.state import GameEvent, GameState


def objective_owner(state: GameState, idx: int) -> int:
    obj = state.scenario.objectives[idx]
    owner = int(state.control[obj.cell])
    if owner < 0:
        return -1
    if obj.factions and state.scenario.factions[owner].id not in obj.factions:
        return -1
    return owner


def score_turn(state: GameState, final: bool = False) -> list[GameEvent]:
    """Add each objective's per-turn points (and end points when ``final``) to its holder."""
    gained = [0.0] * len(state.vp)
    for i, obj in enumerate(state.scenario.objectives):
        owner = objective_owner(state, i)
        if owner < 0:
            continue
        gained[owner] += obj.vp_per_turn + (obj.vp_end if final else 0.0)
    for i, g in enumerate(gained):
        state.vp[i] += g
    events = []
    if any(gained):
        text = ", ".join(f"{state.scenario.factions[i].name} +{g:g}" for i, g in enumerate(gained) if g)
        events.append(GameEvent("vp", f"Victory points: {text}", data={"gained": gained}, turn=state.turn))
    return events


def territory(state: GameState) -> list[int]:
    n = len(state.scenario.factions)
    counts = [0] * n
    for i in range(n):
        counts[i] = int((state.control == i).sum())
    return counts


def scores(state: GameState) -> list[float]:
    """Each faction's VP as a share of its goal (raw VP where the goal is 0)."""
    out = []
    for f, v in zip(state.scenario.factions, state.vp):
        out.append(v / f.vp_goal if f.vp_goal > 0 else v)
    return out


def decide_winner(state: GameState) -> str:
    sc = scores(state)
    best = max(sc)
    leaders = [state.scenario.factions[i].id for i, s in enumerate(sc) if abs(s - best) < 1e-9]
    return leaders[0] if len(leaders) == 1 else "draw"


def sudden_death(state: GameState) -> str | None:
    for sd in state.scenario.sudden_death:
        fi = state.faction_index(sd.faction)
        if sd.control and all(int(state.control[c]) == fi for c in sd.control):
            return sd.faction
    return None
