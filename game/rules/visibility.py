"""Fog of war: what a faction can see.

A faction sees its own and allied units, every hex within its units' sight, and hexes its ISR
has revealed this turn.  Units of a *hidden* faction (ISIL) are seen only when adjacent to an
observer, inside an ISR-revealed hex, or once spotted this turn (by bumping into them).
"""
from __future__ import annotations

import numpy as np

from game.state import GameState, Unit


def isr_cells(state: GameState, fid: str) -> set[int]:
    air = state.air
    if air is None:
        return set()
    get = getattr(air, "revealed_cells", None)
    return get(fid) if get else set()


def visible_cells(state: GameState, fid: str) -> np.ndarray:
    """Boolean (n_cells,) array of hexes ``fid`` can see now."""
    grid = state.scenario.grid
    vis = np.zeros(grid.n_cells, dtype=bool)
    cells = _sight_set(state, _friendly_units(state, fid))
    cells.update(isr_cells(state, fid))
    if cells:
        vis[list(cells)] = True
    return vis


def _friendly_units(state: GameState, fid: str) -> list[Unit]:
    return [u for u in state.units.values() if state.friendly(u.faction, fid)]


def _disc_set(state: GameState, cell: int, radius: int) -> frozenset[int]:
    """``_disc`` as a frozenset, so a faction's whole view is one C-level set union."""
    cache = state.scenario.extra.setdefault("_disc_sets", {})
    key = (cell, radius)
    d = cache.get(key)
    if d is None:
        d = frozenset(_disc(state, cell, radius))
        cache[key] = d
    return d


def _sight_set(state: GameState, own: list[Unit]) -> set[int]:
    discs = state.scenario.extra.setdefault("_disc_sets", {})
    sight = _sights(state)
    return set().union(*[discs.get((u.cell, sight[u.type])) or _disc_set(state, u.cell, sight[u.type])
                         for u in own])


def _sights(state: GameState) -> dict[str, int]:
    got = state.scenario.extra.get("_sights")
    if got is None:
        got = {k: t.sight for k, t in state.scenario.unit_types.items()}
        state.scenario.extra["_sights"] = got
    return got


def seen_ids(state: GameState, fid: str) -> set[str]:
    """Ids of the units not friendly to ``fid`` that ``fid`` sees now.

    The same test as ``unit_visible`` for every such unit, done with set lookups (the sight
    and adjacency discs of all friendly units united once) because moves and movement
    searches ask it for the whole map every time.
    """
    scn = state.scenario
    friendly = {f.id: state.friendly(f.id, fid) for f in scn.factions}
    own: list[Unit] = []
    others: list[Unit] = []
    for u in state.units.values():
        ok = friendly.get(u.faction)
        if ok is None:
            ok = state.friendly(u.faction, fid)
        (own if ok else others).append(u)
    out: set[str] = set()
    if not others:
        return out
    hidden = {f.id for f in scn.factions if f.hidden}
    spotted = state.spotted.get(fid, ())
    isr = isr_cells(state, fid)
    sight: set[int] | None = None
    near: set[int] | None = None
    for o in others:
        if o.id in spotted:
            out.add(o.id)
        elif o.faction in hidden:
            if o.cell in isr:
                out.add(o.id)
                continue
            if near is None:
                discs = scn.extra.setdefault("_disc_sets", {})
                near = set().union(*[discs.get((u.cell, 1)) or _disc_set(state, u.cell, 1) for u in own])
            if o.cell in near:
                out.add(o.id)
        else:
            if sight is None:
                sight = _sight_set(state, own)
                sight.update(isr)
            if o.cell in sight:
                out.add(o.id)
    return out


def _disc(state: GameState, cell: int, radius: int) -> list[int]:
    cache = state.scenario.extra.setdefault("_discs", {})
    key = (cell, radius)
    d = cache.get(key)
    if d is None:
        d = state.scenario.grid.cells_within(cell, radius)
        cache[key] = d
    return d


def sees_unit(state: GameState, unit: Unit, fid: str, first: Unit | None = None) -> bool:
    """``unit_visible`` for one unit, asked of the friendly units themselves (``first`` - usually
    the unit that wants to shoot - is tried before the rest), without the faction's whole view."""
    if state.friendly(unit.faction, fid):
        return True
    if unit.id in state.spotted.get(fid, ()):
        return True
    scn = state.scenario
    grid = scn.grid
    if unit.cell in isr_cells(state, fid):
        return True
    hidden = scn.factions[state.faction_index(unit.faction)].hidden
    sights = _sights(state)
    cell = unit.cell
    if first is not None and state.friendly(first.faction, fid):
        d = grid.distance(first.cell, cell)
        if d <= (1 if hidden else sights[first.type]):
            return True
    for u in state.units.values():
        if state.friendly(u.faction, fid) and grid.distance(u.cell, cell) <= (1 if hidden else sights[u.type]):
            return True
    return False


def unit_visible(state: GameState, unit: Unit, fid: str, vis: np.ndarray | None = None,
                 own_cells: list[int] | None = None) -> bool:
    if state.friendly(unit.faction, fid):
        return True
    if unit.id in state.spotted.get(fid, ()):
        return True
    grid = state.scenario.grid
    fac = state.scenario.factions[state.faction_index(unit.faction)]
    if fac.hidden:
        if unit.cell in isr_cells(state, fid):
            return True
        cells = own_cells if own_cells is not None else [u.cell for u in state.units.values() if state.friendly(u.faction, fid)]
        return any(grid.distance(unit.cell, c) <= 1 for c in cells)
    if vis is None:
        vis = visible_cells(state, fid)
    return bool(vis[unit.cell])


def visible_units(state: GameState, fid: str) -> list[Unit]:
    """Every unit ``fid`` can see (own and allied included)."""
    seen = seen_ids(state, fid)
    return [u for u in state.units.values() if u.id in seen or state.friendly(u.faction, fid)]


def observation(state: GameState, fid: str) -> GameState:
    """A copy of the state holding only what ``fid`` knows: unseen enemy units removed.

    Agents that must respect fog plan on this copy; actions they pick are then applied to
    the real state (moves into unseen enemies are stopped on contact by the engine).
    """
    seen = {u.id for u in visible_units(state, fid)}
    obs = state.clone()
    obs.units = {k: u for k, u in obs.units.items() if k in seen}
    return obs
