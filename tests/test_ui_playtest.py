"""Regressions from playing the game in a real window: what a player hit and what was fixed.

Each test drives the headless ``App`` (dummy video driver) the way a player would: clicks, keys,
mouse motion.  They use the tiny scenario of ``test_ui_screens`` and small built scenarios so
they stay fast.
"""
from __future__ import annotations

import os
from pathlib import Path

import pygame
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from game.rules import combat  # noqa: E402
from game.session import PlayerSetup, Session  # noqa: E402
from game.ui import panels  # noqa: E402
from game.ui.app import App  # noqa: E402
from game.ui.screens.dialogs import MessageDialog, PromptDialog  # noqa: E402
from game.ui.screens.game_screen import GameScreen, combat_result_text  # noqa: E402
from game.ui.screens.handover import HandoverScreen  # noqa: E402
from game.ui.screens.menu import MenuScreen  # noqa: E402
from game.ui.screens.replay import ReplayScreen  # noqa: E402
from game.ui.screens.setup import SetupScreen, peek_title  # noqa: E402
from tests.builders import make  # noqa: E402
from tests.test_ui_screens import SCENARIO, cell, click, hex_pos, press, start_game, until  # noqa: E402


@pytest.fixture
def paths(tmp_path: Path):
    scen = tmp_path / "bundled"
    scen.mkdir()
    (scen / "ui_tiny.yaml").write_text(SCENARIO.replace("TURNS", "4"), encoding="utf-8")
    return {"bundled": scen, "saves": tmp_path / "saves", "mine": tmp_path / "mine", "tmp": tmp_path,
            "scenario": scen / "ui_tiny.yaml"}


@pytest.fixture
def app(paths):
    a = App(size=(1280, 800), save_dir=paths["saves"], scenario_dir=paths["mine"], bundled_dir=paths["bundled"],
            fps=0, ai_delay=0.0)
    a.open_menu()
    a.tick(1)
    yield a
    a.reset(MenuScreen(a))


def move_mouse(app: App, pos) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(int(pos[0]), int(pos[1])), rel=(0, 0),
                                         buttons=(0, 0, 0)))
    app.tick(1)


def drawn_text(monkeypatch, app: App) -> list[str]:
    """Every string the panels draw in one frame."""
    got: list[str] = []
    real = panels.common.text

    def spy(surface, s, *a, **k):
        got.append(s)
        return real(surface, s, *a, **k)
    monkeypatch.setattr(panels.common, "text", spy)
    app.tick(1)
    monkeypatch.setattr(panels.common, "text", real)
    return got


def attack_i1(app: App, game: GameScreen) -> None:
    """Select the tanks (r2) and prepare an attack on the adjacent ISIL unit."""
    click(app, hex_pos(game, app.session.state.units["r2"].cell))
    click(app, hex_pos(game, app.session.state.units["i1"].cell))
    assert game.orders.attack is not None and game.orders.attack.prediction is not None


# --- the attack preview ---------------------------------------------------------------------------

def test_attack_preview_shows_every_outcome_and_the_defender(app, paths, monkeypatch):
    game = start_game(app, paths)
    attack_i1(app, game)
    outcomes = game.orders.attack.prediction.outcomes
    texts = drawn_text(monkeypatch, app)
    for code in outcomes:                   # the sixth row used to fall off the panel
        assert any(combat.RESULT_TEXT[code] in t for t in texts), code
    assert any(t.startswith("vs Emni") for t in texts)
    rect = game.preview_rect()
    assert rect.bottom <= game.b_attack.rect.top and rect.height >= 30 + 44 + 40 + 6 * 18 + 36


def test_tooltip_stays_on_the_map(app, paths):
    game = start_game(app, paths)
    surf = pygame.Surface((1280, 800))
    r = panels.tooltip(surf, (game.map_rect.right - 5, 300), [("a long line of hex information " * 2, (255, 255, 255))],
                       bounds=game.map_rect)
    assert game.map_rect.contains(r)


# --- combat feedback, undo, which units can act -----------------------------------------------------

def test_combat_result_shows_over_the_target(app, paths):
    game = start_game(app, paths)
    attack_i1(app, game)
    target = game.orders.attack.target
    press(app, pygame.K_RETURN)
    assert any(f.cell == target for f in game.floaters)
    assert combat_result_text({"defender_losses": 1, "retreated": ["x"]}) == ("-1 step, retreat", True)
    assert combat_result_text({"attacker_losses": 1}) == ("Attacker -1", False)
    assert combat_result_text({"attacker_losses": 1, "defender_losses": 1}) == ("-1 step, attacker -1", None)
    assert combat_result_text({}) == ("No effect", None)


def test_a_move_after_an_attack_can_be_undone(app, paths):
    game = start_game(app, paths)
    attack_i1(app, game)
    press(app, pygame.K_RETURN)
    assert any(e.kind == "combat" for e in app.session.state.log)
    r1 = app.session.state.units["r1"]
    start = r1.cell
    click(app, hex_pos(game, start))
    click(app, hex_pos(game, cell(game, 2, 3)))
    assert app.session.state.units["r1"].cell == cell(game, 2, 3)
    h_after_attack = len(app.session.actions) - 1
    press(app, pygame.K_BACKSPACE)
    assert app.session.state.units["r1"].cell == start and len(app.session.actions) == h_after_attack
    # the attack itself stays done: nothing to re-roll
    assert not game.orders.can_undo() and "only moves" in game.orders.undo_blocker()


def test_counters_tell_which_units_can_still_act(app, paths):
    game = start_game(app, paths)
    status = game.overlay().unit_status
    assert status == {"r1": "fresh", "r2": "fresh"}
    attack_i1(app, game)
    press(app, pygame.K_RETURN)
    click(app, hex_pos(game, app.session.state.units["r1"].cell))
    click(app, hex_pos(game, cell(game, 2, 3)))
    status = game.overlay().unit_status
    assert status["r2"] == "done"           # attacked: may not move again
    assert status["r1"] == "partial"        # moved one hex, has movement left
    # the E warning and Tab agree that r2 has nothing left
    assert "r2" not in {u.id for u in game.orders.idle_units()}


def test_selection_frame_reads_on_a_yellow_counter():
    from game.ui.map_view import _selection_frame
    surf = pygame.Surface((60, 60))
    surf.fill((212, 178, 28))               # the SDF's yellow
    _selection_frame(surf, pygame.Rect(10, 10, 40, 40), 36, (212, 178, 28))
    assert tuple(surf.get_at((30, 10)))[:3] == (255, 255, 255)
    surf.fill((176, 58, 46))
    _selection_frame(surf, pygame.Rect(10, 10, 40, 40), 36, (176, 58, 46))
    assert tuple(surf.get_at((30, 10)))[:3] == (255, 226, 60)


# --- the hex under the mouse --------------------------------------------------------------------------

def test_hover_follows_the_map_when_it_moves_under_a_still_mouse(app, paths):
    game = start_game(app, paths)
    game.camera.zoom = 2.0
    pos = hex_pos(game, cell(game, 5, 4))
    move_mouse(app, pos)
    assert game.hover == cell(game, 5, 4)
    press(app, pygame.K_RIGHT)               # the map scrolls; the mouse stays put
    assert game.hover == game.map.cell_at(pos, game.map_rect, game.camera) != cell(game, 5, 4)
    pygame.event.post(pygame.event.Event(pygame.WINDOWLEAVE))
    app.tick(1)
    assert game.hover is None


# --- the view at the start of a turn --------------------------------------------------------------------

def split_session(factions=("red", "blue")) -> Session:
    """Red's units in two groups at opposite corners of a big map (their average is empty)."""
    units = [("r1", "inf", "red", 2, 2), ("r2", "inf", "red", 3, 2), ("r3", "inf", "red", 2, 3),
             ("r4", "inf", "red", 57, 37), ("b1", "inf", "blue", 30, 20)]
    s = make(60, 40, units=units, factions=factions)
    return Session.start(s, 1, {"red": PlayerSetup("human"), "blue": PlayerSetup("human")})


def test_a_turn_starts_on_the_players_troops(app):
    app.start_session(split_session())
    game = app.find(GameScreen)
    press(app, pygame.K_RETURN, frames=3)        # the handover to red
    while isinstance(app.top, MessageDialog):
        press(app, pygame.K_RETURN)
    assert game.viewer == "red"
    assert {"r1", "r2", "r3"} <= set(game.drawn_unit_ids)


def test_small_maps_start_zoomed_to_fill_the_view(app, paths):
    game = start_game(app, paths)                # 12 x 8 hexes
    assert game.camera.zoom > 1.0
    app.start_session(split_session())           # 60 x 40: as it was
    assert app.find(GameScreen).camera.zoom == 1.0


# --- hot-seat -----------------------------------------------------------------------------------------

def test_hotseat_second_player_first_turn_is_the_opening_situation(app, paths):
    game = start_game(app, paths, {"sdf": "Human"})
    press(app, pygame.K_RETURN, frames=3)        # regime takes the screen
    while isinstance(app.top, MessageDialog):
        press(app, pygame.K_RETURN)
    app.session.state.log.append(type(app.session.state.log[0])("message", "Scenario news for all.", data={}))
    game.news.inbox["sdf"].append(app.session.state.log[-1])
    game.end_turn()
    app.tick(1)
    assert isinstance(app.top, HandoverScreen) and app.top.faction == "sdf"
    press(app, pygame.K_RETURN, frames=3)
    assert isinstance(app.top, MessageDialog) and "opening situation" in app.top.title


def test_handover_names_every_side_readably(app, paths):
    from game.ui.screens import common
    from game.ui import theme
    game = start_game(app, paths, {"isil": "Human"})
    ho = HandoverScreen(app, game, "isil")
    scn = app.session.scenario
    assert theme.luminance(common.faction_text_colour(scn, "isil")) > 100
    name = common.faction_name(scn, "isil")
    assert ho.b_go.rect.width >= theme.font(21).size(f"I am {name} - continue")[0]


# --- saves, replay, set-up -------------------------------------------------------------------------------

def test_save_as_name_is_replaced_by_typing(app, paths):
    start_game(app, paths)
    press(app, pygame.K_ESCAPE)                  # the game menu
    app.top.choose("saveas")
    dlg = app.top
    assert isinstance(dlg, PromptDialog)
    for ch in "mine":
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=ch))
    app.tick(2)
    assert dlg.entry.get_text() == "mine"


def test_replay_keeps_the_action_in_view(app):
    session = split_session()
    session.players = {"red": PlayerSetup("ai", "random"), "blue": PlayerSetup("ai", "random")}
    from game.actions import Move
    st = session.state
    r4 = st.units["r4"]
    from game import engine
    reach = engine.move_targets(st, r4)
    dest = sorted(reach.destinations())[0]
    session.apply(Move("r4", reach.path_to(dest)))
    app.open_replay(session)
    rep = app.top
    assert isinstance(rep, ReplayScreen)
    app.tick(1)
    press(app, pygame.K_RIGHT)
    sx, sy = rep.camera.world_to_screen(*rep.map.cell_centre_world(dest))
    assert rep.map_rect.collidepoint(sx, sy)


def test_setup_shows_the_first_scenario_selected(app, paths):
    (paths["mine"]).mkdir()
    (paths["mine"] / "junk.yaml").write_text("meta: {id: x\n  name: [unclosed\n", encoding="utf-8")
    click(app, app.top.buttons["new"].rect.center)
    setup = app.top
    assert isinstance(setup, SetupScreen)
    sel = setup.list.get_single_selection()
    assert sel is not None and setup.items[sel] == paths["scenario"]
    assert "junk.yaml" in " ".join(setup.items)          # own files name their file
    assert peek_title(paths["mine"] / "junk.yaml") == "Junk"


def test_top_bar_short_names():
    from types import SimpleNamespace as NS
    assert panels.short_name(NS(id="isil", name="Islamic State (ISIL)")) == "ISIL"
    assert panels.short_name(NS(id="sdf", name="Syrian Democratic Forces")) == "SDF"
    assert panels.short_name(NS(id="regime", name="Syrian government and allies")) == "Regime"
    assert panels.short_name(NS(id="red", name="Red")) == "Red"


# --- a waiting window stays calm ----------------------------------------------------------------------

def test_frame_rate_drops_when_nothing_happens(app, paths):
    from game.ui.app import IDLE_FPS
    game = start_game(app, paths)
    app.fps = 60
    app._last_input_ms = -10_000
    game.floaters = []
    assert game.runner is None and app.frame_rate() == IDLE_FPS
    game.end_turn()                          # an AI turn plays: full speed
    assert game.runner is not None and app.frame_rate() == 60
    app.fps = 0                              # tests: never throttled
    assert app.frame_rate() == 0


def test_news_from_your_own_move_pops_up_at_once(app):
    from game.scenario.model import Effect, Event, Trigger
    s = make(12, 8, units=[("r1", "inf", "red", 2, 2), ("b1", "inf", "blue", 10, 6)])
    town = s.grid.cell_of_offset(3, 2)
    ev = Event("taken", Trigger("captured", cell=town, by="red"), (Effect("message", {"text": "The town is ours."}),))
    s.events.append(ev)
    app.start_session(Session.start(s, 1, {"red": PlayerSetup("human"), "blue": PlayerSetup("ai", "random")}))
    game = app.find(GameScreen)
    while isinstance(app.top, MessageDialog):
        press(app, pygame.K_RETURN)
    click(app, hex_pos(game, s.grid.cell_of_offset(2, 2)))
    click(app, hex_pos(game, town))
    assert app.session.state.units["r1"].cell == town
    assert isinstance(app.top, MessageDialog) and "The town is ours." in app.top.body
    press(app, pygame.K_RETURN)
    assert not any(e.text == "The town is ours." for e in game.news.inbox["red"])   # not again next turn


def test_long_status_lines_are_cut_before_the_hex_readout():
    from game.ui.screens import common
    from game.ui import theme
    long = "17th Div. - 137th Bde, 17th Div. airbase garrison, NDF and tribal fighters attack at 2:1: die 6 " * 2
    cut = common.fit(long, 400, 17)
    assert cut.endswith("...") and theme.font(17).size(cut)[0] <= 400
    assert common.fit("short", 400, 17) == "short"


def test_dragging_on_the_minimap_steers_the_view(app):
    app.start_session(split_session())
    game = app.find(GameScreen)
    while not isinstance(app.top, GameScreen):
        press(app, pygame.K_RETURN, frames=3)
    r = game.mini_rect
    a = (r.left + r.width // 4, r.centery)
    b = (r.right - r.width // 4, r.centery)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=a, button=1))
    app.tick(1)
    x0 = game.camera.x
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=b, rel=(b[0] - a[0], 0), buttons=(1, 0, 0)))
    app.tick(1)
    assert game.camera.x > x0
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=b, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=a, rel=(0, 0), buttons=(0, 0, 0)))
    app.tick(1)
    assert not game.mini_drag and game.camera.x > x0


def test_tab_visits_every_unit_with_something_left_in_map_order(app):
    s = make(20, 12, units=[("a", "inf", "red", 2, 2), ("b", "inf", "red", 12, 2), ("c", "inf", "red", 4, 8),
                            ("x", "inf", "blue", 18, 11)])
    app.start_session(Session.start(s, 1, {"red": PlayerSetup("human"), "blue": PlayerSetup("ai", "random")}))
    game = app.find(GameScreen)
    while not isinstance(app.top, GameScreen):
        press(app, pygame.K_RETURN)
    seen = []
    for _ in range(3):
        press(app, pygame.K_TAB)
        seen.append(game.orders.selected)
    assert seen == ["a", "b", "c"]              # reading order: row 2 west to east, then row 8
    # move b one hex: it still has movement (orange), so Tab still offers it
    press(app, pygame.K_TAB)
    press(app, pygame.K_TAB)
    assert game.orders.selected == "b"
    click(app, hex_pos(game, s.grid.cell_of_offset(12, 3)))
    assert game.unit_status()["b"] == "partial"
    press(app, pygame.K_TAB)
    assert game.orders.selected == "c"
    press(app, pygame.K_TAB, mod=pygame.KMOD_SHIFT)
    assert game.orders.selected == "b"


def test_smallest_window_keeps_the_side_panel_buttons_apart(app, paths):
    game = start_game(app, paths)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=960, h=640, size=(960, 640)))
    app.tick(2)
    game = app.find(GameScreen)
    rows = [game.b_attack.rect, next(iter(game.air_buttons)).rect, game.b_end.rect]
    assert rows[0].bottom + 20 <= rows[1].top and rows[1].bottom <= rows[2].top
    assert game.preview_rect().height >= 30 + 44 + 40 + 6 * 18
    assert game.minimap is None or tuple(game.minimap.size) == game.mini_rect.size


def test_setup_fits_the_smallest_window(app, paths):
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=960, h=640, size=(960, 640)))
    app.tick(2)
    click(app, app.top.buttons["new"].rect.center)
    setup = app.top
    setup.wait_loaded()
    app.tick(1)
    last_dd = max((dd.rect for dd in setup.faction_widgets), key=lambda r: r.bottom)
    assert last_dd.bottom + 30 <= setup.right.bottom <= setup.start_b.rect.top
    assert setup.right.left > setup.left.right and setup.right.right <= 960


def test_menu_says_what_continue_opens(app, paths):
    start_game(app, paths)
    press(app, pygame.K_F5)
    app.open_menu()
    app.tick(1)
    assert app.top.continue_hint == "UI tiny, turn 1"
