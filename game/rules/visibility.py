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
    for u in state.units.values():
        if state.friendly(u.faction, fid):
            vis[_disc(state, u.cell, state.utype(u).sight)] = True
    for c in isr_cells(state, fid):
        vis[c] = True
    return vis


def _disc(state: GameState, cell: int, radius: int) -> list[int]:
    cache = state.scenario.extra.setdefault("_discs", {})
    key = (cell, radius)
    d = cache.get(key)
    if d is None:
        d = state.scenario.grid.cells_within(cell, radius)
        cache[key] = d
    return d


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
    vis = visible_cells(state, fid)
    own = [u.cell for u in state.units.values() if state.friendly(u.faction, fid)]
    return [u for u in state.units.values() if unit_visible(state, u, fid, vis, own)]


def observation(state: GameState, fid: str) -> GameState:
    """A copy of the state holding only what ``fid`` knows: unseen enemy units removed.

    Agents that must respect fog plan on this copy; actions they pick are then applied to
    the real state (moves into unseen enemies are stopped on contact by the engine).
    """
    seen = {u.id for u in visible_units(state, fid)}
    obs = state.clone()
    obs.units = {k: u for k, u in obs.units.items() if k in seen}
    return obs
