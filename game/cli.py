"""Command line: ``validate``, ``simulate``, and (with no command) the game window.

Every user-facing failure is one clear line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from game.errors import DeconflictionError, ScenarioError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "deir_ez_zor_2017.yaml"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no traceback
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="deconfliction", description="Deconfliction: eastern Syria, 2017 - a hex wargame.")
    p.add_argument("--scenario", help="open this scenario file in the set-up screen")
    p.add_argument("--load", help="continue a saved game")
    p.add_argument("--save-dir", help="folder for saves and autosaves")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    v = sub.add_parser("validate", help="check scenario files")
    v.add_argument("files", nargs="+")

    s = sub.add_parser("simulate", help="play AI-vs-AI games headless")
    s.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--games", type=int, default=1)
    s.add_argument("--turns", type=int, default=None, help="stop each game after this many turns")
    s.add_argument("--agents", default="", help="faction=agent,... (random, normal, hard); default random")
    s.add_argument("--jobs", type=int, default=1, help="games in parallel processes")
    s.add_argument("--json", dest="json_out", help="write results as JSON here")
    s.add_argument("--quiet", action="store_true", help="no per-turn lines")

    k = sub.add_parser("soak", help="AI-vs-AI games checking the rules' invariants after every action")
    k.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    k.add_argument("--games", type=int, default=20)
    k.add_argument("--seed", type=int, default=1, help="first seed; game i uses seed+i")
    k.add_argument("--agents", action="append", help="one agent for every faction (random, normal, hard) "
                   "or faction=agent,...; repeat to alternate set-ups game by game (default random)")
    k.add_argument("--jobs", type=int, default=1, help="games in parallel processes")
    k.add_argument("--turns", type=int, default=None, help="stop each game after this many turns")
    k.add_argument("--probe-every", type=int, default=10,
                   help="every N actions also apply two of legal_actions to clones (0: never)")
    k.add_argument("--json", dest="json_out", help="write the summary and failures as JSON here")
    k.add_argument("--verbose", action="store_true", help="a line per game")
    k.add_argument("--save-check", action="store_true",
                   help="also save each finished game and load it back (the same game must come back)")

    c = sub.add_parser("check-save", help="load saves, replay them and verify their hashes")
    c.add_argument("files", nargs="+")

    sc = sub.add_parser("screenshot", help="render the map view to a PNG, headless (for docs)")
    sc.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    sc.add_argument("--out", required=True, help="PNG file to write")
    sc.add_argument("--width", type=int, default=1600)
    sc.add_argument("--height", type=int, default=1000)
    sc.add_argument("--viewer", default=None, help="draw this faction's fog of war (default: all visible)")
    sc.add_argument("--seed", type=int, default=None)
    sc.add_argument("--turn", type=int, default=0, help="let random agents play this many turns first")
    sc.add_argument("--zoom", type=float, default=None, help="map zoom 0.5..3 (default: fit)")
    sc.add_argument("--centre", default=None, help="place name or COL,ROW to centre on")
    sc.add_argument("--no-legend", action="store_true", help="leave out the legend box")

    r = sub.add_parser("replay", help="step through a saved or finished game in the window")
    r.add_argument("save", help="the save file (.dsave)")
    r.add_argument("--save-dir", default=argparse.SUPPRESS, help="folder for saves and autosaves")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "validate":
            return cmd_validate(args.files)
        if args.command == "simulate":
            from game.simulate import cmd_simulate
            return cmd_simulate(args)
        if args.command in _EXTRA_COMMANDS:
            return _EXTRA_COMMANDS[args.command](args)
        return cmd_play(args)
    except DeconflictionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


_EXTRA_COMMANDS: dict = {}


def _cmd_soak(args: argparse.Namespace) -> int:
    from game.soak import cmd_soak
    return cmd_soak(args)


_EXTRA_COMMANDS["soak"] = _cmd_soak


def _cmd_check_save(args: argparse.Namespace) -> int:
    from game.persistence import cmd_check_save
    return cmd_check_save(args.files)


_EXTRA_COMMANDS["check-save"] = _cmd_check_save


def _cmd_screenshot(args: argparse.Namespace) -> int:
    from game.ui.screenshot import cmd_screenshot
    return cmd_screenshot(args)


_EXTRA_COMMANDS["screenshot"] = _cmd_screenshot


def _cmd_replay(args: argparse.Namespace) -> int:
    from game.ui.app import run
    return run(replay=args.save, save_dir=getattr(args, "save_dir", None))


_EXTRA_COMMANDS["replay"] = _cmd_replay


def cmd_validate(files: list[str]) -> int:
    from game.scenario.loader import load_scenario
    bad = 0
    for f in files:
        try:
            s = load_scenario(f)
        except ScenarioError as e:
            bad += 1
            for line in e.problems:
                print(line, file=sys.stderr)
            continue
        print(f"OK {s.meta.name}: {s.grid.width}x{s.grid.height} hexes, {len(s.units)} units, {len(s.factions)} factions")
    return 1 if bad else 0


def cmd_play(args: argparse.Namespace) -> int:
    try:
        from game.ui.app import run
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("game.ui"):
            print("The game window is not built yet; try `python main.py simulate`.", file=sys.stderr)
            return 1
        raise
    return run(scenario=args.scenario, load=args.load, save_dir=args.save_dir)
