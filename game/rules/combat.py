"""Combat: odds-based combat results table, one seeded d6, step losses, retreat and advance.

Attack and defence strengths scale with steps left; the defender gets the terrain multiplier
and the river multiplier if any attacker strikes across an unbridged river side; units out of
supply fight at the scenario's out-of-supply factor.  Close air support shifts one column.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from game.rules.terrain import tables
from game.state import GameState, Unit

COLUMNS: tuple[str, ...] = ("1:3", "1:2", "1:1", "3:2", "2:1", "3:1", "4:1", "5:1", "6:1")
THRESHOLDS: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0)

# result -> (attacker step losses, defender step losses, defender retreats)
RESULTS: dict[str, tuple[int, int, bool]] = {
    "AE": (2, 0, False),   # attacker shattered
    "AL": (1, 0, False),   # attacker loses a step
    "NE": (0, 0, False),   # no effect
    "EX": (1, 1, False),   # exchange
    "DR": (0, 0, True),    # defender retreats
    "DL": (0, 1, False),   # defender loses a step
    "DLR": (0, 1, True),   # defender loses a step and retreats
    "DE": (0, 2, True),    # defender routed
}

# rows: columns; entries: die 1..6 (6 is best for the attacker)
CRT: tuple[tuple[str, ...], ...] = (
    ("AE", "AL", "AL", "AL", "NE", "DR"),      # 1:3
    ("AL", "AL", "AL", "NE", "DR", "EX"),      # 1:2
    ("AL", "AL", "NE", "DR", "EX", "DL"),      # 1:1
    ("AL", "NE", "DR", "EX", "DL", "DLR"),     # 3:2
    ("NE", "DR", "EX", "DL", "DLR", "DLR"),    # 2:1
    ("DR", "EX", "DL", "DLR", "DLR", "DE"),    # 3:1
    ("EX", "DL", "DLR", "DLR", "DE", "DE"),    # 4:1
    ("DL", "DLR", "DLR", "DE", "DE", "DE"),    # 5:1
    ("DLR", "DLR", "DE", "DE", "DE", "DE"),    # 6:1
)

RESULT_TEXT = {
    "AE": "attacker shattered (-2 steps)", "AL": "attacker loses a step", "NE": "no effect",
    "EX": "exchange (-1 step each)", "DR": "defender retreats", "DL": "defender loses a step",
    "DLR": "defender loses a step and retreats", "DE": "defender routed (-2 steps, retreat)",
}


@dataclass
class Odds:
    attack: float
    defence: float
    ratio: float
    column: int                   # after shifts
    shifts: int
    bombard: bool                 # all attackers at range: attacker takes no losses, no advance
    across_river: bool
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return COLUMNS[self.column]


@dataclass
class Prediction:
    """What the player sees before committing: odds and each outcome's chance."""
    odds: Odds
    outcomes: dict[str, float]    # result code -> probability
    p_attacker_loss: float
    p_defender_loss: float
    p_defender_retreat: float
    expected_attacker_steps: float
    expected_defender_steps: float

    def summary(self) -> str:
        parts = [f"{RESULT_TEXT[k]} {v:.0%}" for k, v in self.outcomes.items()]
        return f"odds {self.odds.label} ({self.odds.attack:.1f} vs {self.odds.defence:.1f}): " + ", ".join(parts)


def strength(state: GameState, unit: Unit, value: float) -> float:
    ut = state.utype(unit)
    s = value * unit.steps / ut.steps
    if not unit.in_supply:
        s *= state.scenario.rules.out_of_supply_factor
    return s


def defenders_at(state: GameState, cell: int, attacker_faction: str) -> list[Unit]:
    return [u for u in state.units.values() if u.cell == cell and state.at_war(u.faction, attacker_faction)]


def compute_odds(state: GameState, attackers: list[Unit], target: int, shifts: int = 0) -> Odds:
    t = tables(state.scenario)
    grid = state.scenario.grid
    att = sum(strength(state, u, state.utype(u).attack) for u in attackers)
    defenders = defenders_at(state, target, attackers[0].faction) if attackers else []
    dfn = sum(strength(state, u, state.utype(u).defence) for u in defenders)
    mult = t.defence[target]
    notes = []
    if mult != 1.0:
        notes.append(f"terrain x{mult:g}")
    across = False
    bombard = all(grid.distance(u.cell, target) > 1 for u in attackers)
    for u in attackers:
        rv = t.river.get((u.cell, target))
        if rv is not None and not rv[2]:
            across = True
            mult *= rv[1]
            notes.append(f"river x{rv[1]:g}")
            break
    dfn = max(dfn * mult, 0.1)
    ratio = att / dfn
    col = 0
    for i, th in enumerate(THRESHOLDS):
        if ratio >= th - 1e-9:
            col = i
    if shifts:
        notes.append(f"{shifts:+d} column(s)")
    col = max(0, min(len(COLUMNS) - 1, col + shifts))
    return Odds(att, dfn, ratio, col, shifts, bombard, across, notes)


def outcome_probabilities(odds: Odds) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in CRT[odds.column]:
        if odds.bombard:
            r = _bombard_result(r)
        out[r] = out.get(r, 0.0) + 1 / 6
    return out


def _bombard_result(r: str) -> str:
    """Ranged fire: the attacker takes no losses and the defender does not have to retreat."""
    a, d, _ = RESULTS[r]
    if d >= 1:
        return "DL"
    return "NE"


def predict_odds(odds: Odds) -> Prediction:
    probs = outcome_probabilities(odds)
    pa = sum(p for r, p in probs.items() if RESULTS[r][0] > 0)
    pd = sum(p for r, p in probs.items() if RESULTS[r][1] > 0)
    pr = sum(p for r, p in probs.items() if RESULTS[r][2])
    ea = sum(p * RESULTS[r][0] for r, p in probs.items())
    ed = sum(p * RESULTS[r][1] for r, p in probs.items())
    return Prediction(odds, probs, pa, pd, pr, ea, ed)


def result_for_roll(odds: Odds, die: int) -> str:
    r = CRT[odds.column][die - 1]
    return _bombard_result(r) if odds.bombard else r
