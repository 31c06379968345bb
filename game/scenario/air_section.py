"""The ``air:`` scenario section: air wings, deconfliction lines, tension and ISR-lift requests.

The first half is plain data (``AirSpec`` and friends) that the rules in ``game.rules.air``
read from ``Scenario.extra['air']``; tests build it directly in Python.  The second half parses
the YAML section and the air effect kinds (``lines``, ``tension``, ``sorties``) through the
loader's extension hooks, reporting each fault as ``FILE:LINE FIELD: message``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from game.hexgrid import axial_to_offset
from game.scenario.model import Effect

if TYPE_CHECKING:  # the loader imports us through extensions.load_all(); avoid a cycle
    from game.scenario.loader import ParseContext
    from game.scenario.yamlnodes import YNode

MISSIONS = ("strike", "cas", "isr", "airdrop")
SIDES = ("left", "right", "west", "east", "north", "south")
INCIDENTS = ("flares", "suspend_sorties", "vp_penalty", "hotline_down", "war", "message")
LINE_ACTIONS = ("suspend", "restore", "redraw", "extend")

# Tension added by each kind of violation (scenario may override any of them).
DEFAULT_COSTS: dict[str, float] = {
    "strike": 8.0,      # unannounced strike in the other sponsor's zone
    "cas": 6.0,         # unannounced close air support there
    "isr": 4.0,         # unannounced drone orbit there
    "airdrop": 2.0,     # unannounced supply drop there
    "crossing": 6.0,    # a ground unit moves into the other sponsor's zone (once per unit per turn)
    "presence": 1.0,    # end of round: ground units still standing in the other's zone
    "incident": 20.0,   # a strike or CAS hits the other sponsor's ground units
}


# --- data ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class WingSpec:
    """One sponsor's air wing: who it flies for, from where, and how much."""
    id: str
    name: str
    factions: tuple[str, ...]            # factions it flies for (sponsor_of + Faction.sponsor)
    sorties: int = 4                     # per round, reset when its first faction's turn starts
    base: int | None = None              # cell of the base (range is measured from here)
    range_km: float | None = None        # None = anywhere on the map
    isr_radius: int = 2                  # hexes revealed around an ISR target
    strike_attack: float = 6.0           # strike strength on the combat table
    cas_shift: int = 1                   # columns of close air support
    airdrop_steps: int = 0               # steps an airdrop restores (0 = supply only)


@dataclass(frozen=True)
class LineSpec:
    """A deconfliction line: a lat/lon polyline; the zone on each side belongs to one wing.

    ``left``/``right`` are relative to the direction of travel (first point to last) on a map
    with north up.  The line is in force from ``from_turn`` until (not including)
    ``until_turn``; ``depth_km`` limits how far from the line its zones reach (None: no limit).
    """
    id: str
    points: tuple[tuple[float, float], ...]
    left: str | None
    right: str | None
    name: str = ""
    from_turn: int = 1
    until_turn: int | None = None
    depth_km: float | None = None


@dataclass(frozen=True)
class Threshold:
    """An incident that fires once each time tension rises to ``at`` (re-armed below it)."""
    at: float
    incident: str                        # flares | suspend_sorties | vp_penalty | hotline_down | war | message
    turns: int = 1                       # suspend_sorties / hotline_down duration in rounds
    amount: float = 0.0                  # vp_penalty VP; suspend_sorties sorties (0 = all)
    who: str = "culprit"                 # culprit | both: whose wing/faction pays
    factions: tuple[str, ...] = ()       # war: these factions go to war (default: all sponsored)
    message: str = ""
    effects: tuple[Effect, ...] = ()     # any further event effects


@dataclass(frozen=True)
class TensionSpec:
    pairs: tuple[tuple[str, str], ...] = ()    # wing pairs with a tension meter (() = every pair)
    start: float = 0.0
    maximum: float = 100.0
    decay: float = 2.0                   # per round in which the pair had no violation
    thresholds: tuple[Threshold, ...] = ()
    costs: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    incident_chance: float = 0.15        # per other-sponsor unit within 1 hex of a strike/CAS
    incident_max: float = 0.5
    announced_factor: float = 0.5        # incident chance multiplier when announced on the hotline
    incident_vp: float = 2.0             # VP the flying faction loses per incident


@dataclass(frozen=True)
class IsrRequest:
    """``from_wing`` asks ``to_wing`` to pull its ISR out of an area (the Sept 2017 convoy)."""
    id: str
    turn: int
    from_wing: str
    to_wing: str
    cells: tuple[int, ...]
    centre: int
    turns: int = 2                       # accepting: no missions of to_wing over the area this long
    message: str = ""
    accept: tuple[Effect, ...] = ()
    refuse: tuple[Effect, ...] = ()
    default: str = "accept"              # the answer if the faction ends its turn without one


@dataclass(frozen=True)
class Scheduled:
    """Air effects on a date (line changes, tension from history's incidents), like an event."""
    turn: int
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class AirSpec:
    wings: tuple[WingSpec, ...]
    lines: tuple[LineSpec, ...] = ()
    tension: TensionSpec = field(default_factory=TensionSpec)
    requests: tuple[IsrRequest, ...] = ()
    schedule: tuple[Scheduled, ...] = ()

    def wing(self, wid: str) -> WingSpec | None:
        for w in self.wings:
            if w.id == wid:
                return w
        return None

    def wing_of(self, fid: str) -> WingSpec | None:
        """The wing that flies for faction ``fid`` (first listed wins)."""
        for w in self.wings:
            if fid in w.factions:
                return w
        return None

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Sorted wing-id pairs that have a tension meter."""
        if self.tension.pairs:
            return tuple(sorted({tuple(sorted(p)) for p in self.tension.pairs}))  # type: ignore[misc]
        ids = sorted(w.id for w in self.wings)
        return tuple((a, b) for i, a in enumerate(ids) for b in ids[i + 1:])


# --- parsing ---------------------------------------------------------------------------------

BIG = 1e6
LINE_MARGIN_HEXES = 2      # how far past the map's edge a line's [lat, lon] point may lie


def _lazy_loader():
    from game.scenario import loader
    return loader


def parse_air(node: "YNode", ctx: "ParseContext") -> AirSpec | None:
    """Parse the ``air:`` section (registered as a loader top-level section)."""
    if not ctx.mapping(node, ("wings", "lines", "tension", "isr_requests", "schedule"), "the air section"):
        return None
    before = ctx.failed
    wings: list[WingSpec] = []
    broken_wings: set[str] = set()       # defined, but the definition has faults (reported)
    seq = ctx.field(node, "wings", lambda n: n)
    if seq is not None and ctx.sequence(seq, "a list of air wings", 1):
        for w in seq.items:
            spec = _wing(w, ctx, wings)
            if spec is not None:
                wings.append(spec)
            elif (gid := _given_id(w)) is not None:
                broken_wings.update((gid, gid.lower()))   # `id: VKS` is invalid, `vks` meant
    wing_ids = {w.id for w in wings}
    broken_wings -= wing_ids
    # references to a broken wing or line stay quiet: its own fault is the one to report
    ctx.extra["_air_ids"] = {"wings": wing_ids, "lines": set(),
                             "broken_wings": broken_wings, "broken_lines": set()}
    # factions whose `sponsor:` names a wing join it
    for f in ctx.factions.values():
        if f.sponsor is None:
            continue
        if f.sponsor in broken_wings:
            continue
        if f.sponsor not in wing_ids:
            if seq is not None:
                ctx.error(seq, f"faction '{f.id}' has sponsor '{f.sponsor}', which is not an air wing "
                               f"(wings: {', '.join(sorted(wing_ids)) or 'none'})", field="factions")
            continue
        for i, w in enumerate(wings):
            if w.id == f.sponsor and f.id not in w.factions:
                wings[i] = _replace_factions(w, w.factions + (f.id,))
    owner: dict[str, str] = {}
    for w in wings:
        for fid in w.factions:
            if fid in owner and seq is not None:
                ctx.error(seq, f"faction '{fid}' is flown for by two wings ('{owner[fid]}' and '{w.id}')")
            owner[fid] = w.id
    lines: list[LineSpec] = []
    broken_lines: set[str] = set()
    lseq = node.get("lines")
    if lseq is not None and not lseq.is_null and ctx.sequence(lseq, "a list of deconfliction lines"):
        ids: set[str] = set()
        for ln in lseq.items:
            spec = _line(ln, ctx, wing_ids)
            if spec is not None:
                if spec.id in ids:
                    ctx.error(ln, f"duplicate line id '{spec.id}'")
                ids.add(spec.id)
                lines.append(spec)
            elif (gid := _given_id(ln)) is not None:
                broken_lines.update((gid, gid.lower()))
    line_ids = {ln.id for ln in lines}
    # effect parsers (thresholds, requests, later events) check wing and line ids against these
    ctx.extra["_air_ids"] = {"wings": wing_ids, "lines": line_ids,
                             "broken_wings": broken_wings, "broken_lines": broken_lines - line_ids}
    tension = TensionSpec()
    tnode = node.get("tension")
    if tnode is not None and not tnode.is_null:
        tension = _tension(tnode, ctx, wing_ids) or tension
    requests: list[IsrRequest] = []
    rseq = node.get("isr_requests")
    if rseq is not None and not rseq.is_null and ctx.sequence(rseq, "a list of ISR-lift requests"):
        rids: set[str] = set()
        for r in rseq.items:
            spec_r = _request(r, ctx, wing_ids)
            if spec_r is not None:
                if spec_r.id in rids:
                    ctx.error(r, f"duplicate request id '{spec_r.id}'")
                rids.add(spec_r.id)
                requests.append(spec_r)
    schedule: list[Scheduled] = []
    snode = node.get("schedule")
    if snode is not None and not snode.is_null and ctx.sequence(snode, "a list of dated air effects"):
        for x in snode.items:
            sch = _scheduled(x, ctx)
            if sch is not None:
                schedule.append(sch)
    if ctx.failed > before:
        return None
    return AirSpec(tuple(wings), tuple(lines), tension, tuple(requests), tuple(schedule))


def _given_id(m: "YNode") -> str | None:
    """The ``id:`` text of a wing or line mapping, read or not (to quiet references to it)."""
    idn = m.get("id")
    if idn is None or not idn.is_scalar or idn.is_null or not idn.text:
        return None
    return idn.value if isinstance(idn.value, str) else idn.text


def _quiet_if_broken(ctx: "ParseContext", key: str, ident: str) -> bool:
    """True (counting the failure without a message) if ``ident`` names a wing/line whose
    definition is present but faulty: that fault is already reported, once."""
    got = ctx.extra.get("_air_ids")
    if got is not None and ident in got.get(f"broken_{key}", ()):
        ctx.problems.silent()
        return True
    return False


def check_sponsors(root: "YNode", ctx: "ParseContext") -> None:
    """A faction's ``sponsor:`` names an air wing; in a file with no ``air:`` section there is
    none, so the key is an error there (registered as a loader document check)."""
    if root.get("air") is not None:
        return                      # parse_air checks it against the wings
    fseq = root.get("factions")
    if fseq is None or not fseq.is_seq:
        return
    for fnode in fseq.items:
        snode = fnode.get("sponsor")
        if snode is None or not snode.is_scalar or snode.is_null:
            continue
        wid = snode.value if isinstance(snode.value, str) else snode.text
        fid = _given_id(fnode)
        f = ctx.factions.get(fid) if fid is not None else None
        if f is None or f.sponsor != wid:
            continue                # the faction or its sponsor: value is already reported
        ctx.error(snode, f"sponsor '{wid}' names an air wing, but the file has no air: "
                         f"section (add one with a wing '{wid}', or remove sponsor:)")


def _scheduled(m: "YNode", ctx: "ParseContext") -> Scheduled | None:
    if not ctx.mapping(m, ("date", "turn", "effects"), "{date: YYYY-MM-DD, effects: [...]}"):
        return None
    before = ctx.failed
    turn = _when(m, ctx)
    effects = ctx.field(m, "effects", parse_effects, ctx)
    if ctx.failed > before or turn is None or effects is None:
        return None
    return Scheduled(turn, tuple(effects))


def _when(m: "YNode", ctx: "ParseContext") -> int | None:
    given = [k for k in ("turn", "date") if k in m.entries]
    if len(given) != 1:
        ctx.error(m, "give exactly one of turn: or date:")
        return None
    v = m.entries[given[0]]
    return ctx.turn(v) if given[0] == "turn" else ctx.turn_of_date(v)


def _replace_factions(w: WingSpec, factions: tuple[str, ...]) -> WingSpec:
    from dataclasses import replace
    return replace(w, factions=factions)


def _wing(m: "YNode", ctx: "ParseContext", earlier: list[WingSpec]) -> WingSpec | None:
    keys = ("id", "name", "sponsor_of", "base", "sorties", "range_km", "isr_radius",
            "strike_attack", "cas_shift", "airdrop_steps")
    if not ctx.mapping(m, keys, "an air wing (a mapping with id, sponsor_of, sorties)"):
        return None
    before = ctx.failed
    wid = ctx.field(m, "id", ctx.identifier)
    if wid is not None and any(w.id == wid for w in earlier):
        ctx.error(m.entries["id"], f"duplicate wing id '{wid}'")
    name = ctx.field(m, "name", ctx.string, default=wid or "")
    factions: list[str] = []
    fnode = m.get("sponsor_of")
    if fnode is not None and not fnode.is_null and ctx.sequence(fnode, "a list of faction ids"):
        for x in fnode.items:
            fid = ctx.faction(x)
            if fid is not None and fid not in factions:
                factions.append(fid)
    base = None
    bnode = m.get("base")
    if bnode is not None and not bnode.is_null:
        if ctx.mapping(bnode, ("hex", "at", "place"), "a location (hex:, at: or place:)"):
            loc = ctx.location(bnode)
            base = None if loc is None else loc.cell
    sorties = ctx.field(m, "sorties", ctx.integer, 0, 1000, default=4)
    range_km = ctx.field(m, "range_km", ctx.number, 1.0, BIG, default=None)
    if range_km is not None and (bnode is None or bnode.is_null):   # a bad base: is reported
        ctx.error_at(m.key_lines["range_km"], m.entries["range_km"].path, "range_km needs a base:")
    isr_radius = ctx.field(m, "isr_radius", ctx.integer, 0, 10, default=2)
    strike = ctx.field(m, "strike_attack", ctx.number, 0.0, BIG, default=6.0)
    shift = ctx.field(m, "cas_shift", ctx.integer, 0, 8, default=1)
    drop = ctx.field(m, "airdrop_steps", ctx.integer, 0, 10, default=0)
    if ctx.failed > before or wid is None:
        return None
    return WingSpec(wid, name, tuple(factions), sorties, base, range_km, isr_radius, strike, shift, drop)


def _wing_ref(node: "YNode", ctx: "ParseContext", wing_ids: set[str]) -> str | None:
    wid = ctx.string(node, what="wing id", max_len=64)
    if wid is None:
        return None
    if wid not in wing_ids:
        if _quiet_if_broken(ctx, "wings", wid):
            return None
        loader = _lazy_loader()
        ctx.error(node, f"unknown air wing '{wid}'{loader.did_you_mean(wid, wing_ids)}")
        return None
    return wid


def _line_points(node: "YNode", ctx: "ParseContext") -> tuple[tuple[float, float], ...] | None:
    """[[lat, lon], ...] or, on maps without an origin, hexes: {hexes: [[c, r], ...]}."""
    if node.is_map:
        if not ctx.mapping(node, ("hexes",), "{hexes: [[column, row], ...]}"):
            return None
        hx = ctx.field(node, "hexes", lambda n: n)
        if hx is None or not ctx.sequence(hx, "a list of [column, row] hexes", 2):
            return None
        cells = [ctx.offset_hex(h) for h in hx.items]
        if any(c is None for c in cells) or ctx.grid is None:
            return None
        g = ctx.grid
        return tuple(g.km_to_latlon(*map(float, ctx.centres[c])) for c in cells)  # type: ignore[index]
    pts = ctx.points(node, 2)
    if pts is None or _point_off_map(node, ctx, pts):
        return None
    return tuple(pts)


def _point_off_map(node: "YNode", ctx: "ParseContext", pts: list[tuple[float, float]]) -> bool:
    """Report the first [lat, lon] point more than LINE_MARGIN_HEXES hexes past the map's edge.

    A line may run a little past the edge (so it cuts cleanly through the border hexes), but a
    point farther out is a mistake: most often [column, row] hexes written as a plain list,
    which is read as latitude/longitude and lands on the far side of the world.
    """
    g = ctx.grid
    if g is None:
        return False
    m = LINE_MARGIN_HEXES
    for item, (lat, lon) in zip(node.items, pts):
        col, row = axial_to_offset(g.hex_at_latlon(lat, lon))
        if -m <= col < g.width + m and -m <= row < g.height + m:
            continue
        xs, ys = ctx.centres[:, 0], ctx.centres[:, 1]
        north, west = g.km_to_latlon(float(xs.min()), float(ys.min()))
        south, east = g.km_to_latlon(float(xs.max()), float(ys.max()))
        text = ", ".join(x.text for x in item.items)          # as written in the file
        hint = ""
        if all(float(v).is_integer() for v in (lat, lon)) and 0 <= lat < g.width and 0 <= lon < g.height:
            hint = "; for hex centres write points: {hexes: [[column, row], ...]}"
        ctx.error(item, f"point [{text}] is off the map (more than {m} hexes past its edge; "
                        f"the map spans latitude {south:.3f}..{north:.3f}, "
                        f"longitude {west:.3f}..{east:.3f}){hint}")
        return True
    return False


def _sides(m: "YNode", ctx: "ParseContext", pts: tuple[tuple[float, float], ...] | None,
           wing_ids: set[str]) -> tuple[str | None, str | None] | None:
    """Resolve left/right (or compass) side keys to (left wing, right wing)."""
    given = {k: m.entries[k] for k in SIDES if k in m.entries}
    if not given:
        ctx.error(m, "give the wing on each side: left:/right: (relative to the line's direction) "
                     "or west:/east: or north:/south:")
        return None
    wings = {k: _wing_ref(v, ctx, wing_ids) for k, v in given.items()}
    if any(v is None for v in wings.values()):
        return None
    left = wings.get("left")
    right = wings.get("right")
    compass = [k for k in given if k not in ("left", "right")]
    if compass:
        if "left" in given or "right" in given:
            ctx.error(given[compass[0]], "give sides either as left:/right: or by compass, not both")
            return None
        if pts is None or ctx.grid is None:
            return None
        (x0, y0), (x1, y1) = ctx.grid.latlon_to_km(*pts[0]), ctx.grid.latlon_to_km(*pts[-1])
        dx, dy = x1 - x0, y1 - y0           # km plane: x east, y south
        # the left normal of travel direction (dx, dy) on a north-up map is (dy, -dx)
        vec = {"west": (-1.0, 0.0), "east": (1.0, 0.0), "north": (0.0, -1.0), "south": (0.0, 1.0)}
        for k in compass:
            vx, vy = vec[k]
            dot = vx * dy - vy * dx
            if abs(dot) < 0.35 * max(1e-9, (dx * dx + dy * dy) ** 0.5):
                ctx.error(given[k], f"'{k}' is ambiguous for a line running this way; use "
                                    + ("north:/south:" if k in ("west", "east") else "west:/east:")
                                    + " or left:/right:")
                return None
            if dot > 0:
                left = wings[k]
            else:
                right = wings[k]
        if len(compass) == 2 and (left is None or right is None):
            ctx.error(m, f"'{compass[0]}' and '{compass[1]}' name the same side of the line")
            return None
    return left, right


def _line(m: "YNode", ctx: "ParseContext", wing_ids: set[str]) -> LineSpec | None:
    keys = ("id", "name", "points", "from", "until", "depth_km") + SIDES
    if not ctx.mapping(m, keys, "a line (a mapping with id, points and the wing on each side)"):
        return None
    before = ctx.failed
    lid = ctx.field(m, "id", ctx.identifier)
    name = ctx.field(m, "name", ctx.string, default=lid or "")
    pts = ctx.field(m, "points", _line_points, ctx)
    sides = _sides(m, ctx, pts, wing_ids)
    start = ctx.field(m, "from", _line_turn, ctx, default=1)
    until = ctx.field(m, "until", _line_turn, ctx, default=None)
    depth = ctx.field(m, "depth_km", ctx.number, 1.0, BIG, default=None)
    if start is not None and until is not None and until <= start:
        ctx.error(m.entries["until"], "until: must fall on a later turn than from:")
    if ctx.failed > before or lid is None or pts is None or sides is None:
        return None
    return LineSpec(lid, pts, sides[0], sides[1], name, start or 1, until, depth)


def _line_turn(node: "YNode", ctx: "ParseContext") -> int | None:
    """The turn a line date falls on; dates before the start mean turn 1 (already in force)."""
    d = ctx.date(node)
    if d is None or ctx.meta is None:
        return None
    days = (d - ctx.meta.start_date).days
    return 1 + max(0, days) // ctx.meta.days_per_turn


def _pair(node: "YNode", ctx: "ParseContext", wing_ids: set[str]) -> tuple[str, str] | None:
    if not ctx.sequence(node, "a pair of wing ids [a, b]", 2) or len(node.items) != 2:
        if node.is_seq and len(node.items) > 2:
            ctx.error(node, "expected a pair of wing ids [a, b]")
        return None
    a, b = (_wing_ref(x, ctx, wing_ids) for x in node.items)
    if a is None or b is None:
        return None
    if a == b:
        ctx.error(node, "expected two different wings")
        return None
    return (a, b) if a < b else (b, a)


def _tension(m: "YNode", ctx: "ParseContext", wing_ids: set[str]) -> TensionSpec | None:
    keys = ("pairs", "start", "max", "decay", "thresholds", "costs", "incident_chance",
            "incident_max", "announced_factor", "incident_vp")
    if not ctx.mapping(m, keys, "the tension settings"):
        return None
    before = ctx.failed
    pairs: list[tuple[str, str]] = []
    pnode = m.get("pairs")
    if pnode is not None and not pnode.is_null and ctx.sequence(pnode, "a list of wing pairs"):
        for p in pnode.items:
            pr = _pair(p, ctx, wing_ids)
            if pr is not None and pr not in pairs:
                pairs.append(pr)
    start = ctx.field(m, "start", ctx.number, 0.0, BIG, default=0.0)
    maximum = ctx.field(m, "max", ctx.number, 1.0, BIG, default=100.0)
    decay = ctx.field(m, "decay", ctx.number, 0.0, BIG, default=2.0)
    costs = dict(DEFAULT_COSTS)
    cnode = m.get("costs")
    if cnode is not None and not cnode.is_null and ctx.mapping(cnode, tuple(DEFAULT_COSTS), "tension costs"):
        for k, v in cnode.entries.items():
            val = ctx.number(v, 0.0, BIG)
            if val is not None:
                costs[k] = val
    chance = ctx.field(m, "incident_chance", ctx.number, 0.0, 1.0, default=0.15)
    cmax = ctx.field(m, "incident_max", ctx.number, 0.0, 1.0, default=0.5)
    factor = ctx.field(m, "announced_factor", ctx.number, 0.0, 1.0, default=0.5)
    ivp = ctx.field(m, "incident_vp", ctx.number, 0.0, BIG, default=2.0)
    thresholds: list[Threshold] = []
    tnode = m.get("thresholds")
    if tnode is not None and not tnode.is_null and ctx.sequence(tnode, "a list of thresholds"):
        for t in tnode.items:
            th = _threshold(t, ctx)
            if th is not None:
                thresholds.append(th)
    if start is not None and maximum is not None and start > maximum:
        ctx.error(m.entries["start"], f"start ({start:g}) is above max ({maximum:g})")
    for th, t in zip(thresholds, tnode.items if tnode is not None and tnode.is_seq else []):
        if maximum is not None and th.at > maximum:
            ctx.error(t, f"threshold at {th.at:g} can never be reached (max is {maximum:g})")
    if ctx.failed > before:
        return None
    thresholds.sort(key=lambda t: t.at)
    return TensionSpec(tuple(pairs), start, maximum, decay, tuple(thresholds), costs,
                       chance, cmax, factor, ivp)


def _threshold(m: "YNode", ctx: "ParseContext") -> Threshold | None:
    keys = ("at", "incident", "turns", "amount", "who", "factions", "message", "effects")
    if not ctx.mapping(m, keys, "a threshold (a mapping with at and incident)"):
        return None
    before = ctx.failed
    at = ctx.field(m, "at", ctx.number, 0.0, BIG)
    kind = ctx.field(m, "incident", ctx.choice, INCIDENTS, "incident")
    turns = ctx.field(m, "turns", ctx.integer, 1, 500, default=1)
    amount = ctx.field(m, "amount", ctx.number, 0.0, BIG, default=0.0)
    who = ctx.field(m, "who", ctx.choice, ("culprit", "both"), "who", default="culprit")
    factions: list[str] = []
    fnode = m.get("factions")
    if fnode is not None and not fnode.is_null and ctx.sequence(fnode, "a list of faction ids", 2):
        for x in fnode.items:
            f = ctx.faction(x)
            if f is not None:
                factions.append(f)
    if fnode is not None and kind is not None and kind != "war":
        ctx.error(fnode, "factions: only applies to incident: war")
    message = ctx.field(m, "message", ctx.string, default="")
    effects = ctx.field(m, "effects", parse_effects, ctx, default=())
    if kind == "vp_penalty" and not amount:
        ctx.error(m, "incident vp_penalty needs amount: (VP lost)")
    if ctx.failed > before or at is None or kind is None:
        return None
    return Threshold(at, kind, turns, amount, who, tuple(factions), message, tuple(effects or ()))


def parse_effects(node: "YNode", ctx: "ParseContext") -> tuple[Effect, ...] | None:
    """A list of event effects (as under an event's ``effects:``), via the loader's parsers."""
    loader = _lazy_loader()
    if not ctx.sequence(node, "a list of effects"):
        return None
    before = ctx.failed
    out: list[Effect] = []
    known = loader.EFFECT_PARSERS
    for e in node.items:
        if not ctx.mapping(e, None, f"an effect (a mapping with one key: {', '.join(known)})"):
            continue
        if len(e.entries) != 1:
            ctx.error(e, f"an effect has exactly one key (one of: {', '.join(known)})")
            continue
        key, value = next(iter(e.entries.items()))
        if key not in known:
            ctx.error_at(e.key_lines[key], value.path,
                         f"unknown effect '{key}'{loader.did_you_mean(key, known)}; "
                         f"expected one of: {', '.join(known)}")
            continue
        data = known[key](value, ctx)
        if data is not None:
            out.append(Effect(key, dict(data)))
    return None if ctx.failed > before else tuple(out)


def _request(m: "YNode", ctx: "ParseContext", wing_ids: set[str]) -> IsrRequest | None:
    keys = ("id", "date", "turn", "from", "to", "area", "turns", "message", "accept", "refuse", "default")
    if not ctx.mapping(m, keys, "an ISR-lift request (id, date, from, to, area, accept, refuse)"):
        return None
    before = ctx.failed
    rid = ctx.field(m, "id", ctx.identifier)
    turn = _when(m, ctx)
    src = ctx.field(m, "from", _wing_ref, ctx, wing_ids)
    dst = ctx.field(m, "to", _wing_ref, ctx, wing_ids)
    if src is not None and src == dst:
        ctx.error(m.entries["to"], "a wing cannot ask itself")
    cells: tuple[int, ...] | None = None
    centre = None
    anode = ctx.field(m, "area", lambda n: n)
    if anode is not None and ctx.mapping(anode, ("hex", "at", "place", "radius"),
                                         "an area (a location with radius:)"):
        loc = ctx.location(anode)
        radius = ctx.field(anode, "radius", ctx.integer, 0, 50, default=2)
        if loc is not None and radius is not None and ctx.grid is not None:
            centre = loc.cell
            cells = tuple(sorted(ctx.grid.cells_within(loc.cell, radius)))
    turns = ctx.field(m, "turns", ctx.integer, 1, 500, default=2)
    message = ctx.field(m, "message", ctx.string, default="")
    accept = ctx.field(m, "accept", parse_effects, ctx, default=())
    refuse = ctx.field(m, "refuse", parse_effects, ctx, default=())
    default = ctx.field(m, "default", ctx.choice, ("accept", "refuse"), "answer", default="accept")
    if ctx.failed > before or rid is None or turn is None or src is None or dst is None or cells is None:
        return None
    return IsrRequest(rid, turn, src, dst, cells, centre, turns, message, tuple(accept or ()),
                      tuple(refuse or ()), default)


# --- effect kinds ----------------------------------------------------------------------------

def _ids(ctx: "ParseContext", key: str) -> set[str] | None:
    got = ctx.extra.get("_air_ids")
    return None if got is None else set(got[key])


def _effect_lines(node: "YNode", ctx: "ParseContext") -> dict[str, Any] | None:
    """{line: ID, action: suspend|restore|redraw|extend, points: [...]} (points for redraw/extend)."""
    if not ctx.mapping(node, ("line", "action", "points"), "{line: ID, action: ..., points: [...]}"):
        return None
    before = ctx.failed
    lid = ctx.field(node, "line", ctx.identifier)
    action = ctx.field(node, "action", ctx.choice, LINE_ACTIONS, "line action")
    pts = ctx.field(node, "points", _line_points, ctx, default=None)
    lines = _ids(ctx, "lines")
    if lid is not None:
        if lines is None:
            ctx.error(node, "a lines effect needs an air: section with lines")
        elif lid not in lines and not _quiet_if_broken(ctx, "lines", lid):
            ctx.error(node.entries["line"], f"unknown line '{lid}'{_lazy_loader().did_you_mean(lid, lines)}")
    if action in ("redraw", "extend") and pts is None and "points" not in node.entries:
        ctx.error(node, f"action {action} needs points:")
    if action in ("suspend", "restore") and "points" in node.entries:
        ctx.error(node.entries["points"], f"points: do not apply to action {action}")
    if ctx.failed > before:
        return None
    return {"line": lid, "action": action, "points": pts or ()}


def _effect_tension(node: "YNode", ctx: "ParseContext") -> dict[str, Any] | None:
    """{between: [a, b], change: N}: raise (or, negative, ease) the tension between two wings."""
    if not ctx.mapping(node, ("between", "change"), "{between: [wing, wing], change: N}"):
        return None
    before = ctx.failed
    wings = _ids(ctx, "wings")
    if wings is None:
        ctx.error(node, "a tension effect needs an air: section with wings")
        return None
    pair = ctx.field(node, "between", _pair, ctx, wings)
    change = ctx.field(node, "change", ctx.number, -BIG, BIG)
    if ctx.failed > before:
        return None
    return {"pair": pair, "change": change}


def _effect_sorties(node: "YNode", ctx: "ParseContext") -> dict[str, Any] | None:
    """{wing: ID, change: N}: a lasting change to a wing's sorties per round."""
    if not ctx.mapping(node, ("wing", "change"), "{wing: ID, change: N}"):
        return None
    before = ctx.failed
    wings = _ids(ctx, "wings")
    if wings is None:
        ctx.error(node, "a sorties effect needs an air: section with wings")
        return None
    wid = ctx.field(node, "wing", _wing_ref, ctx, wings)
    change = ctx.field(node, "change", ctx.integer, -1000, 1000)
    if ctx.failed > before:
        return None
    return {"wing": wid, "change": change}


def register() -> None:
    """Hook the air section and effect kinds into the loader (called by extensions.load_all)."""
    loader = _lazy_loader()
    loader.register_section("air", parse_air)
    loader.register_effect("lines", _effect_lines)
    loader.register_effect("tension", _effect_tension)
    loader.register_effect("sorties", _effect_sorties)
    loader.register_check(check_sponsors)
