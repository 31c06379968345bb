"""Tension between two sponsors' air wings: what raises it, what it sets off, how it eases.

Each tension pair has a meter from 0 to ``max``.  Violations (unannounced missions in the other
side's zone, incidents, ground units crossing into the other's zone) raise it and remember the
faction behind the rise (the *culprit*).  Each threshold fires its incident once when the meter
rises to it and is re-armed when the meter falls back below.  At the end of a round in which a
pair had no violation its meter decays by ``decay``.
"""
from __future__ import annotations

from game.rules import events as ev_rules
from game.rules.airspace import lines
from game.rules.airspace.airstate import Pair, air_spec, pair_key
from game.scenario.air_section import AirSpec, Threshold
from game.scenario.model import Effect
from game.state import GameEvent, GameState


def paired(spec: AirSpec, a: str, b: str) -> bool:
    return a != b and pair_key(a, b) in spec.pairs()


def hotline_up(state: GameState, pair: Pair) -> bool:
    return state.air is None or state.turn >= state.air.hotline_down.get(pair, 0)


def change_tension(state: GameState, pair: Pair, amount: float, out: list[GameEvent],
                   culprit: str | None = None, reason: str = "") -> float:
    """Add ``amount`` (negative eases) to the pair's meter; fire thresholds crossed upward."""
    spec = air_spec(state.scenario)
    air = state.air
    if spec is None or air is None or pair not in air.tension or amount == 0:
        return 0.0
    ts = spec.tension
    old = air.tension[pair]
    new = min(ts.maximum, max(0.0, old + amount))
    air.tension[pair] = new
    if amount > 0:
        air.violated.add(pair)
        if culprit is not None:
            air.culprit[pair] = culprit
    a, b = pair
    why = f" ({reason})" if reason else ""
    out.append(GameEvent("tension", f"Tension {a}-{b}: {old:g} -> {new:g}{why}", faction=culprit,
                         data={"pair": list(pair), "old": old, "new": new, "reason": reason},
                         turn=state.turn))
    fired = set(air.fired.get(pair, frozenset()))
    if new > old:
        for i, th in enumerate(ts.thresholds):
            if old < th.at <= new and i not in fired:
                fired.add(i)
                air.fired[pair] = frozenset(fired)
                fire_incident(state, pair, th, out)
        ev_rules.fire_tension_events(state, a, b, new, out)
    else:
        fired = {i for i in fired if new >= ts.thresholds[i].at}
    air.fired[pair] = frozenset(fired)
    return new - old


def _pair_factions(spec: AirSpec, pair: Pair) -> list[str]:
    out: list[str] = []
    for wid in pair:
        w = spec.wing(wid)
        if w is not None:
            out.extend(w.factions)
    return out


def fire_incident(state: GameState, pair: Pair, th: Threshold, out: list[GameEvent]) -> None:
    """Carry out one threshold's incident."""
    spec = air_spec(state.scenario)
    air = state.air
    assert spec is not None and air is not None
    culprit = air.culprit.get(pair)
    cw = spec.wing_of(culprit) if culprit else None
    wings = list(pair) if th.who == "both" or cw is None or cw.id not in pair else [cw.id]
    a, b = pair
    text = th.message
    data = {"incident": th.incident, "pair": list(pair), "at": th.at, "culprit": culprit}
    if th.incident == "flares":
        text = text or f"Warning flares: {a} and {b} aircraft in a near-collision."
    elif th.incident == "suspend_sorties":
        for w in wings:
            held = int(th.amount)
            air.suspended[w] = (th.turns, held)
            air.sorties[w] = max(0, air.sorties.get(w, 0) - (held or air.sorties.get(w, 0)))
        what = f"{int(th.amount)} sorties" if th.amount else "all sorties"
        text = text or f"Sorties suspended ({what}) for {' and '.join(wings)}, {th.turns} turn(s)."
        data["wings"] = wings
    elif th.incident == "vp_penalty":
        payers = [culprit] if th.who == "culprit" and culprit else _pair_factions(spec, pair)
        for fid in payers:          # through the vp effect, so the log accounts for every point
            ev_rules.EFFECT_HANDLERS["vp"](state, Effect("vp", {"faction": fid, "amount": -th.amount}), out)
        text = text or f"Incident: {', '.join(payers)} lose {th.amount:g} VP."
        data["factions"] = payers
    elif th.incident == "hotline_down":
        air.hotline_down[pair] = state.turn + th.turns
        text = text or f"The {a}-{b} hotline is suspended for {th.turns} turn(s)."
    elif th.incident == "war":
        facs = list(th.factions) or _pair_factions(spec, pair)
        wing_of = {f: (spec.wing_of(f).id if spec.wing_of(f) else f) for f in facs}
        pairs = [(x, y) for i, x in enumerate(facs) for y in facs[i + 1:]
                 if wing_of[x] != wing_of[y] and state.relation(x, y) != "war"]
        if not pairs:
            return                       # already at war: nothing left to break
        for x, y in pairs:
            ev_rules.EFFECT_HANDLERS["relation"](state, Effect("relation", {"a": x, "b": y, "status": "war"}), out)
        text = text or f"Deconfliction has failed: {' and '.join(facs)} are at war."
    else:
        text = text or f"Incident between {a} and {b}."
    air.bump("incidents_" + th.incident)
    out.append(GameEvent("incident", text, faction=culprit, data=data, turn=state.turn))
    for eff in th.effects:
        handler = ev_rules.EFFECT_HANDLERS.get(eff.kind)
        if handler is not None:
            handler(state, eff, out)


def ground_crossing(state: GameState, unit, walked: tuple[int, ...], out: list[GameEvent]) -> None:
    """A sponsored ground unit entering the other sponsor's zone raises tension, once per turn."""
    spec = air_spec(state.scenario)
    air = state.air
    if spec is None or air is None or not walked or unit.id not in state.units:
        return
    own = spec.wing_of(unit.faction)
    if own is None or (unit.id, state.turn) in air.crossed:
        return
    z = lines.zones(state)
    for c in walked:
        zi = int(z[c])
        if zi < 0:
            continue
        other = spec.wings[zi].id
        if paired(spec, own.id, other):
            air.crossed.add((unit.id, state.turn))
            air.bump("crossings")
            change_tension(state, pair_key(own.id, other), spec.tension.costs["crossing"], out,
                           culprit=unit.faction, reason=f"{unit.name} crosses into {other} airspace")
            return


def end_of_round(state: GameState, out: list[GameEvent]) -> None:
    """Units left across the line keep tension up; pairs that kept to the lines calm down."""
    spec = air_spec(state.scenario)
    air = state.air
    if spec is None or air is None:
        return
    z = lines.zones(state)
    cost = spec.tension.costs["presence"]
    for pair in sorted(air.tension):
        if cost > 0:
            across = []
            for u in sorted(state.units.values(), key=lambda u: u.id):
                w = spec.wing_of(u.faction)
                zi = int(z[u.cell])
                if w is None or zi < 0 or w.id not in pair:
                    continue
                other = spec.wings[zi].id
                if other in pair and other != w.id:
                    across.append(u)
            if across:
                change_tension(state, pair, cost, out, culprit=across[0].faction,
                               reason=f"{len(across)} unit(s) across the line")
        if pair not in air.violated and air.tension[pair] > 0 and spec.tension.decay > 0:
            change_tension(state, pair, -spec.tension.decay, out, reason="both sides keep to the lines")
    air.violated.clear()
    air.crossed = {x for x in air.crossed if x[1] > state.turn}
