"""Air missions: strike, close air support, ISR and airdrop, and the hotline that governs them.

Where the target hex lies decides what a mission costs:

* **own zone** - free: one sortie, nothing else.
* **contested** (no line covers it) - no hotline needed and no tension, but nobody has cleared
  the sky: strikes and CAS near the other sponsor's ground units risk an incident.  The wing
  may still announce it (free): the other side is shown the target area and the risk halves.
* **the other sponsor's zone** - the hotline: *announced*, it costs one extra sortie, or with
  ``wait`` it flies at the start of the faction's next turn instead; either way the other side
  is shown the target area and incident risk halves.  *Unannounced*, it raises tension.

Close air support is either booked ahead with ``AirMission(..., "cas", target)`` (so it can be
announced) or called in on the spot with ``Attack(..., air_support=True)``, which is always
unannounced: there is no time to phone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from game import engine
from game.actions import Action, Attack, register_action
from game.errors import IllegalAction
from game.rules import combat, events as ev_rules, visibility
from game.rules.airspace import lines
from game.rules.airspace.airstate import Queued, Reveal, air_spec, pair_key
from game.rules.airspace.tension import change_tension, hotline_up, paired
from game.rules.terrain import tables
from game.scenario.air_section import MISSIONS, AirSpec, WingSpec
from game.scenario.model import Effect
from game.state import GameEvent, GameState, Unit

MISSION_NAMES = {"strike": "strike", "cas": "close air support", "isr": "ISR", "airdrop": "airdrop"}


@register_action
@dataclass(frozen=True)
class AirMission(Action):
    """Fly one ``mission`` (strike | cas | isr | airdrop) of ``wing`` at hex ``target``.

    ``announce``: tell the other side over the hotline (matters outside the own zone).
    ``wait``: an announced mission into the other side's zone waits a turn instead of paying
    an extra sortie.
    """
    kind: ClassVar[str] = "air"
    wing: str
    mission: str
    target: int
    announce: bool = True
    wait: bool = False


@register_action
@dataclass(frozen=True)
class IsrAnswer(Action):
    """Answer a pending request to pull ISR out of an area."""
    kind: ClassVar[str] = "isr_answer"
    request: str
    accept: bool


@dataclass
class Plan:
    """Everything the rules work out about a mission before it flies (also what predict shows)."""
    wing: WingSpec
    mission: str
    target: int
    faction: str
    zone: str | None                 # wing whose airspace the target is, None = contested
    other: str | None                # the other wing whose zone it is (hotline needed)
    hotline_up: bool
    announced: bool                  # the other side is told
    wait: bool
    cost: int                        # sorties
    tension: float                   # tension this mission adds
    tension_unannounced: float       # what it would add unannounced
    risk: float                      # incident chance
    risk_announced: float
    risk_unannounced: float
    near: list[Unit]                 # other sponsors' ground units within a hex of the target
    notify: list[str]                # wings told over the hotline
    problem: str | None = None


@dataclass
class AirPrediction:
    """What a player (or AI) sees before committing an air mission."""
    legal: bool
    reason: str
    wing: str
    mission: str
    target: int
    zone: str | None
    hotline_needed: bool
    hotline_up: bool
    announced: bool
    sortie_cost: int
    sorties_left: int
    tension_now: float
    tension_change: float
    tension_if_unannounced: float
    incident_risk: float
    incident_risk_announced: float
    incident_risk_unannounced: float
    strike: combat.Prediction | None = None
    cas_shift: int = 0
    reveals: tuple[int, ...] = ()           # hexes the flyer will see (ISR)
    exposes: tuple[int, ...] = ()           # hexes shown to the other side (announced)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        zone = self.zone or "contested"
        parts = [f"{MISSION_NAMES.get(self.mission, self.mission)} in {zone} airspace"]
        if self.hotline_needed:
            parts.append("hotline: " + ("announced" if self.announced else "UNANNOUNCED")
                         + ("" if self.hotline_up else " (hotline down)"))
        parts.append(f"{self.sortie_cost} sortie(s) of {self.sorties_left}")
        if self.tension_change:
            parts.append(f"tension {self.tension_now:g} -> {self.tension_now + self.tension_change:g}")
        if self.incident_risk:
            parts.append(f"incident risk {self.incident_risk:.0%}")
        if self.strike is not None:
            parts.append(self.strike.summary())
        if not self.legal:
            parts.append(f"not possible: {self.reason}")
        return "; ".join(parts)


# --- planning ------------------------------------------------------------------------------

def wing_for(state: GameState, fid: str) -> WingSpec | None:
    spec = air_spec(state.scenario)
    return None if spec is None else spec.wing_of(fid)


def in_range(state: GameState, wing: WingSpec, cell: int) -> bool:
    if wing.range_km is None or wing.base is None:
        return True
    grid = state.scenario.grid
    return grid.distance(wing.base, cell) * grid.hex_km <= wing.range_km + 1e-9


def _no_fly(state: GameState, wing: str, cell: int) -> bool:
    return any(w == wing and cell in cells and state.turn < until for w, cells, until in state.air.no_fly)


def near_units(state: GameState, spec: AirSpec, wing: WingSpec, fid: str, cell: int) -> list[Unit]:
    """Ground units of other sponsors (not at war with the flyer) within one hex of ``cell``."""
    grid = state.scenario.grid
    out = []
    for u in state.units.values():
        w = spec.wing_of(u.faction)
        if w is None or w.id == wing.id or not paired(spec, wing.id, w.id):
            continue
        if state.at_war(u.faction, fid) or grid.distance(u.cell, cell) > 1:
            continue
        out.append(u)
    return sorted(out, key=lambda u: (grid.distance(u.cell, cell), u.id))


def _visible_enemies(state: GameState, fid: str, cell: int) -> list[Unit]:
    here = [u for u in state.units.values() if u.cell == cell and state.at_war(u.faction, fid)]
    return [u for u in here if visibility.unit_visible(state, u, fid)]


def plan(state: GameState, act: AirMission, on_the_spot: bool = False) -> Plan:
    """Work out a mission for the active faction; ``plan.problem`` says why it may not fly."""
    spec = air_spec(state.scenario)
    if spec is None or state.air is None:
        raise IllegalAction("this scenario has no air power")
    wing = spec.wing(act.wing)
    if wing is None:
        raise IllegalAction(f"no air wing {act.wing!r}")
    if act.mission not in MISSIONS:
        raise IllegalAction(f"unknown mission {act.mission!r} (one of {', '.join(MISSIONS)})")
    n = state.scenario.grid.n_cells
    if isinstance(act.target, bool) or not hasattr(act.target, "__index__") or not 0 <= int(act.target) < n:
        raise IllegalAction(f"target {act.target!r} is not a hex on the map")
    fid = state.active_faction
    air = state.air
    zone = lines.zone_owner(state, act.target)
    other = zone if zone is not None and zone != wing.id and paired(spec, wing.id, zone) else None
    notify = [other] if other else ([w for a, b in spec.pairs() if wing.id in (a, b)
                                     for w in (a, b) if w != wing.id] if zone is None else [])
    up = all(hotline_up(state, pair_key(wing.id, w)) for w in notify) if notify else True
    announced = bool(act.announce) and bool(notify) and not on_the_spot
    wait = bool(act.wait) and announced and other is not None
    cost = 1 + (1 if other is not None and announced and not wait else 0)
    ts = spec.tension
    t_un = ts.costs[act.mission] if other is not None else 0.0
    near = near_units(state, spec, wing, fid, act.target) if act.mission in ("strike", "cas") else []
    r_un = min(ts.incident_max, ts.incident_chance * len(near))
    r_an = r_un * ts.announced_factor
    p = Plan(wing, act.mission, act.target, fid, zone, other, up, announced, wait, cost,
             0.0 if announced else t_un, t_un, r_an if announced else r_un, r_an, r_un, near, notify)
    p.problem = _problem(state, act, p, on_the_spot)
    return p


def _problem(state: GameState, act: AirMission, p: Plan, on_the_spot: bool) -> str | None:
    air = state.air
    fid = p.faction
    if state.terminal:
        return "the game is over"
    if fid not in p.wing.factions:
        return f"{p.wing.name} does not fly for {fid}"
    if act.wait and not (p.announced and p.other is not None):
        return "only an announced mission into the other side's zone can wait for the hotline"
    if p.announced and not p.hotline_up:
        return "the hotline is down: fly unannounced or not at all"
    if air.sorties.get(p.wing.id, 0) < p.cost:
        return f"{p.wing.name} has {air.sorties.get(p.wing.id, 0)} sortie(s) left, needs {p.cost}"
    if not in_range(state, p.wing, p.target):
        return f"out of range of {p.wing.name}'s base"
    if _no_fly(state, p.wing.id, p.target):
        return "this airspace was cleared at the other side's request"
    if p.mission == "strike" and not _visible_enemies(state, fid, p.target):
        return "no enemy unit seen in that hex"
    if p.mission == "cas" and not on_the_spot:
        if not _visible_enemies(state, fid, p.target):
            return "no enemy unit seen in that hex"
        if (fid, p.target) in air.cas:
            return "close air support is already booked there"
    if p.mission == "airdrop":
        if not any(u.faction == fid and (not u.in_supply or u.supply_exempt)
                   for u in state.units.values() if u.cell == p.target):
            return "no cut-off unit of yours in that hex"
    return None


# --- flying ----------------------------------------------------------------------------------

def apply_mission(state: GameState, act: AirMission, out: list[GameEvent]) -> None:
    """ACTION_HANDLERS entry for ``AirMission``."""
    p = plan(state, act)
    if p.problem:
        raise IllegalAction(p.problem)
    _launch(state, p, out)


def _launch(state: GameState, p: Plan, out: list[GameEvent]) -> None:
    """Spend sorties, handle the hotline or the tension, then fly (or queue) the mission."""
    air = state.air
    spec = air_spec(state.scenario)
    air.sorties[p.wing.id] -= p.cost
    air.bump("missions_" + p.mission)
    name = MISSION_NAMES[p.mission]
    if p.announced:
        air.bump("announced")
        area = _exposed_area(state, p)
        for w in p.notify:
            ws = spec.wing(w)
            for f in ws.factions if ws else ():
                air.add_reveal(Reveal(f, frozenset(area), p.faction, state.turn))
        when = " next turn" if p.wait else ""
        out.append(GameEvent("hotline", f"Hotline: {p.wing.name} announces {name}{when} at "
                                        f"{_hexname(state, p.target)} to {', '.join(p.notify)}",
                             faction=p.faction, data={"wing": p.wing.id, "to": p.notify, "mission": p.mission,
                                                      "target": p.target, "area": sorted(area),
                                                      "wait": p.wait, "zone": p.zone}))
    elif p.other is not None:
        air.bump("unannounced")
        out.append(GameEvent("air", f"{p.wing.name} flies {name} unannounced into {p.other} airspace",
                             faction=p.faction, data={"wing": p.wing.id, "mission": p.mission,
                                                      "target": p.target, "zone": p.zone, "announced": False}))
        change_tension(state, pair_key(p.wing.id, p.other), p.tension, out, culprit=p.faction,
                       reason=f"unannounced {name}")
    if p.wait:
        air.queued.append(Queued(p.faction, p.wing.id, p.mission, p.target, state.turn + 1))
        return
    _fly(state, p, out)


def _exposed_area(state: GameState, p: Plan) -> list[int]:
    radius = p.wing.isr_radius if p.mission == "isr" else 1
    return state.scenario.grid.cells_within(p.target, radius)


def _hexname(state: GameState, cell: int) -> str:
    """The place in the hex, else 'hex [c, r] near <place>' for the nearest within 3 hexes."""
    grid = state.scenario.grid
    best = None
    for pl in state.scenario.places:
        d = grid.distance(pl.cell, cell)
        if d <= 3 and (best is None or d < best[0]):
            best = (d, pl.name)
    if best is not None and best[0] == 0:
        return best[1]
    col, row = grid.offset(cell)
    return f"hex [{col}, {row}]" + (f" near {best[1]}" if best else "")


def _fly(state: GameState, p: Plan, out: list[GameEvent]) -> None:
    """The mission itself: incident roll for ordnance near the other side, then its effect."""
    if p.mission in ("strike", "cas"):
        _incident_roll(state, p, out)
    if p.mission == "strike":
        _strike(state, p, out)
    elif p.mission == "cas":
        state.air.cas[(p.faction, p.target)] = state.turn
        out.append(GameEvent("air", f"{p.wing.name}: close air support on station over "
                                    f"{_hexname(state, p.target)}", faction=p.faction,
                             data={"wing": p.wing.id, "mission": "cas", "target": p.target}))
    elif p.mission == "isr":
        cells = state.scenario.grid.cells_within(p.target, p.wing.isr_radius)
        state.air.add_reveal(Reveal(p.faction, frozenset(cells), p.faction, state.turn))
        out.append(GameEvent("air", f"{p.wing.name}: ISR over {_hexname(state, p.target)}",
                             faction=p.faction, data={"wing": p.wing.id, "mission": "isr",
                                                      "target": p.target, "cells": sorted(cells)}))
    elif p.mission == "airdrop":
        fed = []
        for u in sorted(state.units.values(), key=lambda u: u.id):
            if u.cell == p.target and u.faction == p.faction:
                u.airdrop_turn = state.turn
                u.in_supply = True
                u.oos_turns = 0
                full = state.utype(u).steps
                if p.wing.airdrop_steps and u.steps < full:
                    u.steps = min(full, u.steps + p.wing.airdrop_steps)
                fed.append(u.id)
        out.append(GameEvent("air", f"{p.wing.name}: airdrop to {_hexname(state, p.target)}",
                             faction=p.faction, data={"wing": p.wing.id, "mission": "airdrop",
                                                      "target": p.target, "units": fed}))


def _incident_roll(state: GameState, p: Plan, out: list[GameEvent]) -> None:
    """Ordnance near the other sponsor's troops: one roll; a hit is an incident."""
    near = [u for u in p.near if u.id in state.units]
    if p.risk <= 0 or not near:
        return
    if state.rng.random() >= p.risk:
        return
    spec = air_spec(state.scenario)
    victim = near[0]
    victim.steps -= 1
    if victim.steps <= 0:
        del state.units[victim.id]
    fi = state.faction_index(p.faction)
    state.air.bump("incidents")
    vw = spec.wing_of(victim.faction)
    out.append(GameEvent("incident", f"Incident: {p.wing.name} {MISSION_NAMES[p.mission]} hits {victim.name} "
                                     f"({victim.faction}); {state.scenario.factions[fi].name} "
                                     f"-{spec.tension.incident_vp:g} VP",
                         faction=p.faction, data={"incident": "friendly_fire", "victim": victim.id,
                                                  "target": p.target, "wing": p.wing.id}))
    if spec.tension.incident_vp:
        ev_rules.EFFECT_HANDLERS["vp"](
            state, Effect("vp", {"faction": p.faction, "amount": -spec.tension.incident_vp}), out)
    if vw is not None:
        change_tension(state, pair_key(p.wing.id, vw.id), spec.tension.costs["incident"], out,
                       culprit=p.faction, reason=f"{p.wing.name} hit {victim.name}")
    engine._check_elimination(state, out)


def strike_odds(state: GameState, wing: WingSpec, fid: str, target: int) -> combat.Odds:
    """The strike's fixed strength against the hex's defenders, as ranged fire on the CRT."""
    defenders = combat.defenders_at(state, target, fid)
    dfn = sum(combat.strength(state, u, state.utype(u).defence) for u in defenders)
    mult = tables(state.scenario).defence[target]
    dfn = max(dfn * mult, 0.1)
    ratio = wing.strike_attack / dfn
    col = 0
    for i, th in enumerate(combat.THRESHOLDS):
        if ratio >= th - 1e-9:
            col = i
    notes = [f"terrain x{mult:g}"] if mult != 1.0 else []
    return combat.Odds(wing.strike_attack, dfn, ratio, col, 0, True, False, notes)


def _strike(state: GameState, p: Plan, out: list[GameEvent]) -> None:
    defenders = sorted(combat.defenders_at(state, p.target, p.faction), key=lambda u: u.id)
    if not defenders:
        out.append(GameEvent("air", f"{p.wing.name}: strike on {_hexname(state, p.target)} finds no target",
                             faction=p.faction, data={"wing": p.wing.id, "mission": "strike", "target": p.target}))
        return
    odds = strike_odds(state, p.wing, p.faction, p.target)
    die = state.rng.randint(1, 6)
    result = combat.result_for_roll(odds, die)
    lost = engine._take_losses(state, defenders, combat.RESULTS[result][1])
    out.append(GameEvent("combat", f"{p.wing.name} strike at {odds.label}: die {die} -> "
                                   f"{combat.RESULT_TEXT[result]}", faction=p.faction,
                         data={"attackers": [], "wing": p.wing.id, "defenders": [d.id for d in defenders],
                               "target": p.target, "odds": odds.label, "column": odds.column, "die": die,
                               "result": result, "attacker_losses": 0, "defender_losses": lost,
                               "retreated": [], "advanced": None, "air": True}))
    engine._check_elimination(state, out)


def fly_queued(state: GameState, fid: str, out: list[GameEvent]) -> None:
    """Missions that waited for the hotline fly as the faction's turn starts (already paid)."""
    air = state.air
    spec = air_spec(state.scenario)
    due = [q for q in air.queued if q.faction == fid and q.turn <= state.turn]
    if not due:
        return
    air.queued = [q for q in air.queued if q not in due]
    for q in due:
        wing = spec.wing(q.wing)
        if wing is None:
            continue
        if _no_fly(state, wing.id, q.target):
            out.append(GameEvent("air", f"{wing.name}: {MISSION_NAMES[q.mission]} called off (airspace cleared)",
                                 faction=fid, data={"wing": wing.id, "target": q.target}))
            continue
        p = plan(state, AirMission(q.wing, q.mission, q.target, True, True))
        if q.mission == "airdrop" and p.problem and "cut-off" in p.problem:
            out.append(GameEvent("air", f"{wing.name}: airdrop not needed any more", faction=fid,
                                 data={"wing": wing.id, "target": q.target}))
            continue
        _fly(state, p, out)


# --- close air support in ground combat ----------------------------------------------------

def cas_shift(state: GameState, atk: Attack, attackers: list[Unit], commit: bool) -> int:
    """COMBAT_SHIFT_HOOKS: +columns for booked CAS, or CAS called in unannounced (air_support)."""
    spec = air_spec(state.scenario)
    if spec is None or state.air is None or not attackers:
        if atk.air_support:
            raise IllegalAction("no air power in this scenario")
        return 0
    fid = attackers[0].faction
    wing = spec.wing_of(fid)
    key = (fid, atk.target)
    if wing is not None and state.air.cas.get(key) == state.turn:
        if commit:
            del state.air.cas[key]
        return wing.cas_shift
    if not atk.air_support:
        return 0
    if wing is None:
        raise IllegalAction(f"no air wing flies for {fid}")
    p = plan(state, AirMission(wing.id, "cas", atk.target, announce=False), on_the_spot=True)
    if p.problem:
        raise IllegalAction(f"close air support: {p.problem}")
    if commit:
        pending: list[GameEvent] = []
        air = state.air
        air.sorties[wing.id] -= p.cost
        air.bump("missions_cas")
        if p.other is not None:
            air.bump("unannounced")
            pending.append(GameEvent("air", f"{wing.name} flies close air support unannounced into "
                                            f"{p.other} airspace", faction=fid,
                                     data={"wing": wing.id, "mission": "cas", "target": atk.target,
                                           "zone": p.zone, "announced": False}))
            change_tension(state, pair_key(wing.id, p.other), p.tension, pending, culprit=fid,
                           reason="unannounced close air support")
        _incident_roll(state, p, pending)
        air.pending_events.extend(pending)
    return wing.cas_shift


def after_combat(state: GameState, atk: Attack, out: list[GameEvent]) -> None:
    """COMBAT_DONE_HOOKS: log what CAS did, and treat an advance like a move (crossing)."""
    air = state.air
    if air is None:
        return
    if air.pending_events:
        out.extend(air.pending_events)
        air.pending_events = []
    for e in reversed(out):
        if e.kind == "combat" and e.data.get("target") == atk.target:
            uid = e.data.get("advanced")
            if uid and uid in state.units:
                from game.rules.airspace.tension import ground_crossing
                ground_crossing(state, state.units[uid], (atk.target,), out)
            break


# --- ISR-lift requests ---------------------------------------------------------------------

def apply_answer(state: GameState, act: IsrAnswer, out: list[GameEvent]) -> None:
    spec = air_spec(state.scenario)
    if spec is None or state.air is None:
        raise IllegalAction("this scenario has no air power")
    req = next((r for r in spec.requests if r.id == act.request), None)
    if req is None:
        raise IllegalAction(f"no ISR request {act.request!r}")
    if state.air.requests.get(req.id) != "pending":
        raise IllegalAction("that request is not waiting for an answer")
    if state.air.offered.get(req.id, ("", 0))[0] != state.active_faction:
        raise IllegalAction("that request is not addressed to you")
    answer_request(state, req.id, bool(act.accept), out)


def answer_request(state: GameState, rid: str, accept: bool, out: list[GameEvent]) -> None:
    spec = air_spec(state.scenario)
    air = state.air
    req = next(r for r in spec.requests if r.id == rid)
    air.requests[rid] = "accepted" if accept else "refused"
    fid = air.offered.get(rid, (None, 0))[0]
    if accept:
        area = frozenset(req.cells)
        air.no_fly.append((req.to_wing, area, state.turn + req.turns))
        wing = spec.wing(req.to_wing)
        mine = set(wing.factions) if wing else set()
        air.set_reveals([r if r.viewer not in mine else Reveal(r.viewer, r.cells - area, r.flyer, r.turn)
                         for r in air.reveals])
        air.queued = [q for q in air.queued if not (q.wing == req.to_wing and q.target in area)]
        text = f"{req.to_wing} pulls its ISR out of the area around {_hexname(state, req.centre)} for {req.turns} turn(s)"
    else:
        text = f"{req.to_wing} refuses {req.from_wing}'s request to clear the airspace around {_hexname(state, req.centre)}"
    air.bump("requests_" + ("accepted" if accept else "refused"))
    out.append(GameEvent("isr_request", text, faction=fid,
                         data={"request": rid, "accepted": accept, "cells": list(req.cells)}, turn=state.turn))
    for eff in (req.accept if accept else req.refuse):
        handler = ev_rules.EFFECT_HANDLERS.get(eff.kind)
        if handler is not None:
            handler(state, eff, out)


def offer_requests(state: GameState, fid: str, out: list[GameEvent]) -> None:
    """Resolve requests whose faction ended its turn without answering; offer the newly due ones."""
    spec = air_spec(state.scenario)
    air = state.air
    for req in spec.requests:
        if air.requests.get(req.id) == "pending":
            who, turn = air.offered[req.id]
            if who != fid or turn != state.turn:
                answer_request(state, req.id, req.default == "accept", out)
    for req in spec.requests:
        if req.id in air.requests or req.turn > state.turn:
            continue
        wing = spec.wing(req.to_wing)
        if wing is None or not wing.factions:
            continue
        first = min(wing.factions, key=state.faction_index)
        if first != fid:
            continue
        air.requests[req.id] = "pending"
        air.offered[req.id] = (fid, state.turn)
        text = req.message or (f"{req.from_wing} asks {req.to_wing} to pull its ISR out of the area "
                               f"around {_hexname(state, req.centre)} for {req.turns} turn(s).")
        out.append(GameEvent("isr_request", text, faction=fid,
                             data={"request": req.id, "pending": True, "cells": list(req.cells),
                                   "from": req.from_wing, "to": req.to_wing, "default": req.default},
                             turn=state.turn))


def pending_requests(state: GameState, fid: str | None = None) -> list[str]:
    """Ids of requests waiting for ``fid``'s (default: the active faction's) answer."""
    if state.air is None:
        return []
    fid = fid or state.active_faction
    return sorted(r for r, s in state.air.requests.items()
                  if s == "pending" and state.air.offered.get(r, ("", 0))[0] == fid)


# --- prediction and candidates ---------------------------------------------------------------

def predict_air(state: GameState, act: AirMission) -> AirPrediction:
    """Zone, hotline, sorties, tension, incident risk and (strike) odds, without flying.

    Raises IllegalAction only for malformed missions (unknown wing, mission or hex); a mission
    that is well formed but not allowed now comes back with ``legal=False`` and the reason.
    """
    p = plan(state, act)
    air = state.air
    pair = pair_key(p.wing.id, p.other) if p.other else None
    t_now = air.tension.get(pair, 0.0) if pair else 0.0
    strike = None
    if p.mission == "strike" and combat.defenders_at(state, p.target, p.faction):
        strike = combat.predict_odds(strike_odds(state, p.wing, p.faction, p.target))
    reveals = tuple(state.scenario.grid.cells_within(p.target, p.wing.isr_radius)) if p.mission == "isr" else ()
    exposes = tuple(_exposed_area(state, p)) if p.announced else ()
    notes = []
    if p.near:
        notes.append(f"{len(p.near)} unit(s) of the other sponsor within a hex")
    if p.wait:
        notes.append("flies at the start of your next turn")
    return AirPrediction(
        legal=p.problem is None, reason=p.problem or "", wing=p.wing.id, mission=p.mission,
        target=p.target, zone=p.zone, hotline_needed=p.other is not None, hotline_up=p.hotline_up,
        announced=p.announced, sortie_cost=p.cost, sorties_left=air.sorties.get(p.wing.id, 0),
        tension_now=t_now, tension_change=p.tension, tension_if_unannounced=p.tension_unannounced,
        incident_risk=p.risk, incident_risk_announced=p.risk_announced,
        incident_risk_unannounced=p.risk_unannounced, strike=strike,
        cas_shift=p.wing.cas_shift if p.mission == "cas" else 0, reveals=reveals, exposes=exposes,
        notes=notes)


def _variants(state: GameState, wing: WingSpec, mission: str, target: int) -> list[AirMission]:
    """The sensible ways to fly one mission: in the other's zone, announced (now / wait) and not."""
    base = AirMission(wing.id, mission, target, True, False)
    try:
        p = plan(state, base)
    except IllegalAction:
        return []
    out = []
    if p.other is None:
        quiet = AirMission(wing.id, mission, target, False, False)
        if plan(state, quiet).problem is None:
            out.append(quiet)
        # contested airspace near the other side's troops: announcing halves the incident risk
        if p.notify and p.near and p.problem is None:
            out.append(base)
        return out
    for a in (base, AirMission(wing.id, mission, target, True, True), AirMission(wing.id, mission, target, False, False)):
        if plan(state, a).problem is None:
            out.append(a)
    return out


def air_actions_for(state: GameState, limit: int = 40) -> list[Action]:
    """Candidate air actions for the active faction: answers to requests, airdrops to cut-off
    units, ISR over objectives it does not hold, strikes on seen enemies (nearest to its troops
    first), CAS bookings where the hotline matters.  Where the hotline matters each mission
    comes announced, announced-and-waiting and unannounced.  Every action returned is legal now."""
    spec = air_spec(state.scenario)
    if spec is None or state.air is None or state.terminal:
        return []
    fid = state.active_faction
    acts: list[Action] = []
    for rid in pending_requests(state, fid):
        acts += [IsrAnswer(rid, True), IsrAnswer(rid, False)]
    wing = spec.wing_of(fid)
    if wing is None or state.air.sorties.get(wing.id, 0) <= 0:
        return acts
    grid = state.scenario.grid
    own = [u for u in state.units.values() if u.faction == fid]
    for cell in sorted({u.cell for u in own if not u.in_supply or u.supply_exempt}):
        if not any(u.airdrop_turn == state.turn for u in own if u.cell == cell):
            acts += _variants(state, wing, "airdrop", cell)
    own_cells = [u.cell for u in own]
    fi = state.faction_index(fid)
    revealed = state.air.revealed_cells(fid)
    isr = [o.cell for o in state.scenario.objectives if int(state.control[o.cell]) != fi and o.cell not in revealed]
    isr.sort(key=lambda c: (min((grid.distance(c, o) for o in own_cells), default=0), c))
    for cell in isr[:3]:
        acts += _variants(state, wing, "isr", cell)
    vis = visibility.visible_cells(state, fid)
    seen = sorted({e.cell for e in state.units.values() if state.at_war(e.faction, fid)
                   and visibility.unit_visible(state, e, fid, vis, own_cells)})
    # nearest to own troops first: that is where air power helps the ground battle
    seen.sort(key=lambda c: (min((grid.distance(c, o) for o in own_cells), default=0), c))
    for cell in seen[:8]:
        acts += _variants(state, wing, "strike", cell)
        if lines.zone_owner(state, cell) not in (None, wing.id) and any(grid.distance(cell, o) == 1 for o in own_cells):
            acts += [a for a in _variants(state, wing, "cas", cell) if a.announce]
    return acts[:limit]


def legal_air_actions(state: GameState) -> list[Action]:
    """LEGAL_HOOKS: the air candidates plus one CAS-supported attack per attackable hex."""
    acts = air_actions_for(state)
    wing = wing_for(state, state.active_faction)
    if wing is None or state.air is None or state.air.sorties.get(wing.id, 0) <= 0:
        return acts
    fid = state.active_faction
    by_target: dict[int, list[str]] = {}
    for u in sorted(state.units_of(fid), key=lambda u: u.id):
        for tgt in engine.attack_targets(state, u):
            by_target.setdefault(tgt, []).append(u.id)
    for tgt, ids in sorted(by_target.items()):
        a = Attack(tuple(ids), tgt, True)
        try:
            engine._check_attack(state, a)
            cas_shift(state, a, [state.units[i] for i in ids], False)
        except IllegalAction:
            continue
        acts.append(a)
    return acts
