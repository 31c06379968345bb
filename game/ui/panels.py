"""The game screen's panels: top bar (turn, date, side to move, VP, tension), unit and hex info,
the attack and air-mission previews, the event log and tooltips.

Drawn with plain pygame (text and bars change every frame; widgets would only slow them down).
Everything here only *reads* the state, and only what the viewer may know.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pygame

from game.rules import combat, movement
from game.state import GameEvent, GameState, Unit
from game.ui import theme
from game.ui.screens import common

LINE = 20


# --- small pieces ------------------------------------------------------------------------------

def _t(surface, s, pos, size=18, colour=common.TEXT, bold=False, anchor="topleft") -> pygame.Rect:
    return common.text(surface, s, pos, size, colour, bold, anchor)


def heading(surface: pygame.Surface, rect: pygame.Rect, title: str) -> int:
    _t(surface, title.upper(), (rect.left + 10, rect.top + 6), 16, common.ACCENT, bold=True)
    pygame.draw.line(surface, common.EDGE, (rect.left + 8, rect.top + 24), (rect.right - 8, rect.top + 24))
    return rect.top + 30


def bar(surface: pygame.Surface, rect: pygame.Rect, frac: float, colour, back=(50, 52, 56)) -> None:
    pygame.draw.rect(surface, back, rect)
    w = int(rect.width * max(0.0, min(1.0, frac)))
    if w:
        pygame.draw.rect(surface, colour, (rect.left, rect.top, w, rect.height))
    pygame.draw.rect(surface, (20, 20, 20), rect, 1)


def place_names(state: GameState) -> dict[int, str]:
    cache = state.scenario.extra.setdefault("_ui_places", {})
    if not cache:
        for p in state.scenario.places:
            cache.setdefault(p.cell, p.name)
        cache[-1] = ""
    return cache


def tension_meters(state: GameState) -> list[tuple[str, float, float, list[float]]]:
    """(label, value, maximum, threshold levels) for each tension pair, if air power is in play."""
    air = state.air
    tension = getattr(air, "tension", None)
    if not tension:
        return []
    spec = state.scenario.extra.get("air")
    ts = getattr(spec, "tension", None)
    maximum = float(getattr(ts, "maximum", 100.0) or 100.0)
    levels = [float(getattr(th, "at", 0)) for th in getattr(ts, "thresholds", ())]
    names = {}
    for w in getattr(spec, "wings", ()) or ():
        wid = getattr(w, "id", None)
        if wid:
            names[wid] = getattr(w, "name", wid)
    out = []
    for pair, v in sorted(tension.items()):
        a, b = pair
        label = f"{names.get(a, a)} / {names.get(b, b)}"
        if len(label) > 22:                 # long wing names: the ids read fine
            label = f"{a}-{b}"
        out.append((label, float(v), maximum, levels))
    return out


# --- top bar --------------------------------------------------------------------------------------

def draw_top_bar(surface: pygame.Surface, rect: pygame.Rect, state: GameState, status: str = "") -> None:
    pygame.draw.rect(surface, common.PANEL_DARK, rect)
    pygame.draw.line(surface, common.ACCENT, rect.bottomleft, (rect.right, rect.bottom), 2)
    scn = state.scenario
    x = rect.left + 12
    cy = rect.centery
    r = _t(surface, f"Turn {state.turn}/{scn.meta.turns}", (x, cy), 24, (240, 230, 200), True, "midleft")
    x = r.right + 14
    r = _t(surface, f"{state.date:%d %b %Y}", (x, cy), 20, common.DIM, anchor="midleft")
    x = r.right + 20
    fid = state.active_faction
    col = common.faction_colour(scn, fid)
    chip = pygame.Rect(x, rect.top + 8, 0, rect.height - 16)
    meters = tension_meters(state)
    narrow = rect.width < 1100 + 140 * max(0, len(meters) - 1)
    name = short_name(scn.factions[scn.faction_index(fid)]) if narrow else common.faction_name(scn, fid)
    label = name + (f"  -  {status}" if status else "")
    if state.terminal:
        w = state.winner
        col = common.faction_colour(scn, w) if w not in (None, "draw") else common.DIM
        label = "Game over: " + ("a draw" if w in (None, "draw") else f"{common.faction_name(scn, w)} wins")
    img = theme.font(20, True).render(label, True, theme.ink_on(col))
    chip.width = img.get_width() + 20
    pygame.draw.rect(surface, col, chip, border_radius=4)
    pygame.draw.rect(surface, (15, 15, 15), chip, 1, border_radius=4)
    surface.blit(img, img.get_rect(center=chip.center))
    x = chip.right + 24
    # victory points
    for i, f in enumerate(scn.factions):
        c = common.faction_colour(scn, f.id)
        pygame.draw.rect(surface, c, (x, cy - 7, 14, 14))
        pygame.draw.rect(surface, common.DIM, (x, cy - 7, 14, 14), 1)
        goal = f" / {f.vp_goal:g}" if f.vp_goal else ""
        vp = state.vp[i] if i < len(state.vp) else 0.0
        r = _t(surface, f"{short_name(f)} {vp:g}{goal}", (x + 20, cy), 18, common.TEXT, anchor="midleft")
        x = r.right + 18
    r = _t(surface, "VP", (x - 6, cy), 14, common.DIM, anchor="midleft")
    # tension meters on the right, narrower when the window is
    rx = rect.right - 10
    room = rx - r.right - 16
    w = int(min(120, room / max(1, len(meters)) - 16)) if meters else 0
    if meters and w < 36:
        return                              # no room: the hex panel and air preview show tension
    for name, v, mx, levels in reversed(meters):
        b = pygame.Rect(rx - w, cy - 2, w, 10)
        frac = v / mx if mx else 0
        colour = common.GOOD if frac < 0.34 else common.WARN if frac < 0.67 else common.BAD
        bar(surface, b, frac, colour)
        for lv in levels:
            lx = b.left + int(b.width * lv / mx) if mx else b.left
            pygame.draw.line(surface, (240, 240, 240), (lx, b.top - 2), (lx, b.bottom + 1))
        text = f"Tension {name}: {v:g}"
        if theme.font(14).size(text)[0] > w:
            text = f"Tension {v:g}"
        _t(surface, text, (b.left, b.top - 15), 14, common.DIM)
        rx = b.left - 16


def short_name(faction: Any) -> str:
    """A faction's name short enough for the top bar: the name if it is short, else an
    abbreviation in brackets ("Islamic State (ISIL)" -> "ISIL"), else its id ("sdf" -> "SDF")."""
    import re
    name = getattr(faction, "name", "") or ""
    if len(name) <= 14:
        return name
    m = re.search(r"\(([^()]{1,10})\)\s*$", name)
    if m:
        return m.group(1)
    fid = str(getattr(faction, "id", "") or "")
    if fid:
        return fid.upper() if len(fid) <= 4 else fid.replace("_", " ").capitalize()
    return name[:13] + "."


# --- unit and hex info --------------------------------------------------------------------------

def unit_lines(state: GameState, u: Unit, own: bool) -> list[tuple[str, tuple[int, int, int]]]:
    """Text lines describing a unit; enemy units show only what a counter shows."""
    ut = state.utype(u)
    out = [(f"{u.name}", common.TEXT), (f"{ut.name}  ({common.faction_name(state.scenario, u.faction)})", common.DIM)]
    out.append((f"Strength {u.steps}/{ut.steps}   attack {ut.attack:g}  defence {ut.defence:g}"
                + (f"  range {ut.range}" if ut.range > 1 else ""), common.TEXT))
    if own:
        full = movement.movement_allowance(state, u)
        mp = f"Movement {u.mp:g}/{full:g}"
        status = "attacked" if u.attacked else ("static" if u.static else ("moved" if u.mp < full - 1e-9 else "ready"))
        out.append((f"{mp}   {status}", common.TEXT))
        if not u.in_supply:
            out.append((f"OUT OF SUPPLY ({u.oos_turns} turn{'s' if u.oos_turns != 1 else ''})", common.WARN))
        elif u.supply_exempt:
            out.append(("Supplied by air", common.DIM))
    else:
        out.append(("Out of supply" if not u.in_supply else "", common.WARN))
    return [x for x in out if x[0]]


def hex_lines(state: GameState, cell: int, visible: Iterable[Unit], viewer: str | None) -> list[tuple[str, Any]]:
    """Terrain, place, control, objectives and visible units of a hex."""
    scn = state.scenario
    tt = scn.terrain_types[int(scn.terrain[cell])]
    col, row = scn.grid.offset(cell)
    name = place_names(state).get(cell, "")
    out: list[tuple[str, Any]] = []
    out.append((f"{name + '  -  ' if name else ''}{tt.name}  [{col},{row}]", common.TEXT))
    mv = "impassable" if tt.impassable else f"move {tt.move_cost:g}"
    out.append((f"{mv}, defence x{tt.defence:g}", common.DIM))
    owner = int(state.control[cell])
    out.append((f"Held by {common.faction_name(scn, scn.factions[owner].id) if owner >= 0 else 'nobody'}",
                common.faction_text_colour(scn, scn.factions[owner].id) if owner >= 0 else common.DIM))
    for obj in scn.objectives:
        if obj.cell == cell:
            end = f", {obj.vp_end:g} at the end" if obj.vp_end else ""
            out.append((f"Objective {obj.name}: {obj.vp_per_turn:g} VP/turn{end}", common.ACCENT))
    zone = air_zone_name(state, cell)
    if zone:
        out.append((f"Airspace: {zone}", common.DIM))
    for u in visible:
        if u.cell == cell:
            own = viewer is not None and state.friendly(u.faction, viewer)
            ut = state.utype(u)
            extra = f" mp {u.mp:g}" if own else ""
            out.append((f"{u.name} ({ut.name}) {u.steps}/{ut.steps}{extra}", common.faction_text_colour(scn, u.faction)))
    return out


def air_zone_name(state: GameState, cell: int) -> str:
    """Whose airspace a hex is, when the scenario has deconfliction lines."""
    spec = state.scenario.extra.get("air")
    if spec is None:
        return ""
    try:
        from game.rules.airspace import lines
        z = int(lines.zones(state)[cell])
    except Exception:  # airspace optional; info panel must never fail
        return ""
    if z < 0:
        return "contested"
    try:
        return wing_name(state, spec.wings[z].id)
    except (IndexError, TypeError, AttributeError):
        return str(z)


def wing_name(state: GameState, wid: str | None) -> str:
    spec = state.scenario.extra.get("air")
    for w in getattr(spec, "wings", ()) or ():
        if getattr(w, "id", None) == wid:
            return getattr(w, "name", None) or wid
    return wid or "contested"


def draw_lines(surface: pygame.Surface, rect: pygame.Rect, lines: list[tuple[str, Any]], y: int | None = None,
               size: int = 17) -> int:
    y = rect.top if y is None else y
    for s, col in lines:
        for part in common.wrap(s, rect.width - 20, size):
            if y + LINE > rect.bottom:
                return y
            _t(surface, part, (rect.left + 10, y), size, col)
            y += LINE
    return y


# --- orders previews -----------------------------------------------------------------------------

def draw_attack_preview(surface: pygame.Surface, rect: pygame.Rect, state: GameState, pending,
                        defenders: Iterable[Unit] = ()) -> int:
    """Odds, strengths and every outcome's chance of the attack being prepared (``defenders``:
    the enemy units the attacker sees in the target hex)."""
    defenders = list(defenders)
    y = heading(surface, rect, "Attack")
    names = ", ".join(state.units[a].name for a in pending.attackers if a in state.units)
    y = draw_lines(surface, rect, [(names, common.TEXT)], y)
    if defenders:
        scn = state.scenario
        against = ", ".join(f"{u.name} {u.steps}/{state.utype(u).steps}" for u in defenders)
        y = draw_lines(surface, rect, [(f"vs {against}", common.faction_text_colour(scn, defenders[0].faction))], y, 16)
    if pending.error or pending.prediction is None:
        return draw_lines(surface, rect, [(f"Not possible: {pending.error}", common.BAD)], y)
    p = pending.prediction
    o = p.odds
    r = _t(surface, o.label, (rect.left + 10, y + 2), 34, common.WARN, True)
    _t(surface, f"{o.attack:.1f} vs {o.defence:.1f}" + ("  (bombard)" if o.bombard else ""),
       (r.right + 12, y + 4), 18, common.TEXT)
    notes = ", ".join(o.notes)
    if pending.air_support:
        notes = (notes + ", " if notes else "") + "air support"
    if notes:
        _t(surface, notes, (r.right + 12, y + 22), 15, common.DIM)
    y += 40
    for code, prob in sorted(p.outcomes.items(), key=lambda kv: -kv[1]):
        b = pygame.Rect(rect.left + 10, y + 3, 60, 12)
        good = combat.RESULTS[code][1] > 0 or combat.RESULTS[code][2]
        bad = combat.RESULTS[code][0] > 0
        colour = common.BAD if bad and not good else common.GOOD if good and not bad else common.WARN
        bar(surface, b, prob, colour)
        _t(surface, f"{prob:4.0%}  {combat.RESULT_TEXT[code]}", (b.right + 8, y), 16, common.TEXT)
        y += 18
        if y > rect.bottom - 18:
            break
    if len(pending.eligible) > len(pending.attackers):
        y = draw_lines(surface, rect, [(f"{len(pending.eligible) - len(pending.attackers)} more unit(s) can join: "
                                        "click them or press A", common.DIM)], y + 2, 15)
    return y


MISSION_TITLES = {"strike": "Air strike", "cas": "Close air support", "isr": "ISR flight", "airdrop": "Airdrop"}


def air_preview_lines(state: GameState, pending) -> list[tuple[str, Any]]:
    """Zone, hotline need, sorties, tension and incident risk of the air mission being prepared."""
    col, row = state.scenario.grid.offset(pending.target)
    out: list[tuple[str, Any]] = [(f"Target hex [{col},{row}] {place_names(state).get(pending.target, '')}",
                                   common.TEXT)]
    p = pending.preview
    if p is None:
        out.append((f"Not possible: {pending.error}", common.BAD))
        return out
    if not p.legal:
        out.append((f"Not possible: {p.reason}", common.BAD))
    zone = wing_name(state, p.zone) if p.zone else "contested (no agreed line here)"
    out.append((f"Airspace: {zone}", common.TEXT))
    if p.hotline_needed:
        state_txt = "" if p.hotline_up else "  - HOTLINE DOWN"
        out.append((f"Hotline needed: {pending.hotline_text}{state_txt}", common.WARN))
    else:
        out.append(("Hotline not needed" + (" (announcing halves the risk)" if p.incident_risk_unannounced else ""),
                    common.DIM))
    out.append((f"Uses {p.sortie_cost} sortie{'s' if p.sortie_cost != 1 else ''} ({p.sorties_left} left)", common.TEXT))
    if p.tension_change:
        out.append((f"Tension {p.tension_now:g} -> {p.tension_now + p.tension_change:g}", common.BAD))
    elif p.hotline_needed:
        out.append((f"No tension (unannounced: +{p.tension_if_unannounced:g})", common.GOOD))
    risk = p.incident_risk
    rc = common.BAD if risk >= 0.25 else common.WARN if risk > 0 else common.GOOD
    out.append((f"Incident risk {risk:.0%}" + (f" (announced {p.incident_risk_announced:.0%}, unannounced "
                                                f"{p.incident_risk_unannounced:.0%})" if p.incident_risk_unannounced else ""), rc))
    if p.strike is not None:
        o = p.strike.odds
        out.append((f"Strike at {o.label}: defender loses a step {p.strike.p_defender_loss:.0%}", common.WARN))
    if p.cas_shift:
        out.append((f"Books +{p.cas_shift} column(s) for your next attack on this hex", common.TEXT))
    if p.reveals:
        out.append((f"Reveals {len(p.reveals)} hexes until your next turn", common.TEXT))
    if p.exposes:
        out.append((f"The other side is shown {len(p.exposes)} hexes around the target", common.DIM))
    for n in p.notes:
        out.append((n, common.DIM))
    return out


def draw_air_preview(surface: pygame.Surface, rect: pygame.Rect, state: GameState, pending) -> int:
    y = heading(surface, rect, MISSION_TITLES.get(pending.mission, pending.mission))
    return draw_lines(surface, rect, air_preview_lines(state, pending), y, 16)


# --- event log -----------------------------------------------------------------------------------

KIND_COLOURS = {
    "combat": (236, 140, 110), "capture": (214, 170, 62), "vp": (214, 170, 62), "turn": (150, 190, 236),
    "game_over": (255, 220, 120), "message": (236, 230, 200), "reinforcement": (150, 210, 140),
    "tension": (236, 190, 70), "incident": (236, 96, 80), "reveal": (236, 190, 70), "air": (170, 200, 236),
    "attrition": (222, 140, 100), "eliminated": (222, 96, 80), "relation": (236, 96, 80),
}


@dataclass
class LogLine:
    turn: int
    kind: str
    text: str


class EventLog:
    """A scrollable list of event lines (the viewer's own, fog-filtered)."""

    def __init__(self, lines: list[LogLine] | None = None):
        self.lines: list[LogLine] = lines if lines is not None else []
        self.scroll = 0                      # lines scrolled up from the newest

    def add(self, ev: GameEvent) -> None:
        if ev.kind == "move":
            return                           # moves are seen on the map; the log keeps what matters
        self.lines.append(LogLine(ev.turn, ev.kind, ev.text))
        self.scroll = 0

    def scroll_by(self, n: int) -> None:
        self.scroll = max(0, min(max(0, len(self.lines) - 1), self.scroll + n))

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        y = heading(surface, rect, "Events") + 2
        area = pygame.Rect(rect.left, y, rect.width, rect.bottom - y - 4)
        rows: list[tuple[str, Any]] = []
        end = len(self.lines) - self.scroll
        for ln in self.lines[max(0, end - 60):end]:
            col = KIND_COLOURS.get(ln.kind, common.TEXT)
            for part in common.wrap(f"{ln.turn}: {ln.text}" if ln.kind != "turn" else ln.text, area.width - 20, 15):
                rows.append((part, col))
        n = area.height // 17
        clip = surface.get_clip()
        surface.set_clip(area)
        for i, (s, col) in enumerate(rows[-n:]):
            _t(surface, s, (area.left + 10, area.top + i * 17), 15, col)
        surface.set_clip(clip)
        if self.scroll:
            _t(surface, f"^ {self.scroll} newer below (wheel)", (rect.right - 10, rect.top + 6), 14, common.DIM,
               anchor="topright")


# --- tooltip -------------------------------------------------------------------------------------

def tooltip(surface: pygame.Surface, pos: tuple[int, int], lines: list[tuple[str, Any]], max_w: int = 340,
            bounds: pygame.Rect | None = None) -> pygame.Rect:
    """A box of text lines by the mouse, kept inside ``bounds`` (default: the window) so it never
    covers the side panel."""
    f = theme.font(16)
    rows = []
    for s, col in lines:
        for part in common.wrap(s, max_w - 16, 16):
            rows.append((part, col))
    if not rows:
        return pygame.Rect(pos, (0, 0))
    w = min(max_w, max(f.size(s)[0] for s, _ in rows) + 16)
    h = len(rows) * 18 + 10
    r = pygame.Rect(pos[0] + 18, pos[1] + 18, w, h)
    area = pygame.Rect(bounds) if bounds is not None else surface.get_rect()
    if r.right > area.right - 4:
        r.right = pos[0] - 10
    if r.bottom > area.bottom - 4:
        r.bottom = pos[1] - 10
    r.clamp_ip(area)
    common.panel(surface, r, (24, 25, 28), common.ACCENT, alpha=238)
    for i, (s, col) in enumerate(rows):
        _t(surface, s, (r.left + 8, r.top + 5 + i * 18), 16, col)
    return r
