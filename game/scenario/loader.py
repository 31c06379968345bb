"""Scenario loader: YAML text -> a validated ``game.scenario.model.Scenario``.

Public API
    load_scenario(path) -> Scenario
    load_scenario_text(text, path="<text>") -> Scenario
    scenario_problems(path) -> list[str]          # [] when the file is fine
All of them raise (or report) only ``ScenarioError``; every problem reads
``FILE:LINE FIELD.PATH: message`` (see docs/scenario-format.md).

Extension hooks (for sections and effects added by later features, e.g. air power and
deconfliction lines), registered from another module without editing this one::

    TOP_LEVEL_SECTIONS[name] = parser      # parser(node: YNode, ctx: ParseContext) -> Any
    EFFECT_PARSERS[kind] = parser          # parser(node: YNode, ctx: ParseContext) -> dict | None
    TRIGGER_PARSERS[kind] = parser         # parser(node: YNode, ctx: ParseContext) -> Trigger | None
    DOCUMENT_CHECKS.append(check)          # check(root: YNode, ctx: ParseContext) -> None

or with ``register_section`` / ``register_effect`` / ``register_trigger`` / ``register_check``.
``node`` is the located YAML value (``node.line``, ``node.path`` is the field path,
``node.entries`` / ``node.items`` / ``node.value``); ``ctx`` gives the grid (``ctx.grid``), places
(``ctx.place(name)``), factions, the sections parsed so far, typed readers that report faults
(``ctx.string``, ``ctx.number``, ``ctx.location`` ...) and the error collector (``ctx.error``).
A section parser runs only when its key is present, after all built-in sections except events
and victory (so effect parsers can look at ``ctx.extra``); its result is stored in
``Scenario.extra[name]``.  An effect parser gets the value under the effect's key and returns
the ``Effect.data`` dict (``None`` after reporting a fault).  A document check runs once per
file, right after the registered sections (whether or not the file has them), and reports
through ``ctx.error``: for rules that span sections, such as a key that is meaningless without
a section the file lacks.  Register from a module that ``game.scenario.extensions.load_all()``
imports: the loader calls it once, if it exists.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import importlib
import math
import os
import re
import stat
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np
import yaml

from game.errors import ScenarioError
from game.hexgrid import Grid
from game.scenario import raster
from game.scenario.model import (
    RELATIONS, Effect, Event, Faction, Meta, Objective, Place, Reinforcement, River, Road, Rules,
    Scenario, SuddenDeath, SupplySource, TerrainType, Trigger, UnitSpec, UnitType,
)
from game.scenario.yamlnodes import (
    INVALID, MAX_BYTES, Problems, Refused, YNode, compose, join_path, to_ynodes,
)

__all__ = [
    "load_scenario", "load_scenario_text", "scenario_problems", "ParseContext", "Location",
    "TOP_LEVEL_SECTIONS", "EFFECT_PARSERS", "TRIGGER_PARSERS",
    "DOCUMENT_CHECKS", "register_section", "register_effect", "register_trigger",
    "register_check", "YNode",
]

SectionParser = Callable[[YNode, "ParseContext"], Any]
EffectParser = Callable[[YNode, "ParseContext"], "dict[str, Any] | None"]
TriggerParser = Callable[[YNode, "ParseContext"], "Trigger | None"]
DocumentCheck = Callable[[YNode, "ParseContext"], None]

TOP_LEVEL_SECTIONS: dict[str, SectionParser] = {}
EFFECT_PARSERS: dict[str, EffectParser] = {}
TRIGGER_PARSERS: dict[str, TriggerParser] = {}
DOCUMENT_CHECKS: list[DocumentCheck] = []

FORMAT_VERSION = 1
BUILTIN_SECTIONS = (
    "format", "meta", "rules", "terrain_types", "map", "places", "factions", "relations",
    "unit_types", "units", "supply_sources", "objectives", "reinforcements", "events", "victory",
)
ID_RE = re.compile(r"[a-z0-9_]+")
UNIT_ID_RE = re.compile(r"[A-Za-z0-9_\-]+")
EVENT_ID_RE = re.compile(r"[A-Za-z0-9_\-]+")
COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
PLACE_KINDS = ("city", "town", "village", "base", "field", "crossing", "border", "site")
SYMBOLS = ("infantry", "mechanized", "armor", "artillery", "sof", "militia", "engineer", "hq",
           "airborne", "recon")
ROAD_KINDS = ("highway", "road", "track")
CONTROLLERS = ("human", "ai")
AI_LEVELS = ("random", "normal", "hard")
LOC_KEYS = ("hex", "at", "place")
MAX_FACTIONS = 32
PALETTE = ("#b03a2e", "#2e86c1", "#1e1e1e", "#d4ac0d", "#27ae60", "#8e44ad", "#e67e22", "#7f8c8d")
MAX_TERRAIN_TYPES = 100
MAX_POINTS = 5000              # per polygon / line / path
BIG = 1e6                      # generic cap for counts and amounts nobody needs beyond


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


def register_section(name: str, parser: SectionParser) -> None:
    """Add a top-level section ``name:``; ``parser(node, ctx)``'s result goes to Scenario.extra."""
    if name in BUILTIN_SECTIONS:
        raise ValueError(f"'{name}' is a built-in scenario section")
    TOP_LEVEL_SECTIONS[name] = parser


def register_effect(kind: str, parser: EffectParser) -> None:
    """Add an event effect kind; ``parser(node, ctx)`` returns Effect.data or None on error."""
    EFFECT_PARSERS[kind] = parser


def register_trigger(kind: str, parser: TriggerParser) -> None:
    """Add an event trigger kind; ``parser(node, ctx)`` returns a Trigger or None on error."""
    TRIGGER_PARSERS[kind] = parser


def register_check(check: DocumentCheck) -> None:
    """Add a whole-file check ``check(root, ctx)``, run after every section has been read."""
    if check not in DOCUMENT_CHECKS:
        DOCUMENT_CHECKS.append(check)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a close option, else ''."""
    opts = [o for o in options if isinstance(o, str)]
    best = difflib.get_close_matches(word, opts, n=1, cutoff=0.6)
    if not best:
        low = {o.lower(): o for o in opts}
        best = [low[m] for m in difflib.get_close_matches(word.lower(), list(low), n=1, cutoff=0.6)]
    return f" (did you mean '{best[0]}'?)" if best else ""


@dataclass(frozen=True)
class Location:
    """A resolved location: the cell, a km point for nearest-side lookups, and the place used."""
    cell: int
    point_km: tuple[float, float]
    latlon: tuple[float, float] | None = None
    place: Place | None = None


class ParseContext:
    """What every section, effect and trigger parser sees.

    Attributes filled as parsing goes: ``path`` (file name for messages), ``problems``,
    ``root`` (the whole document), ``meta``, ``rules``, ``grid`` (None until map is valid),
    ``georef`` (map.origin given), ``terrain_types``/``terrain_index``, ``places``,
    ``factions`` (id -> Faction, in turn order), ``unit_types``, ``units``, ``extra``.
    Readers return the checked value, or the default / None after reporting a fault; compare
    ``problems.errors`` before and after to know if anything failed.
    """

    def __init__(self, path: str, problems: Problems):
        self.path = path
        self.problems = problems
        self.root: YNode | None = None
        self.meta: Meta | None = None
        self.rules = Rules()
        self.grid: Grid | None = None
        self.georef = False
        self.terrain_types: list[TerrainType] = []
        self.terrain_index: dict[str, int] = {}
        self.terrain: np.ndarray | None = None
        self.places: list[Place] = []
        self._place_names: dict[str, Place] = {}
        self.factions: dict[str, Faction] = {}
        self.unit_types: dict[str, UnitType] = {}
        self.units: list[UnitSpec] = []
        self.unit_ids: dict[str, int] = {}
        self.extra: dict[str, Any] = {}
        self.broken: set[str] = set()      # sections with faults: quiet follow-on "unknown X"
        self.budget = raster.Budget()       # caps rasterising work (hostile geometry)
        self._centres: np.ndarray | None = None
        self._edges: np.ndarray | None = None
        self._fwd: np.ndarray | None = None

    # --- reporting ------------------------------------------------------------------------
    def error(self, node: YNode, message: str, field: str | None = None) -> None:
        """Report a fault at ``node`` (its line and path, or ``field`` instead of the path)."""
        self.problems.add(node.line, node.path if field is None else field, message)

    def error_at(self, line: int, field: str, message: str) -> None:
        self.problems.add(line, field, message)

    def tracked(self, section: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)``; if it reported faults, mark ``section`` broken."""
        before = self.failed
        out = fn(*args)
        if self.failed > before:
            self.broken.add(section)
        return out

    @property
    def failed(self) -> int:
        return self.problems.errors

    # --- lookups ----------------------------------------------------------------------------
    def place(self, name: str) -> Place | None:
        """The place with this name or alias, case-insensitive."""
        return self._place_names.get(name.strip().lower())

    @property
    def centres(self) -> np.ndarray:
        """(n_cells, 2) hex centres in km (cached)."""
        if self._centres is None:
            assert self.grid is not None
            self._centres = raster.centres_km(self.grid)
        return self._centres

    @property
    def edges(self) -> np.ndarray:
        """(n_edges, 2) adjacent cell pairs a < b (cached)."""
        if self._edges is None:
            assert self.grid is not None
            self._edges = raster.grid_edges(self.grid)
        return self._edges

    @property
    def forward_edges(self) -> np.ndarray:
        """(n_cells, 3) each cell's neighbours with a larger index, -1 padded (cached)."""
        if self._fwd is None:
            assert self.grid is not None
            self._fwd = raster.forward_edges(self.grid)
        return self._fwd

    def geometry(self, node: YNode, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a raster function for ``node``; too much work refuses the file at that node."""
        try:
            return fn(*args)
        except raster.TooComplex as e:
            raise Refused(node.line, str(e), node.path) from None

    # --- structure --------------------------------------------------------------------------
    def mapping(self, node: YNode | None, allowed: Iterable[str] | None = None,
                what: str = "a mapping") -> bool:
        """Check ``node`` is a mapping; report unknown keys (with a did-you-mean hint)."""
        if node is None:
            return False
        if not node.is_map:
            self._wrong(node, f"expected {what}, got {node.describe()}")
            return False
        if allowed is not None:
            allowed = tuple(allowed)
            for key, line in node.key_lines.items():
                if key not in allowed:
                    self.error_at(line, join_path(node.path, key),
                                  f"unknown key '{key}'{did_you_mean(key, allowed)}")
        return True

    def sequence(self, node: YNode | None, what: str = "a list", min_len: int = 0) -> bool:
        if node is None:
            return False
        if not node.is_seq:
            self._wrong(node, f"expected {what}, got {node.describe()}")
            return False
        if len(node.items) < min_len:
            self.error(node, f"expected at least {min_len} entries, got {len(node.items)}")
            return False
        return True

    def field(self, m: YNode, key: str, reader: Callable[..., Any], *args: Any,
              default: Any = REQUIRED, **kw: Any) -> Any:
        """Read ``m[key]`` with ``reader(node, *args)``; missing/null -> default or an error."""
        node = m.entries.get(key) if m.is_map else None
        if node is None or node.is_null:
            if default is REQUIRED:
                if node is None:
                    self.error_at(m.line, join_path(m.path, key), "missing required field")
                else:
                    self.error(node, "must not be empty")
            return None if default is REQUIRED else default
        return reader(node, *args, **kw)

    # --- scalars ----------------------------------------------------------------------------
    def _wrong(self, node: YNode, message: str) -> None:
        """Report a wrong value, unless it is an unreadable scalar (already reported): then
        only count the failure so callers still see that this step failed."""
        if node.is_scalar and node.value is INVALID:
            self.problems.silent()
        else:
            self.error(node, message)

    def _scalar(self, node: YNode, what: str) -> bool:
        if node.is_scalar and node.value is INVALID:
            self.problems.silent()
            return False
        if not node.is_scalar or node.value is None or isinstance(node.value, bytes):
            self.error(node, f"expected {what}, got {node.describe()}")
            return False
        return True

    def string(self, node: YNode, pattern: re.Pattern[str] | None = None,
               what: str = "text", max_len: int = 10_000) -> str | None:
        """Any scalar's source text (so `name: 1984` is the string '1984')."""
        if not self._scalar(node, what):
            return None
        text = node.text if not isinstance(node.value, str) else node.value
        if len(text) > max_len:
            self.error(node, f"too long ({len(text)} characters, at most {max_len})")
            return None
        if pattern is not None and not pattern.fullmatch(text):
            self.error(node, f"'{text[:40]}' is not a valid {what}")
            return None
        return text

    def identifier(self, node: YNode, what: str = "id (letters a-z, digits, _)") -> str | None:
        return self.string(node, ID_RE, what, max_len=64)

    def integer(self, node: YNode, lo: int, hi: int) -> int | None:
        if not self._scalar(node, "a whole number"):
            return None
        v = node.value
        if isinstance(v, float) and math.isfinite(v) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            self.error(node, f"expected a whole number, got {node.describe()}")
            return None
        if not lo <= v <= hi:
            self.error(node, f"{_num(v)} is out of range ({lo}..{hi})")
            return None
        return v

    def number(self, node: YNode, lo: float, hi: float) -> float | None:
        if not self._scalar(node, "a number"):
            return None
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.error(node, f"expected a number, got {node.describe()}")
            return None
        if isinstance(v, float) and not math.isfinite(v):
            self.error(node, "number must be finite")
            return None
        if not lo <= v <= hi:
            self.error(node, f"{_num(v)} is out of range ({_num(lo)}..{_num(hi)})")
            return None
        return float(v)

    def boolean(self, node: YNode) -> bool | None:
        if not self._scalar(node, "true or false"):
            return None
        if not isinstance(node.value, bool):
            self.error(node, f"expected true or false, got {node.describe()}")
            return None
        return node.value

    def choice(self, node: YNode, options: Iterable[str], what: str = "value") -> str | None:
        options = tuple(options)
        text = self.string(node, what=what)
        if text is None:
            return None
        if text not in options:
            self.error(node, f"unknown {what} '{text[:40]}'{did_you_mean(text, options)}"
                             f"; expected one of: {', '.join(options)}")
            return None
        return text

    def date(self, node: YNode) -> _dt.date | None:
        if not self._scalar(node, "a date (YYYY-MM-DD)"):
            return None
        v = node.value
        if isinstance(v, _dt.datetime):
            return v.date()
        if isinstance(v, _dt.date):
            return v
        if isinstance(v, str):
            try:
                return _dt.date.fromisoformat(v.strip())
            except ValueError:
                pass
        self.error(node, f"expected a date (YYYY-MM-DD), got {node.describe()}")
        return None

    def turn_of_date(self, node: YNode) -> int | None:
        """The turn a date falls on: 1 + days since meta.start_date // days_per_turn."""
        d = self.date(node)
        if d is None or self.meta is None:
            return None
        days = (d - self.meta.start_date).days
        if days < 0:
            self.error(node, f"{d} is before meta.start_date ({self.meta.start_date})")
            return None
        return self.turn(node, 1 + days // self.meta.days_per_turn, f"{d} falls on turn ")

    def turn(self, node: YNode, value: int | None = None, prefix: str = "turn ") -> int | None:
        """A turn number 1..meta.turns (``value`` given: check that instead of the node)."""
        last = self.meta.turns if self.meta else 500
        if value is None:
            value = self.integer(node, 1, 500)
            if value is None:
                return None
        if not 1 <= value <= last:
            self.error(node, f"{prefix}{value} is after the last turn ({last})")
            return None
        return value

    def faction(self, node: YNode) -> str | None:
        """A known faction id."""
        fid = self.string(node, what="faction id", max_len=64)
        if fid is None:
            return None
        if fid not in self.factions:
            if "factions" not in self.broken:
                self.error(node, f"unknown faction '{fid}'{did_you_mean(fid, self.factions)}")
            return None
        return fid

    def string_list(self, node: YNode, what: str = "text") -> list[str] | None:
        if not self.sequence(node, f"a list of {what}"):
            return None
        before = self.failed
        out = [self.string(x, what=what) for x in node.items]
        return None if self.failed > before else [x for x in out if x is not None]

    # --- geography --------------------------------------------------------------------------
    def latlon(self, node: YNode) -> tuple[float, float] | None:
        """[lat, lon] in degrees."""
        if not node.is_seq or len(node.items) != 2:
            self._wrong(node, f"expected [latitude, longitude], got {node.describe()}"
                        if not node.is_seq else
                        f"expected [latitude, longitude], got a list of {len(node.items)}")
            return None
        lat = self.number(node.items[0], -89.0, 89.0)
        lon = self.number(node.items[1], -180.0, 180.0)
        if lat is None or lon is None:
            return None
        return lat, lon

    def points(self, node: YNode, min_count: int,
               max_count: int = MAX_POINTS) -> list[tuple[float, float]] | None:
        """A list of [lat, lon] points (needs map.origin)."""
        if not self.sequence(node, "a list of [latitude, longitude] points", min_count):
            return None
        if len(node.items) > max_count:
            self.error(node, f"too many points ({len(node.items)}, at most {max_count})")
            return None
        if not self._need_georef(node):
            return None
        before = self.failed
        pts = [self.latlon(p) for p in node.items]
        return None if self.failed > before else [p for p in pts if p is not None]

    def points_km(self, node: YNode, min_count: int) -> np.ndarray | None:
        pts = self.points(node, min_count)
        if pts is None or self.grid is None:
            return None
        return raster.project(self.grid, pts)

    def _need_georef(self, node: YNode) -> bool:
        if self.grid is None:
            return False
        if not self.georef:
            self.error(node, "latitude/longitude need map.origin")
            return False
        return True

    def offset_hex(self, node: YNode) -> int | None:
        """[col, row] offset hex on the map -> cell."""
        if not node.is_seq or len(node.items) != 2:
            self._wrong(node, f"expected [column, row], got {node.describe()}"
                        if not node.is_seq else
                        f"expected [column, row], got a list of {len(node.items)}")
            return None
        col = self.integer(node.items[0], -10**6, 10**6)
        row = self.integer(node.items[1], -10**6, 10**6)
        if col is None or row is None or self.grid is None:
            return None
        g = self.grid
        if not (0 <= col < g.width and 0 <= row < g.height):
            self.error(node, f"hex [{col}, {row}] is off the map "
                             f"(columns 0..{g.width - 1}, rows 0..{g.height - 1})")
            return None
        return g.cell_of_offset(col, row)

    def place_ref(self, node: YNode) -> Place | None:
        name = self.string(node, what="place name", max_len=200)
        if name is None:
            return None
        p = self.place(name)
        if p is None and "places" not in self.broken:
            names = [q.name for q in self.places] + [a for q in self.places for a in q.aliases]
            self.error(node, f"unknown place '{name}'{did_you_mean(name, names)}")
        return p

    def location(self, m: YNode, required: bool = True,
                 keys: tuple[str, ...] = LOC_KEYS) -> Location | None:
        """The location in mapping ``m``: exactly one of hex: [c, r], at: [lat, lon], place: name."""
        given = [k for k in keys if k in m.entries]
        if not given:
            if required:
                self.error(m, "missing location: give " + ", ".join(
                    {"hex": "hex: [column, row]", "at": "at: [latitude, longitude]",
                     "place": "place: NAME"}[k] for k in keys))
            return None
        if len(given) > 1:
            self.error_at(m.key_lines[given[1]], join_path(m.path, given[1]),
                          f"give only one of {', '.join(keys)}")
            return None
        if self.grid is None:
            return None
        key = given[0]
        node = m.entries[key]
        if key == "hex":
            cell = self.offset_hex(node)
            return None if cell is None else self._cell_location(cell)
        if key == "place":
            p = self.place_ref(node)
            if p is None:
                return None
            loc = self._cell_location(p.cell)
            if p.lat is not None and p.lon is not None:
                loc = Location(p.cell, self.grid.latlon_to_km(p.lat, p.lon), (p.lat, p.lon), p)
            return Location(loc.cell, loc.point_km, loc.latlon, p)
        if not self._need_georef(node):
            return None
        ll = self.latlon(node)
        if ll is None:
            return None
        cell = self.grid.cell_at_latlon(*ll)
        if cell is None:
            self.error(node, f"point [{ll[0]}, {ll[1]}] is off the map")
            return None
        return Location(cell, self.grid.latlon_to_km(*ll), ll)

    def _cell_location(self, cell: int) -> Location:
        assert self.grid is not None
        x, y = self.centres[cell]
        ll = self.grid.latlon(cell) if self.georef else None
        return Location(cell, (float(x), float(y)), ll)

    def area(self, m: YNode) -> np.ndarray | None:
        """Cells covered by a feature/control entry: polygon, line+width_km, or location+radius."""
        assert self.grid is not None
        kinds = [k for k in ("polygon", "line") if k in m.entries]
        has_loc = any(k in m.entries for k in LOC_KEYS)
        if len(kinds) + has_loc == 0:
            self.error(m, "missing shape: give polygon:, line: (with width_km:) or a location "
                          "(hex:, at: or place:, with optional radius:)")
            return None
        if len(kinds) + has_loc > 1:
            self.error(m, "give only one shape: polygon:, line: or a location")
            return None
        for key, ok in (("width_km", "line" in m.entries), ("radius", has_loc)):
            if key in m.entries and not ok:
                self.error_at(m.key_lines[key], join_path(m.path, key),
                              f"{key} only applies to " + ("line:" if key == "width_km" else
                                                            "a location"))
                return None
        if "polygon" in m.entries:
            node = m.entries["polygon"]
            poly = self.points_km(node, 3)
            if poly is None:
                return None
            return self.geometry(node, raster.polygon_mask, self.grid, poly, self.budget)
        if "line" in m.entries:
            node = m.entries["line"]
            line = self.points_km(node, 2)
            width = self.field(m, "width_km", self.number, 0.0, 1000.0,
                               default=self.grid.hex_km / 2)
            if line is None or width is None:
                return None
            return self.geometry(node, raster.line_mask, self.grid, self.centres, line, width,
                                 self.budget)
        loc = self.location(m)
        radius = self.field(m, "radius", self.integer, 0, 400, default=0)
        if loc is None or radius is None:
            return None
        return self.geometry(m, raster.disc_mask, self.grid, loc.cell, radius, self.budget)

    # --- units ------------------------------------------------------------------------------
    def unit(self, m: YNode) -> UnitSpec | None:
        """One unit entry (units:, reinforcements, effects); ids are unique across all of them."""
        keys = ("id", "name", "type", "faction", "steps", "supply_exempt", "static") + LOC_KEYS
        if not self.mapping(m, keys, "a unit (a mapping with id, type, faction, location)"):
            return None
        before = self.failed
        uid = self.field(m, "id", self.string, UNIT_ID_RE, "unit id (letters, digits, _ or -)", 64)
        if uid is not None:
            if uid in self.unit_ids:
                self.error(m.entries["id"], f"duplicate unit id '{uid}' "
                                            f"(first used at line {self.unit_ids[uid]})")
            else:
                self.unit_ids[uid] = m.entries["id"].line
        name = self.field(m, "name", self.string, default=uid or "")
        utype = self.field(m, "type", self._unit_type)
        faction = self.field(m, "faction", self.faction)
        loc = self.location(m)
        steps = self.field(m, "steps", self.integer, 1, 10, default=None)
        exempt = self.field(m, "supply_exempt", self.boolean, default=False)
        static = self.field(m, "static", self.boolean, default=False)
        if utype is not None and steps is not None and steps > utype.steps:
            self.error(m.entries["steps"], f"{steps} steps is more than a full-strength "
                                           f"'{utype.id}' has ({utype.steps})")
        if loc is not None and self.terrain is not None:
            t = self.terrain_types[int(self.terrain[loc.cell])]
            if t.impassable:
                self.error(m, f"unit starts on impassable terrain '{t.id}'")
        if self.failed > before or uid is None or utype is None or faction is None or loc is None:
            return None
        return UnitSpec(uid, name, utype.id, faction, loc.cell, steps, bool(exempt), bool(static))

    def _unit_type(self, node: YNode) -> UnitType | None:
        tid = self.string(node, what="unit type", max_len=64)
        if tid is None:
            return None
        ut = self.unit_types.get(tid)
        if ut is None and "unit_types" not in self.broken:
            self.error(node, f"unknown unit type '{tid}'{did_you_mean(tid, self.unit_types)}")
        return ut

    @property
    def root_keys(self) -> dict[str, YNode]:
        return self.root.entries if self.root is not None and self.root.is_map else {}

    def supply_source(self, m: YNode) -> SupplySource | None:
        if not self.mapping(m, ("faction", "name", "needs_control") + LOC_KEYS,
                            "a supply source (a mapping with faction and location)"):
            return None
        before = self.failed
        faction = self.field(m, "faction", self.faction)
        loc = self.location(m)
        default_name = loc.place.name if loc is not None and loc.place is not None else ""
        name = self.field(m, "name", self.string, default=default_name)
        needs = self.field(m, "needs_control", self.boolean, default=True)
        if self.failed > before or faction is None or loc is None:
            return None
        return SupplySource(faction, loc.cell, name, bool(needs))


def _num(v: float) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, int) and v.bit_length() > 200:
        return ("-" if v < 0 else "") + "a huge number"
    s = str(v)
    return s if len(s) <= 24 else s[:12] + "..."


# --- sections ------------------------------------------------------------------------------

def _parse_format(root: YNode, ctx: ParseContext) -> None:
    node = root.get("format")
    if node is None:
        ctx.error_at(root.line, "format", f"missing required field (this game reads format: "
                                          f"{FORMAT_VERSION})")
        return
    v = ctx.integer(node, 0, 10**6)
    if v is not None and v != FORMAT_VERSION:
        ctx.error(node, f"unsupported format version {v} (this game reads {FORMAT_VERSION})")


def _parse_meta(root: YNode, ctx: ParseContext) -> None:
    m = ctx.field(root, "meta", lambda n: n)
    keys = ("id", "name", "description", "start_date", "days_per_turn", "turns", "seed")
    if m is None or not ctx.mapping(m, keys):
        return
    before = ctx.failed
    sid = ctx.field(m, "id", ctx.identifier)
    name = ctx.field(m, "name", ctx.string)
    desc = ctx.field(m, "description", ctx.string, default="")
    start = ctx.field(m, "start_date", ctx.date)
    dpt = ctx.field(m, "days_per_turn", ctx.integer, 1, 30)
    turns = ctx.field(m, "turns", ctx.integer, 1, 500)
    seed = ctx.field(m, "seed", ctx.integer, 0, 2**63 - 1, default=1)
    if ctx.failed == before:
        ctx.meta = Meta(sid, name, desc, start, dpt, turns, seed)


def _parse_rules(root: YNode, ctx: ParseContext) -> None:
    m = root.get("rules")
    spec: dict[str, tuple[Callable[..., Any], float, float]] = {
        "stacking": (ctx.integer, 1, 20),
        "supply_range": (ctx.number, 0.0, 1000.0),
        "road_cost": (ctx.number, 0.01, 99.0),
        "attrition_chance": (ctx.number, 0.0, 1.0),
        "out_of_supply_factor": (ctx.number, 0.0, 1.0),
        "control_radius": (ctx.integer, 0, 10),
    }
    if m is None or m.is_null or not ctx.mapping(m, spec):
        return
    defaults = Rules()
    values = {k: ctx.field(m, k, reader, lo, hi, default=getattr(defaults, k))
              for k, (reader, lo, hi) in spec.items()}
    values = {k: (getattr(defaults, k) if v is None else v) for k, v in values.items()}
    ctx.rules = Rules(**values)


def _parse_terrain_types(root: YNode, ctx: ParseContext) -> None:
    m = ctx.field(root, "terrain_types", lambda n: n)
    if m is None or not ctx.mapping(m, None, "a mapping of terrain id -> type"):
        return
    if not m.entries:
        ctx.error(m, "at least one terrain type is needed")
        return
    if len(m.entries) > MAX_TERRAIN_TYPES:
        ctx.error(m, f"too many terrain types ({len(m.entries)}, at most {MAX_TERRAIN_TYPES})")
        return
    codes: dict[str, str] = {}
    keys = ("code", "name", "move_cost", "defence", "colour", "supply_cost")
    for tid, t in m.entries.items():
        if not ID_RE.fullmatch(tid):
            ctx.error_at(m.key_lines[tid], t.path, f"'{tid[:40]}' is not a valid terrain id "
                                                   "(letters a-z, digits, _)")
            continue
        if not ctx.mapping(t, keys):
            continue
        before = ctx.failed
        code = ctx.field(t, "code", ctx.string)
        if code is not None:
            if len(code) != 1 or code.isspace():
                ctx.error(t.entries["code"], f"a terrain code is one visible character, "
                                             f"got '{code[:20]}'")
            elif code in codes:
                ctx.error(t.entries["code"], f"code '{code}' is already used by '{codes[code]}'")
            else:
                codes[code] = tid
        name = ctx.field(t, "name", ctx.string, default=tid)
        move = ctx.field(t, "move_cost", ctx.number, 0.01, 999.0)
        defence = ctx.field(t, "defence", ctx.number, 0.01, 100.0)
        colour = ctx.field(t, "colour", ctx.string, COLOUR_RE, "colour (#rrggbb)",
                           default="#c8b48c")
        supply = ctx.field(t, "supply_cost", ctx.number, 0.01, 999.0, default=None)
        if ctx.failed == before:
            ctx.terrain_index[tid] = len(ctx.terrain_types)
            ctx.terrain_types.append(TerrainType(tid, name, code, move, defence, colour, supply))


def _parse_map_grid(root: YNode, ctx: ParseContext) -> YNode | None:
    m = ctx.field(root, "map", lambda n: n)
    keys = ("width", "height", "hex_km", "origin", "default_terrain", "rows", "features",
            "rivers", "roads", "control")
    if m is None or not ctx.mapping(m, keys):
        return None
    before = ctx.failed
    width = ctx.field(m, "width", ctx.integer, 2, 400)
    height = ctx.field(m, "height", ctx.integer, 2, 400)
    hex_km = ctx.field(m, "hex_km", ctx.number, 0.1, 1000.0, default=5.0)
    origin = ctx.field(m, "origin", ctx.latlon, default=None)
    if ctx.failed > before:
        return m
    ctx.georef = origin is not None
    lat, lon = origin if origin is not None else (0.0, 0.0)
    ctx.grid = Grid(width, height, hex_km, lat, lon)
    return m


def _parse_places(root: YNode, ctx: ParseContext) -> None:
    seq = root.get("places")
    if seq is None or seq.is_null or not ctx.sequence(seq, "a list of places"):
        return
    keys = ("name", "hex", "at", "kind", "aliases", "terrain")
    owners: dict[str, str] = {}
    for node in seq.items:
        if not ctx.mapping(node, keys, "a place (a mapping with name and hex: or at:)"):
            continue
        before = ctx.failed
        name = ctx.field(node, "name", ctx.string, what="place name", max_len=200)
        loc = ctx.location(node, keys=("hex", "at"))
        kind = ctx.field(node, "kind", ctx.choice, PLACE_KINDS, "place kind", default="town")
        aliases = ctx.field(node, "aliases", ctx.string_list, "place name", default=[])
        ctx.field(node, "terrain", _terrain_id, ctx, default=None)
        for nm, n in [(name, node.get("name"))] + [(a, node.get("aliases")) for a in aliases or []]:
            if nm is None or n is None:
                continue
            low = nm.strip().lower()
            if not low:
                ctx.error(n, "a place name must not be blank")
            elif low in owners:
                ctx.error(n, f"place name '{nm}' is already used by {owners[low]}")
            else:
                owners[low] = node.path
        if ctx.failed > before or loc is None or name is None:
            continue
        lat, lon = loc.latlon if loc.latlon is not None else (None, None)
        p = Place(name, loc.cell, lat, lon, kind, tuple(aliases or ()))
        ctx.places.append(p)
        for nm in (name, *p.aliases):
            ctx._place_names[nm.strip().lower()] = p


def _terrain_id(node: YNode, ctx: ParseContext) -> int | None:
    tid = ctx.string(node, what="terrain id", max_len=64)
    if tid is None:
        return None
    if tid not in ctx.terrain_index:
        if "terrain_types" not in ctx.broken:
            ctx.error(node, f"unknown terrain '{tid}'{did_you_mean(tid, ctx.terrain_index)}")
        return None
    return ctx.terrain_index[tid]


def _parse_factions(root: YNode, ctx: ParseContext) -> None:
    seq = ctx.field(root, "factions", lambda n: n)
    if seq is None or not ctx.sequence(seq, "a list of factions", 1):
        return
    if len(seq.items) > MAX_FACTIONS:
        ctx.error(seq, f"too many factions ({len(seq.items)}, at most {MAX_FACTIONS})")
        return
    keys = ("id", "name", "colour", "controller", "ai_level", "hidden", "vp_goal", "sponsor",
            "description")
    for i, node in enumerate(seq.items):
        if not ctx.mapping(node, keys, "a faction (a mapping with id, name, colour)"):
            continue
        before = ctx.failed
        fid = ctx.field(node, "id", ctx.identifier)
        if fid is not None and fid in ctx.factions:
            ctx.error(node.entries["id"], f"duplicate faction id '{fid}'")
        f = Faction(
            id=fid or "",
            name=ctx.field(node, "name", ctx.string, default=fid or ""),
            colour=ctx.field(node, "colour", ctx.string, COLOUR_RE, "colour (#rrggbb)",
                             default=PALETTE[i % len(PALETTE)]),
            order=len(ctx.factions),
            controller=ctx.field(node, "controller", ctx.choice, CONTROLLERS, "controller",
                                 default="ai"),
            ai_level=ctx.field(node, "ai_level", ctx.choice, AI_LEVELS, "AI level",
                               default="normal"),
            hidden=ctx.field(node, "hidden", ctx.boolean, default=False),
            vp_goal=ctx.field(node, "vp_goal", ctx.number, 0.0, BIG, default=0.0),
            sponsor=ctx.field(node, "sponsor", ctx.identifier, default=None),
            description=ctx.field(node, "description", ctx.string, default=""),
        )
        if ctx.failed == before:
            ctx.factions[f.id] = f


def _parse_relations(root: YNode, ctx: ParseContext) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    seq = root.get("relations")
    if seq is None or seq.is_null or not ctx.sequence(seq, "a list of [faction, faction, status]"):
        return out
    lines: dict[tuple[str, str], int] = {}
    for node in seq.items:
        rel = _relation_triple(node, ctx)
        if rel is None:
            continue
        a, b, status = rel
        key = (a, b) if a < b else (b, a)
        if key in out:
            ctx.error(node, f"relation {a}-{b} is already given at line {lines[key]}")
            continue
        out[key] = status
        lines[key] = node.line
    return out


def _relation_triple(node: YNode, ctx: ParseContext) -> tuple[str, str, str] | None:
    if not node.is_seq or len(node.items) != 3:
        ctx._wrong(node, "expected [faction, faction, status]")
        return None
    before = ctx.failed
    a = ctx.faction(node.items[0])
    b = ctx.faction(node.items[1])
    status = ctx.choice(node.items[2], RELATIONS, "relation")
    if ctx.failed > before or a is None or b is None or status is None:
        return None
    if a == b:
        ctx.error(node, f"a relation needs two different factions, got '{a}' twice")
        return None
    return a, b, status


def _parse_unit_types(root: YNode, ctx: ParseContext) -> None:
    m = ctx.field(root, "unit_types", lambda n: n)
    if m is None or not ctx.mapping(m, None, "a mapping of unit type id -> type"):
        return
    keys = ("name", "symbol", "attack", "defence", "movement", "steps", "sight", "range", "zoc",
            "engineer")
    for tid, t in m.entries.items():
        if not ID_RE.fullmatch(tid):
            ctx.error_at(m.key_lines[tid], t.path, f"'{tid[:40]}' is not a valid unit type id "
                                                   "(letters a-z, digits, _)")
            continue
        if not ctx.mapping(t, keys):
            continue
        before = ctx.failed
        ut = UnitType(
            id=tid,
            name=ctx.field(t, "name", ctx.string, default=tid),
            symbol=ctx.field(t, "symbol", ctx.choice, SYMBOLS, "symbol"),
            attack=ctx.field(t, "attack", ctx.number, 0.0, 1000.0),
            defence=ctx.field(t, "defence", ctx.number, 0.0, 1000.0),
            movement=ctx.field(t, "movement", ctx.number, 0.0, 100.0),
            steps=ctx.field(t, "steps", ctx.integer, 1, 10, default=3),
            sight=ctx.field(t, "sight", ctx.integer, 0, 20, default=2),
            range=ctx.field(t, "range", ctx.integer, 1, 20, default=1),
            zoc=ctx.field(t, "zoc", ctx.boolean, default=True),
            engineer=ctx.field(t, "engineer", ctx.boolean, default=False),
        )
        if ctx.failed == before:
            ctx.unit_types[tid] = ut


def _parse_terrain(m: YNode, ctx: ParseContext) -> None:
    """Terrain: default_terrain, then rows, then features in order, then places' terrain."""
    grid = ctx.grid
    assert grid is not None
    if not ctx.terrain_types:
        return
    default = ctx.field(m, "default_terrain", _terrain_id, ctx, default=0)
    terrain = np.full(grid.n_cells, default if default is not None else 0, dtype=np.int8)
    rows = m.get("rows")
    if rows is not None and not rows.is_null:
        _parse_rows(rows, ctx, terrain)
    feats = m.get("features")
    if feats is not None and not feats.is_null and ctx.sequence(feats, "a list of features"):
        for f in feats.items:
            if not ctx.mapping(f, ("terrain", "polygon", "line", "width_km", "radius") + LOC_KEYS,
                               "a feature (a mapping with terrain and a shape)"):
                continue
            tid = ctx.field(f, "terrain", _terrain_id, ctx)
            mask = ctx.area(f)
            if tid is not None and mask is not None:
                terrain[mask] = tid
    _apply_place_terrain(ctx, terrain)
    ctx.terrain = terrain


def _parse_rows(rows: YNode, ctx: ParseContext, terrain: np.ndarray) -> None:
    grid = ctx.grid
    assert grid is not None
    if not ctx.sequence(rows, "a list of row strings"):
        return
    if len(rows.items) != grid.height:
        ctx.error(rows, f"expected {grid.height} rows (map.height), got {len(rows.items)}")
        return
    by_code = {t.code: i for i, t in enumerate(ctx.terrain_types)}
    for r, node in enumerate(rows.items):
        text = ctx.string(node, what="row of terrain codes", max_len=10 * grid.width + 100)
        if text is None:
            continue
        codes = text.replace(" ", "")
        if len(codes) != grid.width:
            ctx.error(node, f"expected {grid.width} terrain codes (map.width), got {len(codes)}")
            continue
        bad = sorted({c for c in codes if c not in by_code})
        if bad:
            col = codes.index(bad[0])
            ctx.error(node, f"unknown terrain code '{bad[0]}' at column {col}; known codes: "
                            f"{' '.join(sorted(by_code))}")
            continue
        terrain[r * grid.width:(r + 1) * grid.width] = [by_code[c] for c in codes]


def _apply_place_terrain(ctx: ParseContext, terrain: np.ndarray) -> None:
    seq = ctx.root_keys.get("places")
    if seq is None or not seq.is_seq:
        return
    for node in seq.items:
        if not node.is_map or "terrain" not in node.entries:
            continue
        name_node = node.entries.get("name")
        p = ctx.place(name_node.text) if name_node is not None and name_node.is_scalar else None
        tid = node.entries["terrain"]
        idx = ctx.terrain_index.get(tid.text) if tid.is_scalar else None
        if p is not None and idx is not None:
            terrain[p.cell] = idx


def _parse_rivers(m: YNode, ctx: ParseContext) -> list[River]:
    out: list[River] = []
    seq = m.get("rivers")
    if seq is None or seq.is_null or not ctx.sequence(seq, "a list of rivers"):
        return out
    keys = ("name", "path", "hexsides", "crossing_cost", "defence", "bridges")
    for node in seq.items:
        if not ctx.mapping(node, keys, "a river (a mapping with name and path:)"):
            continue
        river = _parse_river(node, ctx)
        if river is not None:
            out.append(river)
    return out


def _parse_river(node: YNode, ctx: ParseContext) -> River | None:
    assert ctx.grid is not None
    before = ctx.failed
    name = ctx.field(node, "name", ctx.string)
    cost = ctx.field(node, "crossing_cost", ctx.number, 0.0, 99.0, default=3.0)
    defence = ctx.field(node, "defence", ctx.number, 0.01, 100.0, default=1.5)
    shapes = [k for k in ("path", "hexsides") if k in node.entries]
    if len(shapes) != 1:
        ctx.error(node, "give exactly one of path: (lat/lon points) or hexsides:")
        return None
    edges: set[tuple[int, int]] = set()
    path_ll: tuple[tuple[float, float], ...] = ()
    if shapes[0] == "path":
        pts = ctx.points(node.entries["path"], 2)
        if pts is None:
            return None
        path_ll = tuple(pts)
        edges = ctx.geometry(node.entries["path"], raster.edges_crossing, ctx.grid, ctx.centres,
                             ctx.forward_edges, raster.project(ctx.grid, pts), ctx.budget)
        if not edges:
            ctx.error(node.entries["path"], "the river crosses no hex sides on the map")
    else:
        edges = _hexsides(node.entries["hexsides"], ctx)
    bridges = _bridges(node, ctx, edges)
    if ctx.failed > before or name is None:
        return None
    return River(name, frozenset(edges), frozenset(bridges), path_ll, cost, defence)


def _hexsides(seq: YNode, ctx: ParseContext) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    if not ctx.sequence(seq, "a list of [[col, row], [col, row]] hex pairs", 1):
        return out
    assert ctx.grid is not None
    for pair in seq.items:
        if not pair.is_seq or len(pair.items) != 2:
            ctx._wrong(pair, "expected a pair of hexes [[col, row], [col, row]]")
            continue
        a, b = ctx.offset_hex(pair.items[0]), ctx.offset_hex(pair.items[1])
        if a is None or b is None:
            continue
        if ctx.grid.distance(a, b) != 1:
            ctx.error(pair, "the two hexes of a side must be adjacent")
            continue
        out.add((min(a, b), max(a, b)))
    return out


def _bridges(node: YNode, ctx: ParseContext, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    seq = node.get("bridges")
    if seq is None or seq.is_null or not ctx.sequence(seq, "a list of bridge locations"):
        return out
    assert ctx.grid is not None
    limit = 3 * ctx.grid.hex_km
    for b in seq.items:
        if b.is_map and "hexside" in b.entries:
            # an explicit side: [[col, row], [col, row]] - the unambiguous way to place a bridge
            if not ctx.mapping(b, ("hexside",), "a bridge (hexside: [[col, row], [col, row]])"):
                continue
            side = _hexsides(_as_list_of_one(b.entries["hexside"]), ctx)
            for e in side:
                if e not in edges:
                    ctx.error(b.entries["hexside"], "this hex side is not on the river")
                else:
                    out.add(e)
            continue
        if not ctx.mapping(b, LOC_KEYS, "a bridge location (hex:, at:, place: or hexside:)"):
            continue
        loc = ctx.location(b)
        if loc is None or not edges:
            continue
        edge, dist = raster.nearest_edge(ctx.centres, edges, np.array(loc.point_km))
        if dist > limit:
            ctx.error(b, f"the river is {dist:.1f} km from this bridge (at most {limit:g} km)")
            continue
        pt = np.array(loc.point_km)
        ties = [e for e in edges if abs(float(np.hypot(*((ctx.centres[e[0]] + ctx.centres[e[1]]) / 2 - pt))) - dist)
                < 0.01 * ctx.grid.hex_km]
        if len(ties) > 1:
            # a hex centre is equally near all its sides: refuse to guess which one is meant
            ctx.error(b, f"this point is equally near {len(ties)} sides of the river; give the side "
                         "with hexside: [[col, row], [col, row]] or a more exact at: [lat, lon]")
            continue
        out.add(edge)
    return out


def _as_list_of_one(node: YNode) -> YNode:
    """Wrap one [[c, r], [c, r]] pair so _hexsides can read it as a list of pairs."""
    seq = YNode("seq", node.line, node.path)
    seq.items = [node]
    return seq


def _parse_roads(m: YNode, ctx: ParseContext) -> list[Road]:
    out: list[Road] = []
    seq = m.get("roads")
    if seq is None or seq.is_null or not ctx.sequence(seq, "a list of roads"):
        return out
    for node in seq.items:
        if not ctx.mapping(node, ("name", "kind", "path", "places", "hexes"),
                           "a road (a mapping with name and path:, places: or hexes:)"):
            continue
        out.extend(_parse_road(node, ctx))
    return out


def _parse_road(node: YNode, ctx: ParseContext) -> list[Road]:
    grid = ctx.grid
    assert grid is not None
    before = ctx.failed
    name = ctx.field(node, "name", ctx.string)
    kind = ctx.field(node, "kind", ctx.choice, ROAD_KINDS, "road kind", default="road")
    shapes = [k for k in ("path", "places", "hexes") if k in node.entries]
    if len(shapes) != 1:
        ctx.error(node, "give exactly one of path:, places: or hexes:")
        return []
    shape = node.entries[shapes[0]]
    runs: list[list[int]] = []
    if shapes[0] == "path":
        line = ctx.points_km(shape, 2)
        if line is not None:
            runs = ctx.geometry(shape, raster.polyline_runs, grid, line, grid.hex_km / 4,
                                ctx.budget)
            runs = [r for r in runs if len(r) > 1]
            if not runs:
                ctx.error(shape, "the road covers fewer than two hexes of the map")
    elif ctx.sequence(shape, f"a list of {shapes[0]}", 2):
        read = ctx.place_ref if shapes[0] == "places" else ctx.offset_hex
        cells = [read(x) for x in shape.items]
        cells = [c.cell if isinstance(c, Place) else c for c in cells]
        if all(c is not None for c in cells):
            run = ctx.geometry(shape, raster.chain, grid, cells, ctx.budget)
            if len(run) < 2:
                ctx.error(shape, "the road covers fewer than two hexes")
            runs = [run]
    if ctx.failed > before or name is None:
        return []
    return [Road(name, tuple(r), kind) for r in runs]


def _parse_control(m: YNode, ctx: ParseContext, units: list[UnitSpec]) -> np.ndarray | None:
    grid = ctx.grid
    assert grid is not None
    control = np.full(grid.n_cells, -1, dtype=np.int8)
    order = {fid: i for i, fid in enumerate(ctx.factions)}
    seq = m.get("control")
    if seq is not None and not seq.is_null and ctx.sequence(seq, "a list of control areas"):
        for c in seq.items:
            if not ctx.mapping(c, ("faction", "polygon", "line", "width_km", "radius") + LOC_KEYS,
                               "a control area (a mapping with faction and a shape)"):
                continue
            fid = ctx.field(c, "faction", ctx.faction)
            mask = ctx.area(c)
            if fid is not None and mask is not None:
                control[mask] = order[fid]
    for u in units:
        control[u.cell] = order[u.faction]
    return control


def _parse_units(root: YNode, ctx: ParseContext) -> list[UnitSpec]:
    out: list[UnitSpec] = []
    seq = root.get("units")
    if seq is None or seq.is_null or not ctx.sequence(seq, "a list of units"):
        return out
    holder: dict[int, tuple[str, int]] = {}
    count: dict[int, int] = {}
    for node in seq.items:
        u = ctx.unit(node)
        if u is None:
            continue
        if u.cell in holder and holder[u.cell][0] != u.faction:
            ctx.error(node, f"hex already holds a unit of '{holder[u.cell][0]}' "
                            f"(line {holder[u.cell][1]}); factions may not share a hex")
            continue
        holder.setdefault(u.cell, (u.faction, node.line))
        count[u.cell] = count.get(u.cell, 0) + 1
        if count[u.cell] > ctx.rules.stacking:
            ctx.error(node, f"hex already holds {ctx.rules.stacking} unit(s): over the stacking limit "
                            f"(rules.stacking = {ctx.rules.stacking})")
            continue
        out.append(u)
    ctx.units = out
    return out


def _parse_list(root: YNode, ctx: ParseContext, key: str, item: Callable[[YNode], Any]) -> list[Any]:
    seq = root.get(key)
    if seq is None or seq.is_null or not ctx.sequence(seq, f"a list of {key.replace('_', ' ')}"):
        return []
    return [x for x in (item(n) for n in seq.items) if x is not None]


def _objective(node: YNode, ctx: ParseContext) -> Objective | None:
    keys = ("name", "vp_per_turn", "vp_end", "factions") + LOC_KEYS
    if not ctx.mapping(node, keys, "an objective (a mapping with name and location)"):
        return None
    before = ctx.failed
    loc = ctx.location(node)
    default_name = loc.place.name if loc is not None and loc.place is not None else REQUIRED
    name = ctx.field(node, "name", ctx.string, default=default_name)
    per_turn = ctx.field(node, "vp_per_turn", ctx.number, 0.0, BIG, default=1.0)
    end = ctx.field(node, "vp_end", ctx.number, 0.0, BIG, default=0.0)
    factions = ctx.field(node, "factions", _faction_list, ctx, default=[])
    if ctx.failed > before or loc is None:
        return None
    return Objective(name, loc.cell, per_turn, end, tuple(factions))


def _faction_list(node: YNode, ctx: ParseContext) -> list[str] | None:
    if not ctx.sequence(node, "a list of faction ids"):
        return None
    before = ctx.failed
    out = [ctx.faction(x) for x in node.items]
    return None if ctx.failed > before else [x for x in out if x is not None]


def _reinforcement(node: YNode, ctx: ParseContext) -> Reinforcement | None:
    if not ctx.mapping(node, ("turn", "date", "message", "units"),
                       "a reinforcement (a mapping with turn: or date:, and units:)"):
        return None
    before = ctx.failed
    turn = _turn_or_date(node, ctx)
    message = ctx.field(node, "message", ctx.string, default="")
    units = ctx.field(node, "units", _unit_list, ctx)
    if ctx.failed > before or turn is None or units is None:
        return None
    return Reinforcement(turn, tuple(units), message)


def _turn_or_date(node: YNode, ctx: ParseContext) -> int | None:
    given = [k for k in ("turn", "date") if k in node.entries]
    if len(given) != 1:
        ctx.error(node, "give exactly one of turn: or date:")
        return None
    value = node.entries[given[0]]
    return ctx.turn(value) if given[0] == "turn" else ctx.turn_of_date(value)


def _unit_list(node: YNode, ctx: ParseContext) -> list[UnitSpec] | None:
    if not ctx.sequence(node, "a list of units", 1):
        return None
    before = ctx.failed
    out = [ctx.unit(x) for x in node.items]
    return None if ctx.failed > before else [u for u in out if u is not None]


# --- events ---------------------------------------------------------------------------------

def _event(node: YNode, ctx: ParseContext, ids: dict[str, int]) -> Event | None:
    if not ctx.mapping(node, ("id", "trigger", "effects", "once"),
                       "an event (a mapping with id, trigger, effects)"):
        return None
    before = ctx.failed
    eid = ctx.field(node, "id", ctx.string, EVENT_ID_RE, "event id (letters, digits, _ or -)", 64)
    if eid is not None:
        if eid in ids:
            ctx.error(node.entries["id"], f"duplicate event id '{eid}' (first at line {ids[eid]})")
        else:
            ids[eid] = node.entries["id"].line
    trigger = ctx.field(node, "trigger", _trigger, ctx)
    effects = ctx.field(node, "effects", _effects, ctx)
    once = ctx.field(node, "once", ctx.boolean, default=True)
    if ctx.failed > before or eid is None or trigger is None or effects is None:
        return None
    return Event(eid, trigger, tuple(effects), bool(once))


def _single_key(node: YNode, ctx: ParseContext, what: str,
                known: dict[str, Any]) -> tuple[str, YNode] | None:
    if not ctx.mapping(node, None, f"{what} (a mapping with one key: {', '.join(known)})"):
        return None
    if len(node.entries) != 1:
        ctx.error(node, f"{what} has exactly one key (one of: {', '.join(known)}), "
                        f"got {len(node.entries)}")
        return None
    key, value = next(iter(node.entries.items()))
    if key not in known:
        ctx.error_at(node.key_lines[key], value.path,
                     f"unknown {what} '{key}'{did_you_mean(key, known)}; "
                     f"expected one of: {', '.join(known)}")
        return None
    return key, value


def _trigger(node: YNode, ctx: ParseContext) -> Trigger | None:
    kv = _single_key(node, ctx, "trigger", TRIGGER_PARSERS)
    if kv is None:
        return None
    return _guarded(TRIGGER_PARSERS[kv[0]], kv[1], ctx, "trigger")


def _effects(node: YNode, ctx: ParseContext) -> list[Effect] | None:
    if not ctx.sequence(node, "a list of effects", 1):
        return None
    before = ctx.failed
    out: list[Effect] = []
    for e in node.items:
        kv = _single_key(e, ctx, "effect", EFFECT_PARSERS)
        if kv is None:
            continue
        data = _guarded(EFFECT_PARSERS[kv[0]], kv[1], ctx, "effect")
        if data is not None:
            out.append(Effect(kv[0], dict(data)))
    return None if ctx.failed > before else out


def _trigger_turn(node: YNode, ctx: ParseContext) -> Trigger | None:
    t = ctx.turn(node)
    return None if t is None else Trigger("turn", turn=t)


def _trigger_date(node: YNode, ctx: ParseContext) -> Trigger | None:
    t = ctx.turn_of_date(node)
    return None if t is None else Trigger("date", turn=t)


def _trigger_captured(node: YNode, ctx: ParseContext) -> Trigger | None:
    if not ctx.mapping(node, ("by",) + LOC_KEYS, "a location (hex:, at: or place:) and by:"):
        return None
    before = ctx.failed
    loc = ctx.location(node)
    by = ctx.field(node, "by", ctx.faction, default=None)
    if ctx.failed > before or loc is None:
        return None
    return Trigger("captured", cell=loc.cell, by=by)


def _trigger_tension(node: YNode, ctx: ParseContext) -> Trigger | None:
    if not ctx.mapping(node, ("between", "above"), "{between: [a, b], above: N}"):
        return None
    before = ctx.failed
    pair = ctx.field(node, "between", ctx.string_list, "id")
    level = ctx.field(node, "above", ctx.number, 0.0, BIG)
    if pair is not None and (len(pair) != 2 or pair[0] == pair[1]):
        ctx.error(node.entries["between"], "expected two different ids [a, b]")
    if ctx.failed > before or pair is None or level is None:
        return None
    return Trigger("tension", pair=(pair[0], pair[1]), level=level)


def _effect_message(node: YNode, ctx: ParseContext) -> dict[str, Any] | None:
    text = ctx.string(node, what="message text")
    return None if text is None else {"text": text}


def _effect_reinforcements(node: YNode, ctx: ParseContext) -> dict[str, Any] | None:
    units = _unit_list(node, ctx)
    return None if units is None else {"units": tuple(units)}


def _effect_relation(node: YNode, ctx: ParseContext) -> dict[str, Any] | None:
    rel = _relation_triple(node, ctx)
    return None if rel is None else {"a": rel[0], "b": rel[1], "status": rel[2]}


def _effect_vp(node: YNode, ctx: ParseContext) -> dict[str, Any] | None:
    if not ctx.mapping(node, ("faction", "amount"), "{faction: ID, amount: N}"):
        return None
    before = ctx.failed
    faction = ctx.field(node, "faction", ctx.faction)
    amount = ctx.field(node, "amount", ctx.number, -BIG, BIG)
    if ctx.failed > before:
        return None
    return {"faction": faction, "amount": amount}


def _effect_supply_source(node: YNode, ctx: ParseContext) -> dict[str, Any] | None:
    src = ctx.supply_source(node)
    return None if src is None else {"source": src}


TRIGGER_PARSERS.update({
    "turn": _trigger_turn, "date": _trigger_date, "captured": _trigger_captured,
    "tension": _trigger_tension,
})
EFFECT_PARSERS.update({
    "message": _effect_message, "reinforcements": _effect_reinforcements,
    "relation": _effect_relation, "vp": _effect_vp, "supply_source": _effect_supply_source,
})


def _parse_victory(root: YNode, ctx: ParseContext) -> list[SuddenDeath]:
    out: list[SuddenDeath] = []
    m = root.get("victory")
    if m is None or m.is_null or not ctx.mapping(m, ("sudden_death",)):
        return out
    seq = m.get("sudden_death")
    if seq is None or seq.is_null or not ctx.sequence(seq, "a list of sudden-death conditions"):
        return out
    for node in seq.items:
        if not ctx.mapping(node, ("faction", "control", "description"),
                           "a condition (a mapping with faction and control)"):
            continue
        before = ctx.failed
        faction = ctx.field(node, "faction", ctx.faction)
        cells = ctx.field(node, "control", _control_cells, ctx)
        desc = ctx.field(node, "description", ctx.string, default="")
        if ctx.failed == before and faction is not None and cells is not None:
            out.append(SuddenDeath(faction, tuple(cells), desc))
    return out


def _control_cells(node: YNode, ctx: ParseContext) -> list[int] | None:
    if not ctx.sequence(node, "a list of place names or [col, row] hexes", 1):
        return None
    before = ctx.failed
    cells: list[int] = []
    for x in node.items:
        if x.is_seq:
            c = ctx.offset_hex(x)
        else:
            p = ctx.place_ref(x)
            c = None if p is None else p.cell
        if c is not None and c not in cells:
            cells.append(c)
    return None if ctx.failed > before else cells


# --- driver ---------------------------------------------------------------------------------

def _parse_document(root: YNode, ctx: ParseContext, text: str) -> Scenario | None:
    """Parse sections in dependency order (not file order) and assemble the Scenario."""
    ctx.root = root
    allowed = BUILTIN_SECTIONS + tuple(k for k in TOP_LEVEL_SECTIONS if k not in BUILTIN_SECTIONS)
    ctx.mapping(root, allowed)
    _parse_format(root, ctx)
    _parse_meta(root, ctx)
    _parse_rules(root, ctx)
    ctx.tracked("terrain_types", _parse_terrain_types, root, ctx)
    m = _parse_map_grid(root, ctx)
    ctx.tracked("factions", _parse_factions, root, ctx)
    relations = _parse_relations(root, ctx)
    ctx.tracked("unit_types", _parse_unit_types, root, ctx)
    if ctx.grid is None or m is None:
        return None            # everything below needs the map
    ctx.tracked("places", _parse_places, root, ctx)
    _parse_terrain(m, ctx)
    rivers = _parse_rivers(m, ctx)
    roads = _parse_roads(m, ctx)
    units = _parse_units(root, ctx)
    control = _parse_control(m, ctx, units)
    sources = _parse_list(root, ctx, "supply_sources", ctx.supply_source)
    objectives = _parse_list(root, ctx, "objectives", lambda n: _objective(n, ctx))
    reinforcements = _parse_list(root, ctx, "reinforcements", lambda n: _reinforcement(n, ctx))
    for name, parser in list(TOP_LEVEL_SECTIONS.items()):
        if name in root.entries and name not in BUILTIN_SECTIONS:
            before = ctx.failed
            result = _guarded(parser, root.entries[name], ctx, "section")
            if ctx.failed == before:
                ctx.extra[name] = result
    for check in list(DOCUMENT_CHECKS):
        _guarded(check, root, ctx, "file")
    ids: dict[str, int] = {}
    events = _parse_list(root, ctx, "events", lambda n: _event(n, ctx, ids))
    sudden = _parse_victory(root, ctx)
    if ctx.problems or ctx.meta is None or ctx.terrain is None or control is None:
        return None
    return Scenario(
        meta=ctx.meta, grid=ctx.grid, terrain_types=ctx.terrain_types, terrain=ctx.terrain,
        rivers=rivers, roads=roads, places=ctx.places, factions=list(ctx.factions.values()),
        relations=relations, unit_types=ctx.unit_types, units=units, initial_control=control,
        supply_sources=sources, objectives=objectives, reinforcements=reinforcements,
        events=events, sudden_death=sudden, rules=ctx.rules, source_path=ctx.path,
        source_text=text, extra=ctx.extra,
    )


def _guarded(parser: Callable[[YNode, ParseContext], Any], node: YNode, ctx: ParseContext,
             what: str) -> Any:
    """Run a (possibly registered) parser; its crash becomes a located problem, not a traceback."""
    try:
        return parser(node, ctx)
    except (ScenarioError, Refused, RecursionError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 - a bug in an extension must not escape as a traceback
        ctx.error(node, f"internal error while reading this {what}: {type(e).__name__}: "
                        f"{str(e)[:200]}")
        return None


def _file_problem(path: str, message: str, line: int = 1) -> ScenarioError:
    return ScenarioError([f"{path}:{line} (file): {message}"])


def _yaml_problem(path: str, e: yaml.YAMLError, text: str) -> ScenarioError:
    mark = getattr(e, "problem_mark", None)
    if isinstance(e, yaml.reader.ReaderError):
        line = text.count("\n", 0, e.position) + 1
        ch = e.character if isinstance(e.character, int) else ord(str(e.character)[:1] or "?")
        return _file_problem(path, f"character U+{ch:04X} is not allowed in YAML", line)
    line = mark.line + 1 if mark is not None else 1
    if "nesting depth" in str(getattr(e, "problem", "")):   # libyaml's own depth limit
        return _file_problem(path, "nested too deeply; refusing", line)
    parts = [getattr(e, "context", None), getattr(e, "problem", None)]
    msg = "; ".join(p for p in parts if p) or str(e).splitlines()[0]
    return _file_problem(path, f"YAML syntax error: {msg}", line)


def _load(text: str, path: str) -> Scenario:
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _file_problem(path, f"too large (more than {MAX_BYTES // (1024 * 1024)} MB)")
    problems = Problems(path)
    try:
        node = compose(text)
        if node is None:
            raise _file_problem(path, "the file is empty; a scenario starts with 'format: 1'")
        root = to_ynodes(node, problems)
    except Refused as e:
        raise ScenarioError([f"{path}:{e.line} {e.field}: {e.message}"]) from None
    except yaml.YAMLError as e:
        raise _yaml_problem(path, e, text) from None
    ctx = ParseContext(path, problems)
    if not root.is_map:
        ctx.error(root, f"expected a mapping of sections (format:, meta:, map: ...), "
                        f"got {root.describe()}", field="(file)")
        raise ScenarioError(problems.messages())
    try:
        scenario = _parse_document(root, ctx, text)
    except Refused as e:
        raise ScenarioError([f"{path}:{e.line} {e.field}: {e.message}"]) from None
    if problems or scenario is None:
        if not problems:  # pragma: no cover - a missing piece always reports why
            ctx.error(root, "the scenario is incomplete", field="(file)")
        raise ScenarioError(problems.messages())
    return scenario


_extensions_loaded = False


def _load_extensions() -> None:
    """Call game.scenario.extensions.load_all() once, if that module exists."""
    global _extensions_loaded
    if _extensions_loaded:
        return
    try:
        mod = importlib.import_module("game.scenario.extensions")
    except ModuleNotFoundError as e:
        if e.name not in ("game.scenario.extensions",):
            raise
        _extensions_loaded = True
        return
    load_all = getattr(mod, "load_all", None)
    if callable(load_all):
        load_all()
    _extensions_loaded = True


def load_scenario_text(text: str, path: str = "<text>") -> Scenario:
    """Validate scenario YAML ``text`` (``path`` names it in messages); raise ScenarioError."""
    path = str(path)
    try:
        _load_extensions()
        if isinstance(text, (bytes, bytearray)):
            text = _decode(bytes(text), path)
        if not isinstance(text, str):
            raise _file_problem(path, f"expected YAML text, got {type(text).__name__}")
        return _load(text, path)
    except ScenarioError:
        raise
    except RecursionError:
        raise _file_problem(path, "too deeply nested to read") from None
    except MemoryError:
        raise _file_problem(path, "too large to load (out of memory)") from None
    except Exception as e:  # noqa: BLE001 - the promise is: only ScenarioError leaves here
        raise _file_problem(path, f"could not load: {type(e).__name__}: {e}") from None


def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise _file_problem(path, f"not UTF-8 text: byte 0x{data[e.start]:02x} at column {col}",
                            line) from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file (at most 2 MB, UTF-8); raise ScenarioError."""
    try:
        name = os.fspath(path)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
    except Exception as e:  # noqa: BLE001
        raise ScenarioError([f"{path!r}:1 (file): not a file path: {e}"]) from None
    try:
        st = os.stat(name)
        if stat.S_ISDIR(st.st_mode):
            raise _file_problem(name, "is a directory, not a scenario file")
        if st.st_size > MAX_BYTES:
            raise _file_problem(name, f"too large ({st.st_size} bytes; scenarios are at most "
                                      f"{MAX_BYTES // (1024 * 1024)} MB)")
        with open(name, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except ScenarioError:
        raise
    except (OSError, ValueError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise _file_problem(name, f"cannot read: {reason}") from None
    if len(data) > MAX_BYTES:
        raise _file_problem(name, f"too large (scenarios are at most "
                                  f"{MAX_BYTES // (1024 * 1024)} MB)")
    try:
        text = _decode(data, name)
    except ScenarioError:
        raise
    return load_scenario_text(text, name)


def scenario_problems(path: str | os.PathLike[str]) -> list[str]:
    """Every problem in the scenario file, or [] when it loads."""
    try:
        load_scenario(path)
    except ScenarioError as e:
        return list(e.problems)
    return []
