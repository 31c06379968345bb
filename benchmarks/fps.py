"""``python benchmarks/fps.py``: frames per second panning the full default map at 1280x800.

Opens a 1280x800 window with SDL's dummy video driver (no screen needed), starts the default
scenario, and pans the camera across the whole map - a zig-zag sweep at 12 px per frame at
zoom 1, then the same at zoom 0.75 and 1.5 - drawing the map, units, control, fog (one
faction's view), deconfliction lines and the minimap every frame, exactly as the game does.
Reports mean and median fps, the 95th percentile and worst frame times, prints one line and
writes benchmarks/results/fps.json.  The first frame (cold caches) is reported separately.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

from game import engine  # noqa: E402
from game.scenario.loader import load_scenario  # noqa: E402
from game.ui.camera import Camera  # noqa: E402
from game.ui.map_view import MapView, Overlay  # noqa: E402
from game.ui.minimap import Minimap  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "deir_ez_zor_2017.yaml"
RESULTS = ROOT / "benchmarks" / "results"
SIZE = (1280, 800)


def sweep(view: MapView, cam: Camera, frames: int, speed: float) -> list[tuple[float, float]]:
    """Camera positions for a zig-zag over the whole map: right, 200 px down, left, ..."""
    ww, wh = view.world_size()
    vw, vh = SIZE[0] / cam.zoom, SIZE[1] / cam.zoom
    xmax, ymax = max(0.0, ww - vw), max(0.0, wh - vh)
    step = speed / cam.zoom
    out: list[tuple[float, float]] = []
    x, y, dx = 0.0, 0.0, step
    while len(out) < frames:
        out.append((x, y))
        x += dx
        if x > xmax or x < 0:
            x = min(max(x, 0.0), xmax)
            dx = -dx
            y = y + 200 / cam.zoom if y + 200 / cam.zoom <= ymax else 0.0
    return out


def run(scenario: str, frames: int, viewer: str | None) -> dict:
    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode(SIZE)
    scn = load_scenario(scenario)
    state = engine.new_game(scn)
    if viewer is None:
        viewer = scn.factions[0].id
    t0 = time.perf_counter()
    view = MapView(scn)
    mini = Minimap(scn, (220, 200), map_view=view)
    setup_ms = (time.perf_counter() - t0) * 1000
    rect = pygame.Rect(0, 0, *SIZE)
    mini_rect = pygame.Rect(SIZE[0] - 230, SIZE[1] - 210, 220, 200)
    overlay = Overlay(show_lines=True, show_grid=True)
    times: list[float] = []
    first_ms = None
    per_zoom = {}
    for zoom, share in ((1.0, 0.5), (0.75, 0.25), (1.5, 0.25)):
        cam = Camera(zoom=zoom)
        n = max(1, int(frames * share))
        zt: list[float] = []
        for x, y in sweep(view, cam, n, 12.0):
            cam.x, cam.y = x, y
            f0 = time.perf_counter()
            view.draw(screen, rect, cam, state, viewer, overlay)
            mini.draw(screen, mini_rect, state, viewer, cam, rect)
            pygame.display.flip()
            pygame.event.pump()
            dt = time.perf_counter() - f0
            if first_ms is None:
                first_ms = dt * 1000
                continue
            zt.append(dt)
        per_zoom[f"{zoom:g}"] = round(len(zt) / sum(zt), 1) if zt else None
        times.extend(zt)
    total = sum(times)
    ms = sorted(t * 1000 for t in times)
    res = {
        "fps": round(len(times) / total, 1),
        "mean_fps": round(len(times) / total, 1),
        "median_fps": round(1000 / statistics.median(ms), 1),
        "p95_frame_ms": round(ms[int(len(ms) * 0.95) - 1], 2),
        "worst_frame_ms": round(ms[-1], 2),
        "first_frame_ms": round(first_ms or 0.0, 1),
        "setup_ms": round(setup_ms, 1),
        "frames": len(times),
        "fps_by_zoom": per_zoom,
        "size": list(SIZE),
        "scenario": os.path.relpath(scenario, ROOT) if os.path.isabs(scenario) else scenario,
        "map_hexes": scn.grid.n_cells,
        "viewer": viewer,
        "video_driver": os.environ.get("SDL_VIDEODRIVER"),
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
        "load_avg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    pygame.display.quit()
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    p.add_argument("--frames", type=int, default=1200)
    p.add_argument("--viewer", default=None, help="whose fog to draw (default: the first faction)")
    p.add_argument("--out", default=str(RESULTS / "fps.json"))
    args = p.parse_args(argv)
    if not Path(args.scenario).is_file():
        print(f"error: scenario file not found: {args.scenario}", file=sys.stderr)
        return 1
    res = run(args.scenario, max(10, args.frames), args.viewer)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
    print(f"fps: mean {res['mean_fps']:.0f}, median {res['median_fps']:.0f}, p95 frame {res['p95_frame_ms']:.1f} ms, "
          f"worst frame {res['worst_frame_ms']:.1f} ms, first frame {res['first_frame_ms']:.0f} ms "
          f"({res['frames']} frames panning {res['map_hexes']} hexes at {SIZE[0]}x{SIZE[1]}; "
          f"by zoom {res['fps_by_zoom']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
