"""Who saw what: each human's fog-filtered event log, and what is new since their last turn.

Hot-seat players share one screen, so the event log and the "since your last turn" summary
must hold only what that player's faction could have seen when it happened: its own doings,
public news (turns, VP, tension, scenario messages to all), and the enemy moves and fights its
units witnessed.  No pygame here.
"""
from __future__ import annotations

from typing import Any

from game.rules import visibility
from game.state import GameEvent, GameState
from game.ui.panels import EventLog

PUBLIC_KINDS = {"turn", "vp", "game_over", "relation", "eliminated", "tension", "incident", "lines",
                "line", "hotline"}
ACTION_KINDS = ("move", "combat", "reveal", "air", "reinforcement")


def event_seen_by(state: GameState, ev: GameEvent, fid: str | None, before: set[str], after: set[str],
                  vis_after: Any = None) -> bool:
    """Could faction ``fid`` see this event happen?  ``before``/``after``: ids of units it saw
    before and after the action (its own included); ``vis_after``: its visible hexes after."""
    if fid is None:
        return True
    if ev.faction is not None and ev.faction != "draw":
        try:
            if state.friendly(ev.faction, fid):
                return True
        except KeyError:
            pass
    d = ev.data or {}
    if ev.kind == "message":
        return d.get("faction") in (None, fid)
    if ev.kind in PUBLIC_KINDS:
        return True
    seen = before | after
    if ev.kind == "move":
        return d.get("unit") in seen
    if ev.kind == "combat":
        return any(i in seen for i in list(d.get("attackers", ())) + list(d.get("defenders", ())))
    if ev.kind == "reveal":
        return d.get("unit") in seen or d.get("enemy") in seen
    if ev.kind in ("reinforcement", "attrition", "supply"):
        return d.get("unit") in after
    for key in ("cell", "target"):
        c = d.get(key)
        if isinstance(c, int) and vis_after is not None and 0 <= c < len(vis_after) and bool(vis_after[c]):
            return True
    return False


class News:
    """Per human faction: an event log and an inbox of events since it last took the screen.
    ``logs[None]`` is the spectator's log (everything)."""

    def __init__(self, state: GameState, humans: list[str], loaded: bool):
        self.humans = list(humans)
        self.logs: dict[str | None, EventLog] = {fid: EventLog() for fid in self.humans}
        self.logs[None] = EventLog()
        self.inbox: dict[str, list[GameEvent]] = {fid: [] for fid in self.humans}
        self.seen: dict[str, set[str]] = {}
        for ev in state.log:            # what already happened: public news and each side's own
            for fid, log in self.logs.items():
                if event_seen_by(state, ev, fid, set(), set()):
                    log.add(ev)
                    if not loaded and fid is not None and ev.kind == "message":
                        self.inbox[fid].append(ev)      # the scenario's opening words
        self.refresh(state)

    def refresh(self, state: GameState) -> None:
        """Remember which units each human sees now (to judge the next action's events)."""
        self.seen = {fid: {u.id for u in visibility.visible_units(state, fid)} for fid in self.humans}

    def record(self, state: GameState, events: list[GameEvent], viewer: str | None) -> bool:
        """File the events of one action; True if ``viewer`` saw something happen on the map."""
        before = self.seen
        self.refresh(state)
        seen_any = False
        for ev in events:
            self.logs[None].add(ev)
        for fid in self.humans:
            vis = visibility.visible_cells(state, fid)
            for ev in events:
                if event_seen_by(state, ev, fid, before.get(fid, set()), self.seen.get(fid, set()), vis):
                    self.logs[fid].add(ev)
                    self.inbox[fid].append(ev)
                    if fid == viewer and ev.kind in ACTION_KINDS:
                        seen_any = True
        if viewer is None and not self.humans:
            seen_any = any(ev.kind in ("move", "combat") for ev in events)
        return seen_any

    def forget(self, events: list[GameEvent], state: GameState) -> None:
        """An undone action: its events leave the inboxes (moves never enter the logs)."""
        for fid, box in self.inbox.items():
            self.inbox[fid] = [e for e in box if not any(e is x for x in events)]
        self.refresh(state)

    def take(self, fid: str) -> list[GameEvent]:
        """Everything ``fid`` saw since it last took its news (and clear it)."""
        box = self.inbox.get(fid, [])
        self.inbox[fid] = []
        return box

    def log_for(self, viewer: str | None) -> EventLog:
        return self.logs.get(viewer, self.logs[None])
