"""The set-up screen: pick a scenario (bundled or from the user's folder, or any file), set each
faction to Human or AI (and its level), pick the seed, start.

Scenarios load in a background thread (the historical one is big); a broken file shows its
problems in place of the description and cannot be started.
"""
from __future__ import annotations

import re
from pathlib import Path

import pygame
import pygame_gui

from game.errors import DeconflictionError, ScenarioError
from game.session import PlayerSetup, Session
from game.ui import theme
from game.ui.ai_runner import BackgroundTask
from game.ui.screens import common
from game.ui.screens.common import Screen
from game.ui.screens.file_dialog import FileDialog, files_in

SCENARIO_EXT = (".yaml", ".yml")
HUMAN = "Human"


def ai_levels() -> list[str]:
    """Agent names the registry knows, easiest first."""
    from game.ai import registry
    builtin = getattr(registry, "_builtin", None)
    if builtin:
        builtin()
    order = {"random": 0, "easy": 1, "normal": 2, "hard": 3}
    return sorted(registry.AGENTS, key=lambda n: (order.get(n, 9), n)) or ["random"]


def controller_options() -> list[str]:
    return [HUMAN] + [f"AI: {lv}" for lv in ai_levels()]


def option_for(setup: PlayerSetup) -> str:
    if setup.controller == "human":
        return HUMAN
    levels = ai_levels()
    lv = setup.ai_level if setup.ai_level in levels else ("normal" if "normal" in levels else levels[0])
    return f"AI: {lv}"


def setup_for(option: str) -> PlayerSetup:
    if option == HUMAN:
        return PlayerSetup("human", "normal")
    return PlayerSetup("ai", option.split(":", 1)[1].strip())


def peek_title(path: Path) -> str:
    """The scenario's meta name from its first lines, without loading it (fallback: file name)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(4000)
    except OSError:
        return path.stem
    in_meta = False
    for line in head.splitlines():
        if re.match(r"^meta\s*:", line):
            in_meta = True
            m = re.search(r"\bname\s*:\s*[\"']?([^\"',}]+)", line)
            if m and _plausible(m.group(1)):
                return m.group(1).strip()
            continue
        if in_meta:
            if line and not line[0].isspace():
                break
            m = re.match(r"^\s+name\s*:\s*[\"']?(.+?)[\"']?\s*(#.*)?$", line)
            if m and _plausible(m.group(1)):
                return m.group(1).strip()
    return path.stem.replace("_", " ").title()


def _plausible(title: str) -> bool:
    t = title.strip()
    return bool(t) and t[0] not in "[{&*!|>%@`" and t.isprintable()


class SetupScreen(Screen):
    name = "setup"

    def __init__(self, app, path: str | Path | None = None):
        super().__init__(app)
        self.path: Path | None = Path(path) if path else None
        self.extra_paths: list[Path] = [self.path] if self.path else []
        self.scenario = None
        self.problems: list[str] = []
        self.task: BackgroundTask | None = None
        self.loading_path: Path | None = None
        self.choices: dict[str, str] = {}          # faction id -> dropdown option
        self.items: dict[str, Path] = {}
        self.faction_widgets: dict[pygame_gui.elements.UIDropDownMenu, str] = {}
        self.layout(app.size)
        if self.path is None and self.items:
            self.path = next(iter(self.items.values()))
            self.layout(app.size)               # so the list shows it selected
        if self.path is not None:
            self.load(self.path)

    # --- the scenario list ----------------------------------------------------------------------
    def scenario_files(self) -> list[tuple[str, Path]]:
        out: list[tuple[str, Path]] = []
        seen: set[Path] = set()
        for p in files_in(self.app.bundled_dir, SCENARIO_EXT):
            if p.stem == "template":
                continue
            out.append((peek_title(p), p))
            seen.add(p.resolve())
        for p in files_in(self.app.scenario_dir, SCENARIO_EXT):
            if p.resolve() not in seen:
                out.append((f"{peek_title(p)}  ({p.name})", p))
                seen.add(p.resolve())
        for p in self.extra_paths:
            if p.resolve() not in seen:
                out.append((f"{peek_title(p)}  ({p.name})", p))
                seen.add(p.resolve())
        return out

    def layout(self, size: tuple[int, int]) -> None:
        self.ui.clear_and_reset()
        w, h = size
        lw = 380 if w >= 1200 else 290
        self.left = pygame.Rect(32, 96, lw, h - 200)
        self.right = pygame.Rect(self.left.right + 28, 96, w - self.left.right - 60, h - 200)
        files = self.scenario_files()
        self.items = {}
        for title, p in files:
            key = title
            n = 2
            while key in self.items:
                key = f"{title} ({n})"
                n += 1
            self.items[key] = p
        selected = next((k for k, p in self.items.items() if self.path and p.resolve() == self.path.resolve()), None)
        self.list = pygame_gui.elements.UISelectionList(
            pygame.Rect(self.left.left, self.left.top + 30, self.left.width, self.left.height - 120),
            list(self.items), self.ui, default_selection=selected)
        self.open_b = common.button(self.ui, (self.left.left, self.left.bottom - 80, self.left.width, 36),
                                    "Open scenario file...", "Browse for a scenario YAML file")
        self.folder_hint = self.app.scenario_dir
        self.back_b = common.button(self.ui, (32, h - 76, 140, 44), "Back")
        self.start_b = common.button(self.ui, (w - 252, h - 76, 220, 44), "Start game", object_id="@accent")
        self.seed_entry = pygame_gui.elements.UITextEntryLine(
            pygame.Rect(w - 480, h - 70, 120, 34), self.ui,
            initial_text=str(self.scenario.meta.seed if self.scenario else 1))
        self.seed_entry.set_allowed_characters("numbers")
        self.summary_box = pygame_gui.elements.UICheckBox(
            pygame.Rect(w - 760, h - 66, 24, 24), "Hot-seat turn summaries", self.ui, initial_state=True)
        self._build_faction_widgets()

    def _build_faction_widgets(self) -> None:
        for dd in self.faction_widgets:
            dd.kill()
        self.faction_widgets = {}
        self.start_b.disable()
        if self.scenario is None:
            return
        opts = controller_options()
        y = self.faction_top()
        for f in self.scenario.factions:
            cur = self.choices.get(f.id) or option_for(PlayerSetup(f.controller, f.ai_level))
            if cur not in opts:
                cur = opts[-1]
            self.choices[f.id] = cur
            dd = pygame_gui.elements.UIDropDownMenu(opts, cur, pygame.Rect(self.right.right - 220, y, 200, 34), self.ui)
            self.faction_widgets[dd] = f.id
            y += self.row_height()
        self.start_b.enable()

    def side_text_width(self) -> int:
        """Width for a side's name and description, left of its drop-down."""
        return self.right.width - 40 - 38 - 230

    def row_height(self) -> int:
        """Room for each side: its name and up to two lines of its description (one in a small window)."""
        if self.scenario is None or self.right.height < 480:
            return 56
        w = self.side_text_width()
        two = any(len(common.wrap(f.description, w, 16)) > 1 for f in self.scenario.factions if f.description)
        return 74 if two else 56

    def desc_lines(self) -> int:
        """Lines of the scenario description that fit above the sides (2 to 8)."""
        if self.scenario is None:
            return 2
        lh = theme.font(19).get_linesize() + 2
        room = self.right.height - 16 - 68 - 52 - len(self.scenario.factions) * self.row_height() - 44
        want = len(common.wrap(self.scenario.meta.description or "", self.right.width - 40, 19))
        return max(2, min(8, want, room // lh))

    def faction_top(self) -> int:
        """Below the description."""
        lines = self.desc_lines() if self.scenario is not None and self.scenario.meta.description else 2
        return self.right.top + 16 + 68 + lines * (theme.font(19).get_linesize() + 2) + 52

    # --- loading -----------------------------------------------------------------------------------
    def load(self, path: Path) -> None:
        from game.scenario.loader import load_scenario
        self.path = Path(path)
        self.scenario = None
        self.problems = []
        self.loading_path = self.path
        self.choices = {}
        self._build_faction_widgets()
        self.task = BackgroundTask(lambda p=self.path: load_scenario(p))

    def update(self, dt: float) -> None:
        t = self.task
        if t is None or not t.done:
            return
        self.task = None
        if t.error is not None:
            if isinstance(t.error, ScenarioError):
                self.problems = t.error.problems or [str(t.error)]
            elif isinstance(t.error, DeconflictionError):
                self.problems = [str(t.error)]
            else:
                self.problems = [f"{self.loading_path}: could not load: {type(t.error).__name__}: {t.error}"]
            return
        self.scenario = t.result
        self.seed_entry.set_text(str(self.scenario.meta.seed))
        self._build_faction_widgets()

    def wait_loaded(self, timeout: float = 20.0) -> None:
        """Block until the scenario load finishes (tests, and ``--scenario`` at start-up)."""
        if self.task is not None:
            self.task.wait(timeout)
        self.update(0)

    # --- input ------------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame_gui.UI_SELECTION_LIST_NEW_SELECTION and event.ui_element is self.list:
            p = self.items.get(event.text)
            if p is not None and (self.path is None or p.resolve() != self.path.resolve() or self.problems):
                self.load(p)
        elif event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element in self.faction_widgets:
            self.choices[self.faction_widgets[event.ui_element]] = event.text
        elif event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.back_b:
                self.app.pop()
            elif event.ui_element is self.start_b:
                self.start()
            elif event.ui_element is self.open_b:
                start = self.app.scenario_dir if self.app.scenario_dir.is_dir() else self.app.bundled_dir
                self.app.push(FileDialog(self.app, "Open a scenario file", start, SCENARIO_EXT, self._opened))
        elif event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                self.app.pop()
            elif event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.start()

    def _opened(self, path: Path) -> bool:
        if path not in self.extra_paths:
            self.extra_paths.append(path)
        self.path = path
        self.layout(self.app.size)
        self.load(path)
        return True

    def set_controller(self, fid: str, option: str) -> None:
        """What the drop-down does (tests and keyboard use it directly)."""
        if option not in controller_options():
            raise ValueError(option)
        self.choices[fid] = option
        self._build_faction_widgets()

    def players(self) -> dict[str, PlayerSetup]:
        assert self.scenario is not None
        return {f.id: setup_for(self.choices.get(f.id, HUMAN)) for f in self.scenario.factions}

    def start(self) -> None:
        if self.scenario is None:
            return
        try:
            seed = int(self.seed_entry.get_text() or self.scenario.meta.seed)
        except ValueError:
            seed = self.scenario.meta.seed
        try:
            session = Session.start(self.scenario, seed, self.players())
        except DeconflictionError as e:
            self.app.message("Cannot start this scenario", str(e))
            return
        self.app.hotseat_summaries = bool(self.summary_box.get_state()) if hasattr(self.summary_box, "get_state") else True
        self.app.start_session(session)

    # --- drawing -------------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        from game.ui.screens.menu import draw_backdrop
        draw_backdrop(surface)
        w, h = surface.get_size()
        common.text(surface, "New game", (32, 28), 44, (232, 216, 168), bold=True)
        common.text(surface, "Scenarios", (self.left.left, self.left.top), 22, common.ACCENT, bold=True)
        common.text(surface, f"Your scenarios folder: {self.folder_hint}", (self.left.left, self.left.bottom - 36),
                    15, common.DIM)
        common.panel(surface, self.right, common.PANEL, common.EDGE, alpha=235)
        r = self.right.inflate(-40, -32)
        if self.task is not None:
            common.text(surface, f"Loading {self.loading_path.name if self.loading_path else ''}...",
                        r.topleft, 26, common.DIM)
        elif self.problems:
            common.text(surface, "This scenario file has problems", r.topleft, 28, common.BAD, bold=True)
            body = "\n".join(self.problems[:12])
            if len(self.problems) > 12:
                body += f"\n... and {len(self.problems) - 12} more"
            common.text_block(surface, body, pygame.Rect(r.left, r.top + 44, r.width, r.height - 44), 18)
        elif self.scenario is not None:
            self._draw_scenario(surface, r)
        common.text(surface, "Seed", (w - 528, h - 62), 20, common.DIM)

    def _draw_scenario(self, surface: pygame.Surface, r: pygame.Rect) -> None:
        s = self.scenario
        m = s.meta
        common.text(surface, common.fit(m.name, r.width, 32, bold=True), r.topleft, 32, (240, 230, 200), bold=True)
        end = s.date_of_turn(m.turns)
        info = (f"{m.start_date:%d %b %Y} - {end:%d %b %Y}   {m.turns} turns of {m.days_per_turn} days   "
                f"map {s.grid.width} x {s.grid.height} hexes ({s.grid.hex_km:g} km)   {len(s.units)} units")
        common.text(surface, common.fit(info, r.width, 18), (r.left, r.top + 40), 18, common.DIM)
        lines = common.wrap(m.description or "", r.width, 19)
        n = self.desc_lines()
        if len(lines) > n:
            lines = lines[:n]
            lines[-1] = common.fit(lines[-1] + " ...", r.width, 19)
        lh = theme.font(19).get_linesize() + 2
        for k, line in enumerate(lines):
            common.text(surface, line, (r.left, r.top + 68 + k * lh), 19)
        y = self.faction_top()
        common.text(surface, "Sides", (r.left, y - 30), 22, common.ACCENT, bold=True)
        for f in s.factions:
            col = common.faction_colour(s, f.id)
            pygame.draw.rect(surface, col, (r.left, y + 4, 26, 26))
            pygame.draw.rect(surface, common.DIM, (r.left, y + 4, 26, 26), 1)
            tw = self.side_text_width()
            common.text(surface, common.fit(f.name, tw, 22, bold=True), (r.left + 38, y), 22, common.TEXT, bold=True)
            desc = f.description or (f"VP goal {f.vp_goal:g}" if f.vp_goal else "")
            if desc:
                wrapped = common.wrap(desc, tw, 16)
                rows = 2 if self.row_height() > 56 else 1
                shown = wrapped[:rows]
                if len(wrapped) > rows:
                    shown[-1] = common.fit(shown[-1] + " ...", tw, 16)
                for k, line in enumerate(shown):
                    common.text(surface, line, (r.left + 38, y + 22 + 18 * k), 16, common.DIM)
            y += self.row_height()
        humans = sum(1 for c in self.choices.values() if c == HUMAN)
        mode = {0: "AI vs AI: watch the computer play", 1: "Solo against the AI"}.get(
            humans, f"Hot-seat: {humans} players take turns at this screen")
        common.text(surface, mode, (r.left, y + 10), 20, common.GOOD)
