"""``python main.py screenshot`` (flags defined in ``game.cli``): render the map view to a PNG without a window (for docs).

The picture is what a player sees: the map with control, fog (of ``--viewer``, or none), units,
deconfliction lines, a title cartouche, a legend and the minimap.  ``--turn N`` first lets
random agents play N turns so the map shows a game in progress.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

from game.errors import DeconflictionError, ScenarioError  # noqa: E402
from game.scenario.model import Scenario  # noqa: E402
from game.ui import theme  # noqa: E402
from game.ui.camera import ZOOM_LEVELS, Camera, snap_zoom  # noqa: E402
from game.ui.map_view import MapView, Overlay, draw_legend  # noqa: E402
from game.ui.minimap import Minimap  # noqa: E402

MAX_SIDE = 8000
LEGEND_W = 290


def cmd_screenshot(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except ScenarioError as e:
        more = f" (and {len(e.problems) - 1} more problems)" if len(e.problems) > 1 else ""
        print(f"error: {e.problems[0] if e.problems else e}{more}", file=sys.stderr)
        return 1
    except DeconflictionError as e:
        print(f"error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 1


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 1


def _run(args: argparse.Namespace) -> int:
    if not (64 <= args.width <= MAX_SIDE and 64 <= args.height <= MAX_SIDE):
        return _fail(f"--width and --height must be between 64 and {MAX_SIDE} pixels")
    if args.turn < 0:
        return _fail("--turn must be 0 or more")
    if args.zoom is not None and not (ZOOM_LEVELS[0] <= args.zoom <= ZOOM_LEVELS[-1]):
        return _fail(f"--zoom must be between {ZOOM_LEVELS[0]:g} and {ZOOM_LEVELS[-1]:g}")
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        return _fail(f"--out must name a .png file, not {args.out!r}")
    if not out.parent.is_dir() and str(out.parent) not in ("", "."):
        return _fail(f"--out folder {str(out.parent)!r} does not exist")
    if not Path(args.scenario).is_file():
        return _fail(f"scenario file not found: {args.scenario}")

    from game import engine
    from game.scenario.loader import load_scenario
    scn = load_scenario(args.scenario)
    ids = [f.id for f in scn.factions]
    if args.viewer is not None and args.viewer not in ids:
        return _fail(f"--viewer {args.viewer!r} is not a faction of this scenario (choose from: {', '.join(ids)})")
    state = engine.new_game(scn, args.seed)
    if args.turn:
        _play(state, args.turn, args.seed if args.seed is not None else scn.meta.seed)
    centre = None
    if args.centre:
        centre = _centre_cell(scn, args.centre)
        if centre is None:
            return _fail(f"--centre {args.centre!r} is neither a place of this scenario nor COL,ROW on the map")

    pygame.font.init()
    surf = render(scn, state, (args.width, args.height), args.viewer, args.zoom, centre, not args.no_legend)
    tmp = out.with_name(f".{out.stem}.tmp.png")
    try:
        pygame.image.save(surf, str(tmp))
        os.replace(tmp, out)
    except (OSError, pygame.error) as e:
        tmp.unlink(missing_ok=True)
        return _fail(f"could not write {args.out}: {e}")
    print(f"wrote {out} ({args.width}x{args.height}, turn {state.turn}, "
          f"{'fog of ' + args.viewer if args.viewer else 'no fog'})")
    return 0


def _play(state: Any, turns: int, seed: int) -> None:
    from game.ai.base import play_turn
    from game.ai.registry import make_agent
    agents = {f.id: make_agent("random", seed=seed + i) for i, f in enumerate(state.scenario.factions)}
    last = state.turn + turns
    guard = 0
    while not state.terminal and state.turn < last and guard < 10_000:
        play_turn(agents[state.active_faction], state)
        guard += 1


def _centre_cell(scn: Scenario, text: str) -> int | None:
    p = scn.place(text)
    if p is not None:
        return p.cell
    try:
        col, row = (int(v) for v in text.split(","))
    except ValueError:
        return None
    if 0 <= col < scn.grid.width and 0 <= row < scn.grid.height:
        return scn.grid.cell_of_offset(col, row)
    return None


def default_view(view: MapView, scn: Scenario, state: Any, size: tuple[int, int], zoom: float | None,
                 centre: int | None) -> Camera:
    """A camera for a picture: the whole map if it fits at a readable zoom (counters at least
    ~30 px), else zoom 1 centred on where the armies and the objectives are."""
    ww, wh = view.world_size()
    if zoom is None:
        fits = [z for z in ZOOM_LEVELS if ww * z <= size[0] and wh * z <= size[1]]
        zoom = max(fits) if fits and max(fits) >= 1.0 else 1.0
    cam = Camera(zoom=snap_zoom(zoom))
    if centre is not None:
        cx, cy = view.cell_centre_world(centre)
    else:
        pts = [view.cell_centre_world(o.cell) for o in scn.objectives]
        if state is not None:
            pts += [view.cell_centre_world(u.cell) for u in state.units.values()]
        if pts:
            cx, cy = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
        else:
            cx, cy = ww / 2, wh / 2
    cam.centre_on(cx, cy, size)
    cam.clamp(view.world_rect(), size)
    return cam


def render(scn: Scenario, state: Any, size: tuple[int, int], viewer: str | None = None,
           zoom: float | None = None, centre: int | None = None, legend: bool = True) -> pygame.Surface:
    """The whole picture as a Surface (no display needed)."""
    surf = pygame.Surface(size)
    view = MapView(scn)
    legend = legend and size[0] >= 900 and size[1] >= 600
    free = (size[0] - LEGEND_W - 24, size[1]) if legend else size   # frame the map beside the legend
    cam = default_view(view, scn, state, free, zoom, centre)
    rect = pygame.Rect(0, 0, *size)
    view.draw(surf, rect, cam, state, viewer, Overlay())
    _cartouche(surf, scn, state, viewer)
    if legend:
        draw_legend(surf, (size[0] - LEGEND_W - 12, 12), scn, LEGEND_W)
    if size[0] >= 700 and size[1] >= 500:
        mw = 240
        ww, wh = view.world_size()
        mh = int(mw * wh / ww) + 8
        mm = Minimap(scn, (mw, mh), map_view=view)
        mm.draw(surf, pygame.Rect(size[0] - mw - 12, size[1] - mh - 12, mw, mh), state, viewer, cam, rect)
    return surf


def _cartouche(surf: pygame.Surface, scn: Scenario, state: Any, viewer: str | None) -> None:
    title = theme.font(34, True).render(scn.meta.name, True, (34, 28, 20))
    date = state.date.strftime("%d %B %Y").lstrip("0") if state is not None else ""
    sub = f"Turn {state.turn} of {scn.meta.turns}  -  {date}" if state is not None else ""
    if viewer:
        sub += f"  -  as seen by {next(f.name for f in scn.factions if f.id == viewer)}"
    km = scn.grid.hex_km
    sub2 = f"1 hex = {km:g} km"
    s1 = theme.font(22).render(sub, True, (50, 42, 30))
    s2 = theme.font(18).render(sub2, True, (70, 60, 44))
    w = max(title.get_width(), s1.get_width(), s2.get_width()) + 28
    h = title.get_height() + s1.get_height() + s2.get_height() + 22
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((246, 240, 222, 236))
    surf.blit(box, (12, 12))
    pygame.draw.rect(surf, (60, 52, 40), (12, 12, w, h), 2)
    pygame.draw.rect(surf, (60, 52, 40), (16, 16, w - 8, h - 8), 1)
    y = 20
    for s in (title, s1, s2):
        surf.blit(s, (26, y))
        y += s.get_height() + 3
