"""The map renderer, headless: camera maths, hex picking, what ends up on the pixels, the
screenshot command."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import dataclasses  # noqa: E402
import math  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from builders import barrier, cell, make  # noqa: E402
from game import engine  # noqa: E402
from game.cli import main as cli_main  # noqa: E402
from game.ui import counters, theme  # noqa: E402
from game.ui.camera import BASE_HEX_PX, ZOOM_LEVELS, Camera  # noqa: E402
from game.ui.map_view import MapView, Overlay, air_picture, chain_segments, chaikin  # noqa: E402
from game.ui.minimap import Minimap  # noqa: E402

RED, BLUE = (200, 30, 40), (30, 80, 200)
VIEW = pygame.Rect(40, 30, 640, 480)


@pytest.fixture(scope="module", autouse=True)
def _pygame():
    pygame.font.init()
    yield


def scenario():
    s = make(12, 10, units=[("r1", "inf", "red", 1, 1), ("r2", "arm", "red", 2, 1), ("b1", "art", "blue", 10, 8)],
             rivers=[(barrier(12, 10, 5), [(5, 4, 6, 4)])],
             roads=[[(0, 6), (1, 6), (2, 6), (3, 6), (4, 6)]], objectives=[("Town", 8, 2, 2, 10)])
    s.factions = [dataclasses.replace(s.factions[0], colour="#c81e28"),
                  dataclasses.replace(s.factions[1], colour="#1e50c8")]
    return s


def surface() -> pygame.Surface:
    return pygame.Surface((720, 540))


def centre_on_cell(view: MapView, cam: Camera, c: int) -> tuple[int, int]:
    cam.centre_on(*view.cell_centre_world(c), VIEW.size)
    cam.origin = VIEW.topleft
    x, y = cam.world_to_screen(*view.cell_centre_world(c))
    return int(round(x)), int(round(y))


# --- camera -------------------------------------------------------------------------------------

def test_camera_round_trips_at_every_zoom() -> None:
    for z in ZOOM_LEVELS:
        cam = Camera(x=123.4, y=-56.7, zoom=z, origin=(40, 30))
        for wx, wy in [(0, 0), (500.5, 300.25), (-20, 1900)]:
            sx, sy = cam.world_to_screen(wx, wy)
            bx, by = cam.screen_to_world(sx, sy)
            assert math.isclose(bx, wx, abs_tol=1e-6) and math.isclose(by, wy, abs_tol=1e-6)


def test_zoom_at_keeps_the_point_under_the_cursor() -> None:
    cam = Camera(x=200, y=100, zoom=1.0, origin=(40, 30))
    for factor, sx, sy in [(1.2, 300, 200), (1.2, 600, 420), (0.8, 100, 90), (0.8, 333, 333), (1.2, 41, 31)]:
        before = cam.screen_to_world(sx, sy)
        z0 = cam.zoom
        cam.zoom_at(factor, sx, sy)
        assert (cam.zoom > z0) == (factor > 1) or cam.zoom in (ZOOM_LEVELS[0], ZOOM_LEVELS[-1])
        after = cam.world_to_screen(*before)
        assert abs(after[0] - sx) <= 1 and abs(after[1] - sy) <= 1
    assert cam.zoom in ZOOM_LEVELS


def test_pan_moves_content_with_the_drag_and_clamp_keeps_the_map_in_view() -> None:
    cam = Camera(zoom=2.0)
    p = cam.world_to_screen(100, 100)
    cam.pan(30, -10)
    q = cam.world_to_screen(100, 100)
    assert (round(q[0] - p[0]), round(q[1] - p[1])) == (30, -10)
    cam.x, cam.y = -5000, 9000
    cam.clamp((0, 0, 2000, 1500), (800, 600))
    assert 0 <= cam.x <= 2000 - 400 and 0 <= cam.y <= 1500 - 300
    cam = Camera(zoom=0.5)
    cam.clamp((0, 0, 200, 100), (800, 600))   # small map: centred
    assert math.isclose(cam.x + 800 / 0.5 / 2, 100) and math.isclose(cam.y + 600 / 0.5 / 2, 50)


# --- geometry -----------------------------------------------------------------------------------

def test_cell_at_inverts_cell_centre_world_at_several_zooms() -> None:
    s = scenario()
    view = MapView(s)
    rng = np.random.default_rng(3)
    for z in (0.5, 1.0, 1.5, 3.0):
        cam = Camera(zoom=z)
        for c in range(s.grid.n_cells):
            sx, sy = centre_on_cell(view, cam, c)
            assert view.cell_at((sx, sy), VIEW, cam) == c
            # anywhere well inside the hex picks it too
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.8) * BASE_HEX_PX * z * 0.86
            assert view.cell_at((sx + d * math.cos(a), sy + d * math.sin(a)), VIEW, cam) == c
    cam = Camera(zoom=1.0)
    cam.clamp(view.world_rect(), VIEW.size)
    assert view.cell_at((VIEW.left - 5, VIEW.top + 5), VIEW, cam) is None   # outside the view rect
    cam.x, cam.y = -3000, -3000
    assert view.cell_at(VIEW.center, VIEW, cam) is None                    # off the map


def test_hex_sides_are_shared_by_both_neighbours() -> None:
    s = scenario()
    view = MapView(s)
    for a in range(s.grid.n_cells):
        for b in s.grid.neighbours(a):
            p, q = view._edge_segment(a, b)
            mid = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
            ca, cb = view.cell_centre_world(a), view.cell_centre_world(b)
            assert math.isclose(mid[0], (ca[0] + cb[0]) / 2, abs_tol=1e-6)
            assert math.isclose(mid[1], (ca[1] + cb[1]) / 2, abs_tol=1e-6)
            assert math.isclose(math.dist(p, q), BASE_HEX_PX, rel_tol=1e-6)


def test_river_sides_chain_into_one_smooth_line() -> None:
    s = scenario()
    view = MapView(s)
    segs = [view._edge_segment(a, b) for a, b in s.rivers[0].edges]
    lines = chain_segments(segs)
    assert len(lines) == 1 and len(lines[0]) == len(segs) + 1
    sm = chaikin(lines[0], 2)
    assert sm[0] == lines[0][0] and sm[-1] == lines[0][-1]


# --- pixels -------------------------------------------------------------------------------------

def draw(s, state, viewer=None, overlay=None, zoom=2.0, focus=None):
    view = MapView(s)
    cam = Camera(zoom=zoom)
    surf = surface()
    if focus is not None:
        centre_on_cell(view, cam, focus)
    view.draw(surf, VIEW, cam, state, viewer, overlay or Overlay())
    return view, cam, surf


def counter_body_point(view: MapView, cam: Camera, c: int) -> tuple[int, int]:
    """A pixel on the counter's faction-coloured body, left of the NATO frame."""
    size = counters.counter_size(BASE_HEX_PX * cam.zoom)
    x, y = cam.world_to_screen(*view.cell_centre_world(c))
    return int(x - size / 2 + 3), int(y)


def test_unit_counter_shows_its_faction_colour() -> None:
    s = scenario()
    st = engine.new_game(s)
    b = cell(s, 10, 8)
    view, cam, surf = draw(s, st, None, focus=b)
    assert tuple(surf.get_at(counter_body_point(view, cam, b)))[:3] == (30, 80, 200)


def test_fogged_enemy_units_are_not_drawn() -> None:
    s = scenario()
    st = engine.new_game(s)
    b = cell(s, 10, 8)
    view, cam, surf = draw(s, st, "red", focus=b)
    px = tuple(surf.get_at(counter_body_point(view, cam, b)))[:3]
    assert px != (30, 80, 200)
    # and the fog darkens that hex compared with the unfogged picture of the same spot
    _, _, clear = draw(s, None, None, focus=b)
    assert sum(px) < sum(tuple(clear.get_at(counter_body_point(view, cam, b)))[:3])
    # red's own units are drawn under red's fog
    r = cell(s, 1, 1)
    view, cam, surf = draw(s, st, "red", focus=r)
    assert tuple(surf.get_at(counter_body_point(view, cam, r)))[:3] == (200, 30, 40)


def test_river_is_drawn_on_its_hex_sides() -> None:
    s = scenario()
    a, b = cell(s, 5, 2), cell(s, 6, 2)
    assert tuple(sorted((a, b))) in s.rivers[0].edges
    view, cam, surf = draw(s, None, None, focus=a)
    ca, cb = view.cell_centre_world(a), view.cell_centre_world(b)
    sx, sy = cam.world_to_screen((ca[0] + cb[0]) / 2, (ca[1] + cb[1]) / 2)
    assert tuple(surf.get_at((int(sx), int(sy))))[:3] == theme.RIVER
    # the hex centres either side are land, not water
    assert tuple(surf.get_at(tuple(int(v) for v in cam.world_to_screen(*ca))))[:3] != theme.RIVER


def test_control_tint_and_overlay_change_pixels() -> None:
    s = scenario()
    st = engine.new_game(s)
    c = cell(s, 4, 4)
    _, _, plain = draw(s, st, None, focus=c)
    st.control[c] = 1
    view, cam, tinted = draw(s, st, None, focus=c)
    x, y = (int(v) for v in cam.world_to_screen(*view.cell_centre_world(c)))
    p, t = tuple(plain.get_at((x, y)))[:3], tuple(tinted.get_at((x, y)))[:3]
    assert p != t and t[2] - t[0] > p[2] - p[0]            # bluer
    ov = Overlay(reachable={c: 0.0, cell(s, 4, 5): 1.0}, path=[c, cell(s, 4, 5)], hover=c,
                 attack_targets=[cell(s, 5, 5)], marks={cell(s, 5, 5): "3:1"}, selected="r1")
    _, _, over = draw(s, st, None, ov, focus=c)
    assert (pygame.surfarray.array3d(over) != pygame.surfarray.array3d(tinted)).any(axis=2).sum() > 500


def test_state_none_draws_the_bare_map_and_every_zoom_works() -> None:
    s = scenario()
    view = MapView(s)
    for z in ZOOM_LEVELS:
        cam = Camera(zoom=z)
        cam.clamp(view.world_rect(), VIEW.size)
        surf = surface()
        view.draw(surf, VIEW, cam, None, None, Overlay(show_grid=z < 2))
        arr = pygame.surfarray.array3d(surf)[VIEW.left:VIEW.right, VIEW.top:VIEW.bottom]
        assert len(np.unique(arr.reshape(-1, 3), axis=0)) > 8


def test_air_adapter_reads_lines_and_zones_defensively() -> None:
    s = scenario()
    st = engine.new_game(s)
    view = MapView(s)
    assert air_picture(st, view) is None                  # no air power at all
    zone = np.zeros(s.grid.n_cells, dtype=bool)
    zone[: s.grid.n_cells // 2] = True
    lat0, lon0 = s.grid.latlon(cell(s, 0, 5))
    lat1, lon1 = s.grid.latlon(cell(s, 11, 5))
    st.air = SimpleNamespace(lines=[{"name": "Euphrates line", "points_latlon": [(lat0, lon0), (lat1, lon1)]}],
                             zones={"coalition": zone, "bogus": np.zeros(3)})
    pic = air_picture(st, view)
    assert pic is not None and len(pic.lines) == 1 and len(pic.zones) == 1
    assert len(pic.lines[0].points) == 2
    _, _, on = draw(s, st, None, Overlay(show_lines=True), focus=cell(s, 5, 5))
    _, _, off = draw(s, st, None, Overlay(show_lines=False), focus=cell(s, 5, 5))
    assert (pygame.surfarray.array3d(on) != pygame.surfarray.array3d(off)).any()
    st.air = SimpleNamespace(lines=lambda: 1 / 0)         # a broken air object never breaks drawing
    draw(s, st, None)


def test_minimap_draws_and_maps_clicks_to_the_world() -> None:
    s = scenario()
    st = engine.new_game(s)
    view = MapView(s)
    mm = Minimap(s, (220, 200), map_view=view)
    surf = surface()
    rect = pygame.Rect(480, 320, 220, 200)
    cam = Camera(zoom=1.0)
    mm.draw(surf, rect, st, "red", cam, VIEW)
    wx, wy = mm.click_to_world(rect.center, rect)
    ww, wh = view.world_size()
    assert abs(wx - ww / 2) < 4 / mm.scale and abs(wy - wh / 2) < 4 / mm.scale
    arr = pygame.surfarray.array3d(surf)[rect.left:rect.right, rect.top:rect.bottom]
    assert len(np.unique(arr.reshape(-1, 3), axis=0)) > 5


def test_counters_cover_every_symbol() -> None:
    seen = set()
    for sym in counters.SYMBOLS + ("unknown",):
        img = counters.counter(sym, (120, 160, 60), 2, 4, 48, out_of_supply=True)
        arr = pygame.surfarray.array3d(img)
        seen.add(arr.tobytes())
        assert img.get_width() >= 48
    assert len(seen) == len(counters.SYMBOLS) + 1          # each symbol looks different


# --- the screenshot command -----------------------------------------------------------------------

TINY = """\
format: 1
meta: {id: tiny, name: "Tiny", description: "x", start_date: 2017-09-01, days_per_turn: 3, turns: 4, seed: 3}
terrain_types:
  desert: {code: d, name: Desert, move_cost: 1, defence: 1.0, colour: "#d9c38f"}
  valley: {code: v, name: Valley, move_cost: 2, defence: 1.5, colour: "#8fb36b"}
map:
  width: 8
  height: 6
  hex_km: 5
  origin: [36.0, 40.0]
  default_terrain: desert
  rows: ["ddddvvdd", "dddvvddd", "ddvvdddd", "dddvvddd", "ddddvvdd", "dddddvvd"]
places:
  - {name: Alpha, hex: [1, 1], kind: city}
  - {name: Bravo, hex: [6, 4], kind: town}
factions:
  - {id: red, name: Red, colour: "#c81e28"}
  - {id: blue, name: Blue, colour: "#1e50c8"}
relations: [[red, blue, war]]
unit_types:
  inf: {name: Infantry, symbol: infantry, attack: 3, defence: 3, movement: 3}
units:
  - {id: r1, name: R1, type: inf, faction: red, place: Alpha}
  - {id: b1, name: B1, type: inf, faction: blue, place: Bravo}
objectives:
  - {name: Bravo, place: Bravo, vp_per_turn: 2}
"""


def test_screenshot_command_writes_a_png(tmp_path, capsys) -> None:
    scn = tmp_path / "tiny.yaml"
    scn.write_text(TINY)
    out = tmp_path / "shot.png"
    rc = cli_main(["screenshot", "--scenario", str(scn), "--out", str(out), "--width", "640", "--height", "400",
                   "--viewer", "red", "--turn", "1", "--seed", "2"])
    assert rc == 0, capsys.readouterr().err
    img = pygame.image.load(str(out))
    assert img.get_size() == (640, 400)
    assert not list(tmp_path.glob(".*.tmp.png"))


@pytest.mark.parametrize("extra, needle", [
    (["--scenario", "no/such/file.yaml"], "not found"),
    (["--viewer", "green"], "--viewer"),
    (["--width", "5"], "--width"),
    (["--centre", "Nowhere"], "--centre"),
])
def test_screenshot_bad_input_is_one_clear_line(tmp_path, capsys, extra, needle) -> None:
    scn = tmp_path / "tiny.yaml"
    scn.write_text(TINY)
    out = tmp_path / "shot.png"
    rc = cli_main(["screenshot", "--scenario", str(scn), "--out", str(out)] + extra)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and needle in err[0] and err[0].startswith("error:")
    assert not out.exists()


def test_screenshot_broken_scenario_is_one_line(tmp_path, capsys) -> None:
    scn = tmp_path / "bad.yaml"
    scn.write_text(TINY.replace("symbol: infantry", "symbol: infantry\n    bogus: 1").replace("width: 8", "widht: 8"))
    rc = cli_main(["screenshot", "--scenario", str(scn), "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "bad.yaml" in err[0]


def test_real_airspace_lines_and_zones_are_drawn() -> None:
    from game.scenario.air_section import AirSpec, LineSpec, WingSpec
    s = scenario()
    # a north-south line between hex columns 5 and 6, running off both map edges
    x_km = 5.75 * s.grid.hex_km
    top, bottom = s.grid.km_to_latlon(x_km, -10.0), s.grid.km_to_latlon(x_km, 60.0)
    s.extra["air"] = AirSpec(wings=(WingSpec("wa", "West wing", ("red",)), WingSpec("wb", "East wing", ("blue",))),
                             lines=(LineSpec("mid", (top, bottom), left="wb", right="wa", name="Mid line"),))
    st = engine.new_game(s)
    view = MapView(s)
    pic = air_picture(st, view)
    assert pic is not None and pic.lines and len(pic.zones) == 2
    # the line runs on hex sides between the two zones, in the wings' factions' colours
    assert {z.colour for z in pic.zones} == {(200, 30, 40), (30, 80, 200)}
    ends = [p for ln in pic.lines for p in (ln.points[0], ln.points[-1])]
    assert min(p[1] for p in ends) < view.cell_centre_world(cell(s, 6, 1))[1]
    _, _, on = draw(s, st, None, Overlay(show_lines=True), zoom=1.0, focus=cell(s, 6, 5))
    _, _, off = draw(s, st, None, Overlay(show_lines=False), zoom=1.0, focus=cell(s, 6, 5))
    diff = (pygame.surfarray.array3d(on) != pygame.surfarray.array3d(off)).any(axis=2)
    assert diff.sum() > 2000


def test_river_courses_make_one_stem_and_thin_spurs() -> None:
    from game.ui.map_view import river_courses
    s = scenario()
    view = MapView(s)
    segs = [view._edge_segment(a, b) for a, b in s.rivers[0].edges]
    courses = river_courses(segs)
    assert len(courses) == 1 and courses[0][1] == 1.0
    spur = view._edge_segment(cell(s, 5, 0), cell(s, 5, 1))     # one more side hanging off the course
    courses = river_courses(segs + [spur])
    assert sorted(k for _, k in courses) in ([0.55, 1.0], [1.0, 1.0])


def test_legend_lists_terrain_symbols_and_factions() -> None:
    from game.ui.map_view import draw_legend
    s = scenario()
    surf = pygame.Surface((400, 700))
    rect = draw_legend(surf, (10, 10), s, 290)
    assert rect.width == 290 and 150 < rect.height < 690
    assert tuple(surf.get_at((rect.x + 12, rect.bottom - 16)))[:3] == (30, 80, 200)   # last faction swatch


def test_a_control_change_re_renders_only_the_tiles_it_touches() -> None:
    s = make(40, 30, units=[("r1", "inf", "red", 3, 3), ("b1", "inf", "blue", 30, 20)])
    st = engine.new_game(s)
    view = MapView(s)
    cam = Camera(zoom=1.0)
    surf = pygame.Surface((1024, 768))
    rect = pygame.Rect(0, 0, 1024, 768)
    for _ in range(200):                # until the spare-time warming of nearby tiles is done
        view.draw(surf, rect, cam, st, "red", Overlay())
        if view._warm_done is not None:
            break
    before = set(view._comp)
    st.control[cell(s, 10, 10)] = 0
    view.draw(surf, rect, cam, st, "red", Overlay())
    zi = ZOOM_LEVELS.index(1.0)
    new = {k for k in set(view._comp) - before if k[0] == zi}
    assert 1 <= len(new) <= 4           # the hex's tile(s), not the ~16 tiles in view
