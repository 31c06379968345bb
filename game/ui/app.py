"""The game window: a main loop over a stack of screens.

``run()`` is what ``python main.py`` calls.  ``App`` is usable headless: a test creates
``App(size=(1280, 800), fps=0)``, posts pygame events and calls ``step()`` / ``tick(n)``.
The top screen gets input; every screen in the stack updates (so an AI turn keeps going under
a dialog); drawing starts at the topmost opaque screen.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pygame
import pygame_gui

from game.errors import DeconflictionError, SaveError
from game.session import Session

DEFAULT_SIZE = (1280, 800)
IDLE_FPS = 20
INPUT_EVENTS = {pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEWHEEL,
                pygame.KEYDOWN, pygame.KEYUP, pygame.TEXTINPUT, pygame.VIDEORESIZE, pygame.WINDOWENTER}
MIN_SIZE = (960, 640)
ROOT = Path(__file__).resolve().parents[2]
BUNDLED_SCENARIOS = ROOT / "scenarios"


def default_save_dir() -> Path:
    """The save folder: persistence's choice when it exists, else the XDG data folder."""
    try:
        from game import persistence
        return Path(persistence.default_save_dir())
    except (ImportError, AttributeError):
        base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
        return Path(base) / "deconfliction" / "saves"


def default_scenario_dir() -> Path:
    """The user's own scenario folder (listed on the set-up screen next to the bundled ones)."""
    env = os.environ.get("DECONFLICTION_SCENARIO_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "deconfliction" / "scenarios"


class App:
    """The window, the clock and the screen stack."""

    def __init__(self, size: tuple[int, int] = DEFAULT_SIZE, save_dir: str | Path | None = None,
                 scenario_dir: str | Path | None = None, fps: int = 60, ai_delay: float = 0.35,
                 bundled_dir: str | Path | None = None, catch_errors: bool = False):
        pygame.display.init()
        pygame.font.init()
        pygame.key.set_repeat(300, 40)
        pygame.display.set_caption("Deconfliction")
        self.surface = pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.event.clear()                       # nothing left over from an earlier window
        self.size: tuple[int, int] = self.surface.get_size()
        self.clock = pygame.time.Clock()
        self.fps = fps
        self.ai_delay = ai_delay
        self.save_dir = Path(save_dir) if save_dir else default_save_dir()
        self.scenario_dir = Path(scenario_dir) if scenario_dir else default_scenario_dir()
        self.bundled_dir = Path(bundled_dir) if bundled_dir else BUNDLED_SCENARIOS
        self.screen_stack: list[Any] = []
        self.running = True
        self.exit_code = 0
        self.frame = 0
        self.session: Session | None = None       # the match being played (set by the game screen)
        self.catch_errors = catch_errors          # run(): a bug shows a message, not a crash
        self.hotseat_summaries = True              # show each hot-seat player what they saw happen
        self._map_views: dict[int, Any] = {}
        self._last_input_ms = 0

    # --- the stack ---------------------------------------------------------------------------
    @property
    def top(self):
        return self.screen_stack[-1] if self.screen_stack else None

    def push(self, screen) -> None:
        if self.top is not None:
            self.top.ui.update(0.0)         # the covered screen's widgets are drawn as they are now
        self.screen_stack.append(screen)
        screen.on_enter()

    def pop(self):
        if not self.screen_stack:
            return None
        s = self.screen_stack.pop()
        s.on_exit()
        if self.top is not None:
            self.top.on_enter()
        return s

    def remove(self, screen) -> None:
        """Take ``screen`` out wherever it is (a dialog that opened something on top of itself)."""
        if screen in self.screen_stack:
            was_top = screen is self.top
            self.screen_stack.remove(screen)
            screen.on_exit()
            if was_top and self.top is not None:
                self.top.on_enter()

    def replace(self, screen) -> None:
        """Swap the top screen for ``screen``."""
        if self.screen_stack:
            self.screen_stack.pop().on_exit()
        self.push(screen)

    def reset(self, screen) -> None:
        """Leave every screen and show ``screen`` alone (back to the menu, a new game)."""
        while self.screen_stack:
            self.screen_stack.pop().on_exit()
        self.push(screen)

    def find(self, cls):
        """The topmost screen of type ``cls`` in the stack, or None."""
        for s in reversed(self.screen_stack):
            if isinstance(s, cls):
                return s
        return None

    def quit(self, code: int = 0) -> None:
        self.running = False
        self.exit_code = code

    def map_view(self, scenario):
        """One MapView per scenario (its tile caches are the point), shared by game and replay."""
        from game.ui.map_view import MapView
        mv = self._map_views.get(id(scenario))
        if mv is None or mv.scenario is not scenario:
            if len(self._map_views) >= 2:
                self._map_views.clear()
            mv = MapView(scenario)
            self._map_views[id(scenario)] = mv
        return mv

    # --- messages ------------------------------------------------------------------------------
    def message(self, title: str, body: str) -> None:
        """One clear message over whatever is showing."""
        from game.ui.screens.dialogs import MessageDialog
        self.push(MessageDialog(self, title, body))

    def confirm(self, title: str, body: str, on_yes, yes: str = "OK", no: str = "Cancel", **kw) -> None:
        from game.ui.screens.dialogs import ConfirmDialog
        self.push(ConfirmDialog(self, title, body, on_yes, yes, no, **kw))

    # --- starting things -------------------------------------------------------------------------
    def open_menu(self) -> None:
        from game.ui.screens.menu import MenuScreen
        self.session = None
        self.reset(MenuScreen(self))

    def open_setup(self, scenario_path: str | Path | None = None) -> None:
        from game.ui.screens.setup import SetupScreen
        self.push(SetupScreen(self, scenario_path))

    def start_session(self, session: Session, loaded: bool = False) -> None:
        from game.ui.screens.game_screen import GameScreen
        self.reset(GameScreen(self, session, loaded=loaded))

    def load_game(self, path: str | Path) -> bool:
        """Continue a save; a broken file gives one message and changes nothing."""
        session = self._load_session(path)
        if session is None:
            return False
        self.start_session(session, loaded=True)
        return True

    def open_replay(self, path_or_session: str | Path | Session) -> bool:
        from game.ui.screens.replay import ReplayScreen
        if isinstance(path_or_session, Session):
            session = path_or_session
        else:
            session = self._load_session(path_or_session)
            if session is None:
                return False
        self.push(ReplayScreen(self, session))
        return True

    def _load_session(self, path: str | Path) -> Session | None:
        try:
            from game import persistence
        except ImportError:
            self.message("Cannot load", "Saved games are not available in this build.")
            return None
        try:
            return persistence.load_session(str(path))
        except SaveError as e:
            self.message("Cannot load this save", str(e))
        except DeconflictionError as e:
            self.message("Cannot load this save", str(e))
        except OSError as e:
            self.message("Cannot load this save", f"{path}: {e.strerror or e}")
        return None

    # --- the loop --------------------------------------------------------------------------------
    def step(self) -> None:
        """One frame: events, updates, drawing."""
        if not self.catch_errors:
            self._step()
            return
        try:
            self._step()
        except Exception as e:  # last resort: report, keep the window alive
            self._internal_error(e)

    def _internal_error(self, e: Exception) -> None:
        """A bug: write the details to a log file and show one message instead of crashing."""
        import traceback
        where = ""
        try:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            log = self.save_dir / "error.log"
            with open(log, "a", encoding="utf-8") as f:
                f.write(traceback.format_exc() + "\n")
            where = f" Details were written to {log}."
        except OSError:
            pass
        from game.ui.screens.dialogs import MessageDialog
        if isinstance(self.top, MessageDialog) and self.top.title == "Something went wrong":
            return
        self.push(MessageDialog(self, "Something went wrong",
                                f"{type(e).__name__}: {e}.{where} The last autosave holds the game up to the "
                                f"end of the last turn."))

    def frame_rate(self) -> int:
        """Full speed while something moves (input in the last second, an AI turn, an animation);
        a calm rate when the window just sits there, so a waiting game does not keep a core busy."""
        if not self.fps:
            return 0
        if pygame.time.get_ticks() - self._last_input_ms < 1000:
            return self.fps
        if any(getattr(s, "busy", False) for s in self.screen_stack):
            return self.fps
        return min(self.fps, IDLE_FPS)

    def _step(self) -> None:
        fps = self.frame_rate()
        dt = self.clock.tick(fps) / 1000.0 if fps else self.clock.tick() / 1000.0
        dt = min(dt, 0.25)
        for event in pygame.event.get():
            if event.type in INPUT_EVENTS:
                self._last_input_ms = pygame.time.get_ticks()
            self._dispatch(event)
            if not self.running:
                return
        top = self.top
        for s in list(self.screen_stack):
            s.update(dt)                    # first, so widgets it shows or hides draw this frame
            if s is top:
                s.ui.update(dt)
        self.draw()
        self.frame += 1

    def _dispatch(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.quit(0)
            return
        if event.type == pygame.VIDEORESIZE:
            self.resize((max(MIN_SIZE[0], event.w), max(MIN_SIZE[1], event.h)))
            return
        top = self.top
        if top is None:
            return
        consumed = top.ui.process_events(event)
        if consumed and event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.KEYDOWN, pygame.MOUSEWHEEL):
            return
        top.handle_event(event)

    def resize(self, size: tuple[int, int]) -> None:
        if size != self.surface.get_size():
            self.surface = pygame.display.set_mode(size, pygame.RESIZABLE)
        self.size = self.surface.get_size()
        for s in self.screen_stack:
            s.on_resize(self.size)

    def draw(self) -> None:
        stack = self.screen_stack
        start = 0
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].opaque:
                start = i
                break
        for s in stack[start:]:
            s.draw(self.surface)
            s.ui.draw_ui(self.surface)
        pygame.display.flip()

    def tick(self, n: int = 1) -> None:
        for _ in range(n):
            if not self.running:
                return
            self.step()

    def run_loop(self) -> int:
        while self.running and self.screen_stack:
            self.step()
        for s in reversed(self.screen_stack):
            s.on_exit()
        self.screen_stack.clear()
        return self.exit_code

    def screenshot(self, path: str | Path) -> None:
        pygame.image.save(self.surface, str(path))


def run(scenario: str | None = None, load: str | None = None, save_dir: str | None = None,
        replay: str | None = None, size: tuple[int, int] = DEFAULT_SIZE) -> int:
    """Open the window; returns the process exit code."""
    app = App(size=size, save_dir=save_dir, catch_errors=True)
    app.open_menu()
    if replay:
        app.open_replay(replay)
    elif load:
        app.load_game(load)
    elif scenario:
        app.open_setup(scenario)
    try:
        return app.run_loop()
    finally:
        pygame.display.quit()       # (fonts stay: the theme's font cache outlives one window)


__all__ = ["App", "run", "default_save_dir", "default_scenario_dir", "pygame_gui"]
