"""Air power for the agents: scored air missions, close air support for attacks, and the price
of tension, so the agents respect deconfliction unless an incident is worth it.

Tension is priced from the scenario's own thresholds: raising it costs a little per point (it
decays slowly) and a lot when the rise crosses a threshold whose incident hurts (sorties
suspended, VP lost, the hotline cut, war between the sponsored sides).  A mission is flown when
what it should achieve is worth more than that plus its incident risk.

The air rules (``game.rules.air``) are optional: without them, or in a scenario without an air
section, this offers nothing and charges nothing.
"""
from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from game.actions import Action
from game.state import GameState

PER_POINT = 0.03           # step values per tension point (it decays ~2 a round)
MAX_PREVIEWS = 10          # air missions fully previewed per decision
RAMP = 30.0                # tension points below a threshold over which its risk is priced in


def air_module() -> Any | None:
    """The air rules module if it is installed and offers missions to agents."""
    try:
        air = importlib.import_module("game.rules.air")
    except ModuleNotFoundError as e:
        if e.name != "game.rules.air":
            raise
        return None
    return air if hasattr(air, "air_actions_for") and hasattr(air, "predict_air") else None


def _spec(state: GameState) -> Any | None:
    air = air_module()
    if air is None or state.air is None:
        return None
    return air.air_spec(state.scenario)


def wing_of(state: GameState, fid: str) -> Any | None:
    spec = _spec(state)
    return spec.wing_of(fid) if spec is not None else None


def sorties_left(state: GameState, fid: str) -> int:
    wing = wing_of(state, fid)
    return int(state.air.sorties.get(wing.id, 0)) if wing is not None else 0


def requests_pending(state: GameState, fid: str) -> int:
    air = air_module()
    if air is None or state.air is None or not hasattr(air, "pending_requests"):
        return 0
    return len(air.pending_requests(state, fid))


def tension_cost(state: GameState, now: float, delta: float, sv: float, goal: float) -> float:
    """Goal units a rise of ``delta`` tension from ``now`` costs (0 without air rules).

    Each incident threshold ahead is priced at its severity when the rise crosses it, and half
    its severity is spread over the ``RAMP`` points below it: tension is a stock that decays
    slowly, so every point brings the incidents ahead closer (war most of all)."""
    if delta <= 0:
        return 0.0
    spec = _spec(state)
    if spec is None:
        return 0.0
    cost = PER_POINT * sv * delta
    for th in spec.tension.thresholds:
        if th.at <= now:
            continue
        sev = _severity(th, sv, goal)
        lo = th.at - RAMP
        before = min(1.0, max(0.0, (now - lo) / RAMP))
        after = min(1.0, max(0.0, (now + delta - lo) / RAMP))
        cost += 0.5 * sev * (after - before)
        if th.at <= now + delta:
            cost += sev
    return cost


def _severity(th: Any, sv: float, goal: float) -> float:
    kind = th.incident
    if kind == "war":
        return 1.0                                   # the lines stop protecting anyone
    if kind == "vp_penalty":
        return float(th.amount) / max(1.0, goal) + 0.5 * sv
    if kind == "suspend_sorties":
        return 2.0 * sv * max(1, th.turns)
    if kind == "hotline_down":
        return 1.0 * sv * max(1, th.turns)
    if kind == "flares":
        return 0.2 * sv
    return 0.5 * sv


def _goal(state: GameState, fid: str) -> float:
    from game.ai.evaluate import goal_scale
    return goal_scale(state, fid)


def _incident_cost(state: GameState, fid: str, now: float, risk: float, sv: float) -> float:
    spec = _spec(state)
    if spec is None or risk <= 0:
        return 0.0
    goal = _goal(state, fid)
    hit = spec.tension.incident_vp / goal + sv + tension_cost(state, now, 20.0, sv, goal)
    return risk * hit


def mission_cost(state: GameState, fid: str, pred: Any, sv: float) -> float:
    """Tension, incident risk and extra sorties of a predicted mission, in goal units."""
    goal = _goal(state, fid)
    cost = tension_cost(state, pred.tension_now, pred.tension_change, sv, goal)
    cost += _incident_cost(state, fid, pred.tension_now, pred.incident_risk, sv)
    cost += 0.3 * sv * max(0, pred.sortie_cost - 1)
    return cost


def cas_option(state: GameState, fid: str, target: int, sv: float) -> tuple[int, float] | None:
    """(column shift, cost) of calling close air support on the spot at ``target``, or None."""
    air = air_module()
    wing = wing_of(state, fid)
    if air is None or wing is None or state.air.sorties.get(wing.id, 0) <= 0:
        return None
    try:
        pred = air.predict_air(state, air.AirMission(wing.id, "cas", target, announce=False))
    except Exception:                  # a malformed mission for this map: no CAS
        return None
    if not pred.legal:
        return None
    goal = _goal(state, fid)
    cost = tension_cost(state, pred.tension_now, pred.tension_if_unannounced, sv, goal)
    cost += _incident_cost(state, fid, pred.tension_now, pred.incident_risk_unannounced, sv)
    return int(wing.cas_shift), cost + 0.1 * sv


def crossing_costs(state: GameState, fid: str, sv: float) -> tuple[np.ndarray, float, float] | None:
    """(hexes in the other sponsor's airspace, cost of a move into or within them, cost of a
    round spent standing there) for a unit of ``fid``, or None if its side has no such line."""
    air = air_module()
    spec = _spec(state)
    if air is None or spec is None:
        return None
    wing = spec.wing_of(fid)
    if wing is None:
        return None
    z = air.zones(state)
    mine = next(i for i, w in enumerate(spec.wings) if w.id == wing.id)
    across = (z >= 0) & (z != mine)
    if not across.any():
        return None
    costs = spec.tension.costs
    others = {spec.wings[int(i)].id for i in np.unique(z[across])}
    now = max((air.tension(state, wing.id, o) for o in others), default=0.0)
    goal = _goal(state, fid)
    enter = tension_cost(state, now, float(costs.get("crossing", 6)), sv, goal)
    stay = tension_cost(state, now, float(costs.get("presence", 1)), sv, goal)
    return across, enter, stay


def tension_now(state: GameState, fid: str) -> float:
    """The highest tension between ``fid``'s wing and another (0 without air rules)."""
    air = air_module()
    spec = _spec(state)
    wing = spec.wing_of(fid) if spec is not None else None
    if wing is None:
        return 0.0
    return max((air.tension(state, wing.id, w.id) for w in spec.wings if w.id != wing.id), default=0.0)


def still_legal(state: GameState, action: Action) -> bool:
    """Whether an air action picked from a cached list can still be flown (or answered)."""
    air = air_module()
    if air is None:
        return False
    if action.kind == "isr_answer":
        return action.request in air.pending_requests(state, state.active_faction)
    if action.kind != "air":
        return True
    try:
        return bool(air.predict_air(state, action).legal)
    except Exception:
        return False


def air_candidates(view: GameState, sit: Any, params: Any) -> list:
    """Scored air actions for the active faction (none without air rules or sorties)."""
    air = air_module()
    if air is None or view.air is None or _spec(view) is None:
        return []
    if sorties_left(view, sit.fid) <= 0 and not requests_pending(view, sit.fid):
        return []
    from game.ai.normal import Candidate
    fid = sit.fid
    sv = sit.sv
    out: list[Candidate] = []
    try:
        acts: list[Action] = air.air_actions_for(view)
    except Exception:
        return []
    scored: list[tuple[float, int, Action]] = []
    for n, a in enumerate(acts):
        if a.kind == "isr_answer":
            # keep to the deconfliction arrangements: accept requests to lift ISR
            if a.accept:
                out.append(Candidate(0.1 * sv, a, "accept ISR-lift request"))
            continue
        if a.kind != "air":
            continue
        value = _mission_value(view, sit, a)
        if value > 0:
            scored.append((value, n, a))
    # the costs (tension, incident risk) need the full preview: only for the most useful
    scored.sort(key=lambda x: (-x[0], x[1]))
    for value, _, a in scored[:MAX_PREVIEWS]:
        try:
            pred = air.predict_air(view, a)
        except Exception:
            continue
        if not pred.legal:
            continue
        out.append(Candidate(value - mission_cost(view, fid, pred, sv), a, f"air {a.mission} at {a.target}"))
    return out


def _mission_value(view: GameState, sit: Any, a: Any) -> float:
    """What a mission should achieve, in goal units (before its costs)."""
    sv = sit.sv
    if a.mission == "strike":
        from game.rules import combat
        from game.rules.airspace import missions
        spec = _spec(view)
        wing = spec.wing(a.wing) if spec is not None else None
        if wing is None or not combat.defenders_at(view, a.target, sit.fid):
            return 0.0
        odds = missions.strike_odds(view, wing, sit.fid, a.target)
        v = combat.predict_odds(odds).expected_defender_steps * sit.sv_enemy
        for i, c in enumerate(sit.sd.obj_cells.tolist()):
            if c == a.target:
                v += 0.1 * sit.values[i]
        return v
    if a.mission == "airdrop":
        units = [u for u in view.units.values() if u.cell == a.target and u.faction == sit.fid
                 and not u.in_supply and not u.supply_exempt]
        return sum(view.scenario.rules.attrition_chance * sv * (1 if u.oos_turns >= 1 else 0.3)
                   for u in units)
    if a.mission == "isr":
        own = [u.cell for u in view.units.values() if u.faction == sit.fid]
        near = any(view.scenario.grid.distance(a.target, c) <= 4 for c in own)
        return (0.3 if near else 0.08) * sv
    return 0.0                          # booked CAS: the attack planner calls CAS on the spot
