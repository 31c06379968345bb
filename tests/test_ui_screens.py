"""The game window driven headless through pygame events: menu -> set-up -> game, orders
(select, move, undo, attack with odds shown first, air mission preview), end turn with the
orders-left warning, AI turns in the background, hot-seat handover with fog, save / load by
keys, autosave, replay, game over, and bad files giving one message."""
from __future__ import annotations

import os
from pathlib import Path

import pygame
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from game.rules import visibility  # noqa: E402
from game.ui.app import App  # noqa: E402
from game.ui.screens.dialogs import ConfirmDialog, MessageDialog  # noqa: E402
from game.ui.screens.game_screen import GameScreen  # noqa: E402
from game.ui.screens.gameover import GameOverScreen  # noqa: E402
from game.ui.screens.handover import HandoverScreen  # noqa: E402
from game.ui.screens.menu import MenuScreen  # noqa: E402
from game.ui.screens.replay import ReplayScreen  # noqa: E402
from game.ui.screens.setup import SetupScreen  # noqa: E402

SCENARIO = """\
format: 1
meta: {id: ui_tiny, name: "UI tiny", description: "Three sides by a river town.", start_date: 2017-09-01,
       days_per_turn: 3, turns: TURNS, seed: 5}
terrain_types:
  desert: {code: d, name: Desert, move_cost: 1, defence: 1.0}
  urban: {code: u, name: Urban, move_cost: 1, defence: 1.5}
map: {width: 12, height: 8, hex_km: 5, origin: [36.0, 40.0], default_terrain: desert}
places:
  - {name: Westbase, hex: [1, 1], kind: base}
  - {name: Eastbase, hex: [10, 1], kind: base}
  - {name: Town, hex: [6, 6], kind: town, terrain: urban}
factions:
  - {id: regime, name: Regime, colour: "#b03a2e", sponsor: vks, controller: human, vp_goal: 5}
  - {id: sdf, name: SDF, colour: "#d4b21c", controller: ai, ai_level: random, vp_goal: 5}
  - {id: isil, name: ISIL, colour: "#222222", hidden: true, controller: ai, ai_level: random, vp_goal: 5}
relations:
  - [regime, isil, war]
  - [sdf, isil, war]
  - [regime, sdf, deconflicted]
unit_types:
  inf: {name: Infantry, symbol: infantry, attack: 4, defence: 4, movement: 4, steps: 3}
  arm: {name: Armour, symbol: armor, attack: 9, defence: 4, movement: 5, steps: 3}
units:
  - {id: r1, name: Rifles, type: inf, faction: regime, hex: [1, 2]}
  - {id: r2, name: Tanks, type: arm, faction: regime, hex: [4, 5]}
  - {id: s1, name: YPG, type: inf, faction: sdf, hex: [10, 1]}
  - {id: s2, name: SDF Guards, type: inf, faction: sdf, hex: [10, 6]}
  - {id: i1, name: Emni, type: inf, faction: isil, hex: [5, 4]}
  - {id: i2, name: Wilayat, type: inf, faction: isil, hex: [7, 7]}
objectives:
  - {place: Town, vp_per_turn: 1, vp_end: 2}
air:
  wings:
    - {id: vks, name: VKS, base: {place: Westbase}, sorties: 3}
    - {id: coalition, name: Coalition, sponsor_of: [sdf], base: {place: Eastbase}, sorties: 3}
  lines:
    - {id: river, name: River line, points: [[36.05, 40.263], [35.68, 40.263]], west: vks, east: coalition}
  tension:
    pairs: [[vks, coalition]]
    start: 10
    thresholds:
      - {at: 30, incident: flares}
"""


# --- helpers ---------------------------------------------------------------------------------------

@pytest.fixture
def paths(tmp_path: Path):
    scen = tmp_path / "bundled"
    scen.mkdir()
    (scen / "ui_tiny.yaml").write_text(SCENARIO.replace("TURNS", "4"), encoding="utf-8")
    saves = tmp_path / "saves"
    return {"bundled": scen, "saves": saves, "mine": tmp_path / "mine", "tmp": tmp_path,
            "scenario": scen / "ui_tiny.yaml"}


@pytest.fixture
def app(paths):
    a = App(size=(1280, 800), save_dir=paths["saves"], scenario_dir=paths["mine"], bundled_dir=paths["bundled"],
            fps=0, ai_delay=0.0)
    a.open_menu()
    a.tick(1)
    yield a
    a.reset(MenuScreen(a))     # stops any AI thread


def click(app: App, pos, button: int = 1, frames: int = 2) -> None:
    pos = (int(pos[0]), int(pos[1]))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button))
    app.tick(frames)


def press(app: App, key: int, mod: int = 0, unicode: str = "", frames: int = 2) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=unicode, scancode=0))
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, mod=mod, unicode=unicode, scancode=0))
    app.tick(frames)


def until(app: App, cond, frames: int = 3000) -> None:
    for _ in range(frames):
        if cond():
            return
        app.tick(1)
    assert cond(), "condition not reached"


def hex_pos(game, cell: int) -> tuple[int, int]:
    """Window position of a hex centre (centring the camera on it first)."""
    game.camera.centre_on(*game.map.cell_centre_world(cell), game.map_rect.size)
    game.app.tick(1)
    x, y = game.camera.world_to_screen(*game.map.cell_centre_world(cell))
    return int(x), int(y)


def cell(game, col: int, row: int) -> int:
    return game.state.scenario.grid.cell_of_offset(col, row)


def start_game(app: App, paths, controllers: dict[str, str] | None = None) -> GameScreen:
    """Main menu -> New game -> set-up (the tiny scenario) -> Start."""
    assert isinstance(app.top, MenuScreen)
    click(app, app.top.buttons["new"].rect.center)
    setup = app.top
    assert isinstance(setup, SetupScreen)
    setup.wait_loaded()
    app.tick(1)
    assert setup.scenario is not None and setup.scenario.meta.id == "ui_tiny"
    for fid, option in (controllers or {}).items():
        setup.set_controller(fid, option)
    click(app, setup.start_b.rect.center, frames=3)
    return app.find(GameScreen)


# --- tests ------------------------------------------------------------------------------------------

def test_solo_select_move_undo_attack_end_turn_ai(app, paths):
    game = start_game(app, paths)
    assert isinstance(app.top, GameScreen) and game.human_turn and game.viewer == "regime"
    st0 = app.session.state
    # select the rifles, hover a reachable hex: path shown; click it: moved through the Session
    click(app, hex_pos(game, st0.units["r1"].cell))
    assert game.orders.selected == "r1" and game.orders.reach is not None
    dest = cell(game, 2, 3)
    assert dest in game.orders.reach.cost
    pos = hex_pos(game, dest)
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0)))
    app.tick(1)
    assert game.overlay().path and game.overlay().path[-1] == dest
    click(app, pos)
    assert app.session.state.units["r1"].cell == dest and len(app.session.actions) == 1
    # undo: nothing was revealed and no die rolled
    assert game.orders.can_undo()
    press(app, pygame.K_z, mod=pygame.KMOD_CTRL)
    assert len(app.session.actions) == 0 and app.session.state.units["r1"].cell == cell(game, 1, 2)
    # attack the adjacent ISIL unit: odds and outcomes are shown before committing
    r2 = app.session.state.units["r2"]
    click(app, hex_pos(game, r2.cell))
    target = app.session.state.units["i1"].cell
    assert target in game.orders.targets
    click(app, hex_pos(game, target))
    pend = game.orders.attack
    assert pend is not None and pend.prediction is not None and game.b_attack.visible
    assert abs(sum(pend.prediction.outcomes.values()) - 1) < 1e-9
    assert not any(e.kind == "combat" for e in app.session.state.log)
    assert game.overlay().marks == {target: pend.prediction.odds.label}
    press(app, pygame.K_RETURN)
    combat = [e for e in app.session.state.log if e.kind == "combat"]
    assert len(combat) == 1 and combat[0].data["odds"] == pend.prediction.odds.label
    assert not game.orders.can_undo()          # a die was rolled
    # end turn: units with orders left -> warning first
    press(app, pygame.K_e)
    assert isinstance(app.top, ConfirmDialog) and "Rifles" in app.top.body
    press(app, pygame.K_RETURN)
    assert isinstance(app.top, GameScreen)
    assert game.runner is not None or app.session.state.active_faction != "regime"
    until(app, lambda: app.session.state.active_faction == "regime" and game.runner is None)
    st = app.session.state
    assert st.turn == 2 and game.human_turn
    kinds = [type(a).__name__ for a in app.session.actions]
    assert kinds.count("EndTurn") == 3       # regime, then both AI sides, through the Session
    # the AI turn left an autosave in the save folder
    assert list(paths["saves"].glob("autosave-ui_tiny*"))


def test_ai_turn_runs_in_background_and_can_be_skipped(app, paths):
    app.ai_delay = 10.0                      # every visible AI action would wait 10 s ...
    game = start_game(app, paths)
    game.end_turn()
    assert game.runner is not None and not game.human_turn
    app.tick(2)                              # ... the window keeps drawing meanwhile
    drawn = game.frames
    app.tick(3)
    assert game.frames == drawn + 3
    press(app, pygame.K_SPACE)               # skip to the end of the AI turns
    until(app, lambda: game.human_turn, frames=600)
    assert app.session.state.turn == 2


def test_hotseat_handover_hides_the_map_and_applies_each_fog(app, paths):
    game = start_game(app, paths, {"sdf": "Human"})
    assert game.humans == ["regime", "sdf"]
    # the first player is asked for before anything is shown
    assert isinstance(app.top, HandoverScreen) and app.top.faction == "regime"
    frames = game.frames
    game.drawn_unit_ids = ["sentinel"]
    app.tick(3)
    assert game.frames == frames and game.drawn_unit_ids == ["sentinel"]   # the map was not drawn
    click(app, app.top.b_go.rect.center, frames=3)
    assert isinstance(app.top, GameScreen) and game.viewer == "regime"
    seen = {u.id for u in visibility.visible_units(app.session.state, "regime")}
    assert set(game.drawn_unit_ids) <= seen
    assert "i2" not in game.drawn_unit_ids and "s2" not in game.drawn_unit_ids
    # regime ends its turn: straight to the handover for the SDF player, map hidden again
    game.end_turn()
    app.tick(1)
    assert isinstance(app.top, HandoverScreen) and app.top.faction == "sdf"
    frames = game.frames
    app.tick(2)
    assert game.frames == frames
    press(app, pygame.K_RETURN, frames=3)
    if isinstance(app.top, MessageDialog):     # the optional summary of what SDF saw
        press(app, pygame.K_RETURN)
    assert game.viewer == "sdf" and game.human_turn
    seen = {u.id for u in visibility.visible_units(app.session.state, "sdf")}
    assert set(game.drawn_unit_ids) <= seen and "r1" not in game.drawn_unit_ids
    assert "i1" not in game.drawn_unit_ids      # hidden ISIL, not adjacent to SDF
    # SDF ends: ISIL (AI) plays under the handover screen, then regime may continue
    game.end_turn()
    app.tick(1)
    assert isinstance(app.top, HandoverScreen) and app.top.faction == "regime"
    until(app, lambda: app.top.ready if isinstance(app.top, HandoverScreen) else True)
    assert app.session.state.active_faction == "regime" and app.session.state.turn == 2
    press(app, pygame.K_RETURN, frames=3)
    while isinstance(app.top, (MessageDialog, ConfirmDialog)):
        press(app, pygame.K_RETURN)
    assert game.viewer == "regime" and isinstance(app.top, GameScreen)


def test_air_mission_preview_shows_zone_hotline_and_risk(app, paths):
    game = start_game(app, paths)
    assert game.orders.air_available() and game.b_strike.visible
    press(app, pygame.K_i)                       # arm ISR, then click a hex across the line
    target = cell(game, 9, 4)
    click(app, hex_pos(game, target))
    pend = game.orders.air
    assert pend is not None and pend.preview is not None
    assert pend.preview.zone == "coalition" and pend.preview.hotline_needed
    lines = " ".join(s for s, _ in __import__("game.ui.panels", fromlist=["x"]).air_preview_lines(game.state, pend))
    assert "Hotline needed" in lines and "Incident risk" in lines and "Airspace: Coalition" in lines
    press(app, pygame.K_h)                       # announce -> wait -> unannounced
    press(app, pygame.K_h)
    assert not pend.announce and game.orders.air.preview.tension_change > 0
    press(app, pygame.K_RETURN)
    assert any(e.kind == "air" for e in app.session.state.log)
    assert type(app.session.actions[-1]).__name__ == "AirMission"


def test_quick_save_and_load_by_keys(app, paths):
    game = start_game(app, paths)
    r1 = app.session.state.units["r1"]
    click(app, hex_pos(game, r1.cell))
    click(app, hex_pos(game, cell(game, 2, 3)))
    assert len(app.session.actions) == 1
    press(app, pygame.K_F5)
    saved = game.quick_save_path()
    assert saved.is_file() and saved.parent == paths["saves"]
    h = app.session.state.state_hash()
    click(app, hex_pos(game, app.session.state.units["r2"].cell))
    click(app, hex_pos(game, cell(game, 3, 6)))
    assert len(app.session.actions) == 2
    press(app, pygame.K_l, mod=pygame.KMOD_CTRL, frames=3)
    new = app.find(GameScreen)
    assert new is not game and isinstance(app.top, GameScreen)
    assert len(app.session.actions) == 1 and app.session.state.state_hash() == h
    # Ctrl+S saves too
    saved.unlink()
    press(app, pygame.K_s, mod=pygame.KMOD_CTRL)
    assert saved.is_file()


def test_corrupt_save_and_broken_scenario_give_one_message(app, paths):
    bad = paths["tmp"] / "broken.dsave"
    bad.write_text("{ not a save", encoding="utf-8")
    assert app.load_game(bad) is False
    app.tick(1)
    assert isinstance(app.top, MessageDialog) and "broken.dsave" in app.top.body
    press(app, pygame.K_RETURN)
    assert isinstance(app.top, MenuScreen)
    broken = paths["tmp"] / "broken.yaml"
    broken.write_text(SCENARIO.replace("TURNS", "4").replace("type: arm", "type: tnak"), encoding="utf-8")
    app.open_setup(broken)
    setup = app.top
    setup.wait_loaded()
    app.tick(1)
    assert setup.scenario is None and any("tnak" in p for p in setup.problems)
    assert not setup.start_b.is_enabled


def test_replay_steps_and_continues(app, paths):
    game = start_game(app, paths)
    r1 = app.session.state.units["r1"]
    click(app, hex_pos(game, r1.cell))
    click(app, hex_pos(game, cell(game, 2, 3)))
    game.end_turn()
    until(app, lambda: game.human_turn)
    press(app, pygame.K_F5)
    n = len(app.session.actions)
    assert n >= 4
    app.open_replay(game.quick_save_path())
    rep = app.top
    assert isinstance(rep, ReplayScreen) and rep.position == 0
    press(app, pygame.K_RIGHT)
    assert rep.position == 1 and rep.state.units["r1"].cell == cell(game, 2, 3)
    assert rep.overlay().path[-1] == cell(game, 2, 3)
    press(app, pygame.K_LEFT)
    assert rep.position == 0
    until(app, lambda: bool(rep.marks))
    press(app, pygame.K_PAGEDOWN)
    assert rep.position == rep.marks[1].index
    press(app, pygame.K_END)
    assert rep.cursor.at_end and rep.state.state_hash() == app.session.state.state_hash()
    press(app, pygame.K_HOME)
    press(app, pygame.K_RIGHT)
    press(app, pygame.K_c)
    assert isinstance(app.top, ConfirmDialog)
    press(app, pygame.K_RETURN, frames=3)
    g2 = app.find(GameScreen)
    assert g2 is not game and len(app.session.actions) == 1
    assert app.session.state.units["r1"].cell == cell(game, 2, 3)


def test_game_over_shows_winner_and_charts(app, paths):
    one = paths["bundled"] / "ui_tiny.yaml"
    one.write_text(SCENARIO.replace("TURNS", "1"), encoding="utf-8")
    game = start_game(app, paths)
    game.end_turn()
    until(app, lambda: isinstance(app.top, GameOverScreen))
    st = app.session.state
    assert st.terminal and len(st.vp_history) == 1 and len(st.territory_history) == 1
    app.tick(2)
    app.screenshot(paths["tmp"] / "gameover.png")
    press(app, pygame.K_ESCAPE)                 # back to the map, fog lifted
    assert isinstance(app.top, GameScreen) and game.viewer is None
    assert set(game.drawn_unit_ids) <= set(st.units)


def test_help_overlay_and_game_menu(app, paths):
    game = start_game(app, paths)
    press(app, pygame.K_F1)
    from game.ui.help import HelpOverlay
    assert isinstance(app.top, HelpOverlay)
    press(app, pygame.K_ESCAPE)
    assert app.top is game
    press(app, pygame.K_ESCAPE)
    from game.ui.screens.game_menu import GameMenu
    assert isinstance(app.top, GameMenu)
    press(app, pygame.K_ESCAPE)
    assert app.top is game


def test_menu_load_game_through_the_file_list(app, paths):
    from game import persistence
    from game.scenario.loader import load_scenario
    from game.session import Session
    from game.ui.screens.file_dialog import FileDialog
    s = Session.start(load_scenario(paths["scenario"]), 3)
    persistence.save_session(s, paths["saves"] / "mine.dsave")
    app.open_menu()
    app.tick(1)
    click(app, app.top.buttons["load"].rect.center)
    dlg = app.top
    assert isinstance(dlg, FileDialog) and any(p.name == "mine.dsave" for p in dlg.entries.values())
    item = next(b for b in dlg.list.item_list_container.elements if b.text.startswith("mine.dsave"))
    click(app, item.rect.center, frames=4)   # item button -> list selection event: two frames
    assert dlg.selected is not None and dlg.selected.name == "mine.dsave" and "UI tiny" in dlg.info
    click(app, dlg.open_b.rect.center, frames=3)
    assert isinstance(app.top, (GameScreen, HandoverScreen)) and app.session.seed == 3


def test_window_resize_relayouts_every_screen(app, paths):
    game = start_game(app, paths)
    press(app, pygame.K_ESCAPE)                  # game menu over the game
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=1600, h=900, size=(1600, 900)))
    app.tick(2)
    assert app.size == (1600, 900) and game.map_rect.right == 1600 - 340
    press(app, pygame.K_ESCAPE)
    assert app.top is game and game.b_end.rect.bottom <= 900
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=500, h=300, size=(500, 300)))
    app.tick(2)
    assert app.size == (960, 640)                # never smaller than the layout needs


def test_command_line_flows_into_the_window(monkeypatch, paths):
    import game.ui.app as ui_app
    from game import cli
    calls = []
    monkeypatch.setattr(ui_app, "run", lambda **kw: calls.append(kw) or 0)
    assert cli.main(["--scenario", str(paths["scenario"]), "--save-dir", str(paths["saves"])]) == 0
    assert calls[-1]["scenario"] == str(paths["scenario"]) and calls[-1]["save_dir"] == str(paths["saves"])
    assert cli.main(["--load", "x.dsave"]) == 0 and calls[-1]["load"] == "x.dsave"
    assert cli.main(["replay", "y.dsave", "--save-dir", "d"]) == 0
    assert calls[-1] == {"replay": "y.dsave", "save_dir": "d"}


def test_isr_lift_request_is_asked_and_answered(app, paths):
    req = """  isr_requests:
    - id: convoy
      date: 2017-09-01
      from: coalition
      to: vks
      area: {place: Town, radius: 1}
      message: "The coalition asks you to pull your ISR out of the Town area."
      accept: [{tension: {between: [vks, coalition], change: -5}}]
      refuse: [{message: "VKS keeps watching."}]
"""
    text = SCENARIO.replace("TURNS", "4").replace("  tension:\n", req + "  tension:\n", 1)
    paths["scenario"].write_text(text, encoding="utf-8")
    game = start_game(app, paths)
    assert isinstance(app.top, ConfirmDialog) and "pull your ISR" in app.top.body
    click(app, app.top.no.rect.center, frames=3)            # Refuse
    last = app.session.actions[-1]
    assert type(last).__name__ == "IsrAnswer" and last.accept is False
    assert isinstance(app.top, MessageDialog) and "VKS keeps watching" in app.top.body   # the price, at once
    press(app, pygame.K_RETURN)
    assert app.top is game and not game.orders.pending_requests()


def test_undo_is_refused_after_a_move_reveals_the_enemy(app, paths):
    game = start_game(app, paths)
    r2 = app.session.state.units["r2"]
    click(app, hex_pos(game, r2.cell))
    # next to hidden Wilayat at [7,7]: moving to [6,7]... is adjacent, so it is revealed
    dest = cell(game, 6, 7)
    assert dest in game.orders.reach.cost
    click(app, hex_pos(game, dest))
    ev = [e for e in app.session.state.log if e.kind == "move"][-1]
    assert ev.data["revealed"] or ev.data["stopped"]
    assert game.orders.undo_blocker() is not None
    n = len(app.session.actions)
    press(app, pygame.K_BACKSPACE)
    assert len(app.session.actions) == n           # nothing undone


def test_a_bug_shows_a_message_instead_of_crashing(app, paths, monkeypatch):
    app.catch_errors = True
    game = start_game(app, paths)
    monkeypatch.setattr(game, "update", lambda dt: 1 / 0)
    app.tick(2)
    assert isinstance(app.top, MessageDialog) and "ZeroDivisionError" in app.top.body
    assert (paths["saves"] / "error.log").is_file()


def test_event_log_keeps_each_sides_fog():
    from game import engine
    from game.state import GameEvent
    from game.ui.screens.news import News, event_seen_by
    from tests.builders import make
    s = make(units=[("r1", "inf", "red", 1, 1), ("b1", "inf", "blue", 8, 6), ("b2", "inf", "blue", 2, 1)],
             hidden=("blue",))
    st = engine.new_game(s, 1)
    far = GameEvent("move", "b1 moves", faction="blue", data={"unit": "b1"})
    near = GameEvent("move", "b2 moves", faction="blue", data={"unit": "b2"})
    seen = {u.id for u in visibility.visible_units(st, "red")}
    assert "b2" in seen and "b1" not in seen
    assert not event_seen_by(st, far, "red", seen, seen) and event_seen_by(st, near, "red", seen, seen)
    assert event_seen_by(st, far, "blue", set(), set())                      # own doings
    assert event_seen_by(st, GameEvent("vp", "VP", data={}), "red", set(), set())
    assert not event_seen_by(st, GameEvent("message", "psst", data={"faction": "blue"}), "red", set(), set())
    news = News(st, ["red", "blue"], loaded=False)
    news.record(st, [far, GameEvent("combat", "b1 attacks", faction="blue", data={"attackers": ["b1"],
                                                                                   "defenders": []})], "red")
    assert [ln.text for ln in news.log_for("red").lines if "b1" in ln.text] == []
    assert any("b1 attacks" == ln.text for ln in news.log_for("blue").lines)
    assert [e.text for e in news.take("blue")] == ["b1 moves", "b1 attacks"] and news.take("blue") == []
