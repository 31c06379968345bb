"""Save, load and autosave sessions.

A save holds what a game *is* - the scenario (embedded, or referenced by file and SHA-256), the
seed, the player set-up and the action log - plus checks: the state hash at the end of every
faction turn and at the end.  Loading replays the actions and compares the hashes, so a save that
loads is the game that was saved, on any machine with the same rules.
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import os
import threading
import weakref
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from game import engine
from game.actions import Action, EndTurn
from game.errors import IllegalAction, SaveError, ScenarioError
from game.persistence import document as docmod
from game.persistence.actions_io import action_from_save
from game.persistence.document import FORMAT_VERSION, MARKER, Bad
from game.persistence.files import (MAX_SAVE_BYTES, atomic_write, backup_path, default_save_dir,
                                    read_limited)
from game.scenario.model import Scenario
from game.session import PlayerSetup, Session
from game.state import GameState

SAVE_SUFFIX = ".dsave"
AUTOSAVE_KEEP = 5                 # autosave-<id>.dsave plus this many older ones (-1 .. -N)
ROOT = Path(__file__).resolve().parent.parent.parent
BUNDLED_SCENARIOS = ROOT / "scenarios"


@lru_cache(maxsize=1)
def app_version() -> str:
    try:
        from importlib.metadata import version
        return version("deconfliction")
    except Exception:  # noqa: BLE001 - running from a checkout without installing
        return "0+unknown"


def scenario_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- the checkpoint trace (a private replay kept per live session) -----------------------------

@dataclass
class _Trace:
    ref: Any
    scenario: Scenario
    seed: int
    actions: list[Action]
    checkpoints: list[dict[str, Any]]
    state: GameState


_traces: dict[int, _Trace] = {}
_trace_lock = threading.Lock()


def _checkpoints(session: Session, label: str, fresh: bool = False) -> tuple[list[dict[str, Any]], GameState]:
    """Per-faction-turn hashes by replaying the log on a private state.

    The replay is kept between calls for the same session, so autosaving every turn costs one
    turn of replay, not the whole game.  Undo (a shorter or different log) or ``fresh`` starts
    afresh from the scenario.
    """
    with _trace_lock:
        for k in [k for k, t in _traces.items() if t.ref() is None]:
            del _traces[k]
        tr = _traces.get(id(session))
        if (fresh or tr is None or tr.ref() is not session or tr.scenario is not session.scenario
                or tr.seed != session.seed or len(tr.actions) > len(session.actions)
                or session.actions[:len(tr.actions)] != tr.actions):
            st = engine.new_game(session.scenario, session.seed)
            tr = _Trace(weakref.ref(session), session.scenario, session.seed, [], [], st)
        for i in range(len(tr.actions), len(session.actions)):
            a = session.actions[i]
            mover = tr.state.active_faction
            try:
                engine.apply(tr.state, a)
            except Exception as e:  # noqa: BLE001
                _traces.pop(id(session), None)
                if tr.actions and not fresh:       # a kept replay gone wrong: redo from scratch
                    break
                raise SaveError(f"{label}: cannot save: action {i} of the game does not replay "
                                f"({type(e).__name__}: {e}); nothing was written") from None
            tr.actions.append(a)
            if isinstance(a, EndTurn):
                tr.checkpoints.append({"ply": i + 1, "ended": mover, "turn": tr.state.turn,
                                       "hash": tr.state.state_hash()})
        else:
            _traces[id(session)] = tr
            return list(tr.checkpoints), tr.state
    return _checkpoints(session, label, fresh=True)


# --- saving -------------------------------------------------------------------------------------

def _session_document(session: Session, label: str, embed: bool, note: str) -> dict[str, Any]:
    scn = session.scenario
    if not scn.source_text:
        raise SaveError(f"{label}: cannot save: the scenario {scn.meta.id!r} was not loaded from "
                        f"a file, so the save could neither embed nor name it")
    if not isinstance(note, str) or len(note) > docmod.MAX_NOTE:
        raise SaveError(f"{label}: cannot save: the note must be text of at most {docmod.MAX_NOTE} characters")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        raise SaveError(f"{label}: cannot save: the note contains characters that cannot be written") from None
    checkpoints, replayed = _checkpoints(session, label)
    final = replayed.state_hash()
    if session.state is not None and session.state.state_hash() != final:
        # the kept replay may have started from a copy (after a load): check from scratch
        checkpoints, replayed = _checkpoints(session, label, fresh=True)
        final = replayed.state_hash()
    if session.state is not None and session.state.state_hash() != final:
        raise SaveError(f"{label}: cannot save: the game in memory differs from a replay of its "
                        f"actions (a determinism bug); nothing was written")
    st = replayed
    sc: dict[str, Any] = {"id": scn.meta.id, "name": scn.meta.name,
                          "sha256": scenario_sha256(scn.source_text), "path": _portable(scn.source_path)}
    if embed:
        sc["text"] = scn.source_text
    doc: dict[str, Any] = {
        "format": MARKER,
        "version": FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "app_version": app_version(),
        "note": note,
        "seed": session.seed,
        "players": {f: session.players[f].to_dict() if f in session.players
                    else PlayerSetup("ai", "normal").to_dict() for f in (x.id for x in scn.factions)},
        "turn": st.turn,
        "date": st.date.isoformat(),
        "active": st.active_faction,
        "ply": len(session.actions),
        "terminal": st.terminal,
        "winner": st.winner,
        "vp": {f.id: float(v) for f, v in zip(scn.factions, st.vp)},
        "final_hash": final,
        "checkpoints": checkpoints,
        "actions": [a.to_dict() for a in session.actions],
        "scenario": sc,
    }
    doc["integrity"] = docmod.integrity_of(doc)
    return doc


def _portable(source_path: str) -> str | None:
    """The scenario's path, relative to the game folder when it is inside it."""
    if not source_path or source_path.startswith("<"):
        return None
    p = Path(source_path)
    try:
        return p.resolve().relative_to(ROOT).as_posix()
    except (ValueError, OSError):
        return str(p)


def save_session(session: Session, path: str | Path, *, embed_scenario: bool = True,
                 note: str = "") -> Path:
    """Write ``session`` to ``path`` atomically; the file it replaces is kept as ``path.bak``.

    Raises SaveError (naming the file) when it cannot; then no existing file has changed.
    """
    p = Path(path).expanduser()
    label = str(path)
    doc = _session_document(session, label, embed_scenario, note)
    try:
        data = docmod.render(doc)
    except (ValueError, TypeError) as e:
        raise SaveError(f"{label}: cannot save: the game holds a value a save cannot ({e})") from None
    if len(data) > MAX_SAVE_BYTES:
        raise SaveError(f"{label}: cannot save: the save would exceed {MAX_SAVE_BYTES // (1024 * 1024)} MB")
    atomic_write(p, data, label=label, backup=True)
    return p


def autosave(session: Session, save_dir: str | Path | None = None, *, keep: int = AUTOSAVE_KEEP) -> Path:
    """Save to ``<save_dir>/autosave-<scenario id>.dsave``, keeping ``keep`` older ones.

    The older ones are ``autosave-<id>-1.dsave`` (the previous) ... ``-<keep>``.  Autosaving the
    same position twice does not rotate.  Every step is a rename or an atomic write, so a crash
    leaves each file either old or new.
    """
    folder = Path(save_dir).expanduser() if save_dir is not None else default_save_dir()
    sid = "".join(c if c.isalnum() or c in "-_" else "_" for c in session.scenario.meta.id) or "game"
    main = folder / f"autosave-{sid}{SAVE_SUFFIX}"
    label = str(main)
    doc = _session_document(session, label, True, f"autosave, turn {session.state.turn if session.state else '?'}")
    data = docmod.render(doc)
    if main.is_file() and not _same_position(main, doc):
        try:
            _rotate(folder, sid, keep, main)
        except OSError as e:
            raise SaveError(f"{label}: cannot rotate the older autosaves: {e.strerror or e}") from None
    atomic_write(main, data, label=label, backup=False)
    return main


def _same_position(path: Path, doc: dict[str, Any]) -> bool:
    try:
        old, _ = docmod.load_document(read_limited(path, str(path)), str(path))
    except SaveError:
        return False
    return (old.get("final_hash") == doc["final_hash"] and old.get("ply") == doc["ply"]
            and old["scenario"].get("sha256") == doc["scenario"]["sha256"])


def _rotate(folder: Path, sid: str, keep: int, main: Path) -> None:
    def nth(i: int) -> Path:
        return folder / f"autosave-{sid}-{i}{SAVE_SUFFIX}"
    if keep <= 0:
        return
    for i in range(keep - 1, 0, -1):
        if nth(i).is_file():
            os.replace(nth(i), nth(i + 1))
    tmp = folder / f".{nth(1).name}.rotate.tmp"
    try:
        os.unlink(tmp)
    except OSError:
        pass
    try:
        os.link(main, tmp)
    except OSError:
        import shutil
        shutil.copyfile(main, tmp)
    os.replace(tmp, nth(1))


# --- reading ------------------------------------------------------------------------------------

@dataclass
class SaveInfo:
    """What the load menu shows about a save, read without replaying it."""
    path: Path
    scenario_id: str = ""
    scenario_name: str = ""
    scenario_embedded: bool = False
    turn: int | None = None
    date: str | None = None          # the game date, YYYY-MM-DD
    active: str | None = None        # faction to move
    ply: int = 0                     # number of actions
    terminal: bool = False
    winner: str | None = None
    vp: dict[str, float] = field(default_factory=dict)
    players: dict[str, PlayerSetup] = field(default_factory=dict)
    seed: int = 0
    created: _dt.datetime | None = None
    app_version: str = ""
    note: str = ""
    version: int = FORMAT_VERSION    # the format version the file is written in
    size: int = 0
    mtime: float = 0.0
    error: str | None = None         # set by list_saves for a save that cannot be read

    @property
    def humans(self) -> list[str]:
        return [f for f, p in self.players.items() if p.controller == "human"]


def _info_from(path: Path, doc: dict[str, Any], version: int, size: int) -> SaveInfo:
    sc = doc["scenario"]
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return SaveInfo(
        path=path, scenario_id=sc["id"], scenario_name=sc["name"],
        scenario_embedded=sc.get("text") is not None, turn=doc.get("turn"), date=doc.get("date"),
        active=doc.get("active"), ply=len(doc["actions"]), terminal=bool(doc.get("terminal")),
        winner=doc.get("winner"), vp={k: float(v) for k, v in (doc.get("vp") or {}).items()},
        players={f: PlayerSetup(p["controller"], p.get("ai_level") or "normal")
                 for f, p in doc["players"].items()},
        seed=doc["seed"], created=docmod.parse_created(doc.get("created")),
        app_version=doc.get("app_version") or "", note=doc.get("note") or "", version=version,
        size=size, mtime=mtime)


def read_save_info(path: str | Path) -> SaveInfo:
    """The header of a save (checked for damage and tampering, not replayed); SaveError if bad."""
    engine._load_plugins()
    p = Path(path).expanduser()
    try:
        st = os.stat(p)
        key: tuple | None = (os.path.abspath(p), st.st_ino, st.st_size, st.st_mtime_ns)
    except (OSError, ValueError):
        key = None
    if key is not None and key in _info_cache:
        return replace(copy.deepcopy(_info_cache[key]), path=p)
    try:
        data = read_limited(p, str(path))
        doc, version = docmod.load_document(data, str(path))
        _parse_actions(doc, str(path))
    except SaveError as e:
        raise SaveError(docmod.clean(str(e))) from None
    info = _info_from(p, doc, version, len(data))
    if key is not None:
        if len(_info_cache) > 256:
            _info_cache.clear()
        _info_cache[key] = copy.deepcopy(info)
    return info


_info_cache: dict[tuple, SaveInfo] = {}     # (path, inode, size, mtime) -> header: menus re-list often


def list_saves(save_dir: str | Path | None = None) -> list[SaveInfo]:
    """Every ``*.dsave`` in the folder, newest first; unreadable ones carry ``error``."""
    folder = Path(save_dir).expanduser() if save_dir is not None else default_save_dir()
    try:
        files = [p for p in folder.iterdir() if p.name.endswith(SAVE_SUFFIX) and not p.name.startswith(".")]
    except OSError:
        return []
    out = []
    for p in files:
        try:
            out.append(read_save_info(p))
        except SaveError as e:
            try:
                st = p.stat()
                size, mtime = st.st_size, st.st_mtime
            except OSError:
                size, mtime = 0, 0.0
            out.append(SaveInfo(path=p, scenario_name=p.stem, error=str(e), size=size, mtime=mtime))

    def key(i: SaveInfo) -> float:
        return i.created.timestamp() if i.created and i.created.tzinfo else i.mtime
    out.sort(key=lambda i: (key(i), i.path.name), reverse=True)
    return out


def _first_problem(e: ScenarioError) -> str:
    probs = e.problems or [str(e)]
    more = f" (and {len(probs) - 1} more)" if len(probs) > 1 else ""
    return probs[0].replace("\n", " ") + more


def _candidate_files(save: Path, sc: dict[str, Any], search: list[Path]) -> list[Path]:
    out: list[Path] = []
    rel = sc.get("path")
    if rel:
        rp = Path(rel)
        if rp.is_absolute():
            out.append(rp)
        else:
            out += [save.parent / rp, Path.cwd() / rp, ROOT / rp]
        out.append(save.parent / rp.name)
        out += [d / rp.name for d in search]
    for d in search:
        try:
            out += sorted(q for q in d.iterdir() if q.suffix in (".yaml", ".yml"))[:500]
        except OSError:
            continue
    seen, uniq = set(), []
    for q in out:
        k = os.path.normcase(os.path.abspath(q))
        if k not in seen:
            seen.add(k)
            uniq.append(q)
    return uniq


def _read_text(p: Path) -> str | None:
    from game.scenario.yamlnodes import MAX_BYTES
    try:
        if not p.is_file() or p.stat().st_size > MAX_BYTES:
            return None
        return p.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _resolve_scenario(doc: dict[str, Any], save: Path, label: str,
                      scenario_search: list[Path] | None) -> Scenario:
    from game.scenario.loader import load_scenario_text
    sc = doc["scenario"]
    text = sc.get("text")
    if text is not None:
        try:
            scn = load_scenario_text(text, f"{save.name}[embedded scenario]")
        except ScenarioError as e:
            raise SaveError(f"{label}: the scenario embedded in the save does not load: "
                            f"{_first_problem(e)}") from None
        scn.source_path = sc.get("path") or scn.source_path
        return scn
    search = [BUNDLED_SCENARIOS] + [Path(d) for d in (scenario_search or [])]
    want = sc.get("sha256")
    changed: Path | None = None
    for cand in _candidate_files(save, sc, search):
        t = _read_text(cand)
        if t is None:
            continue
        if want is not None and scenario_sha256(t) != want:
            if changed is None and sc.get("path") and cand.name == Path(sc["path"]).name:
                changed = cand
            continue
        try:
            return load_scenario_text(t, str(cand))
        except ScenarioError as e:
            raise SaveError(f"{label}: the scenario it refers to does not load: {_first_problem(e)}") from None
    where = ", ".join(str(d) for d in search)
    if changed is not None:
        raise SaveError(f"{label}: the scenario file {changed} has changed since the game was saved "
                        f"(its SHA-256 differs) and no matching copy was found in {where}")
    raise SaveError(f"{label}: needs the scenario {sc['name']!r} ({sc.get('path') or sc['id']}), "
                    f"which was not found (looked beside the save and in {where}); a save with the "
                    f"scenario embedded carries it along")


def _players(doc: dict[str, Any], scn: Scenario, label: str) -> dict[str, PlayerSetup]:
    ids = [f.id for f in scn.factions]
    unknown = sorted(set(doc["players"]) - set(ids))
    if unknown:
        raise SaveError(f"{label}: field players.{docmod.fkey(unknown[0])}: no such faction in the scenario "
                        f"(factions: {', '.join(ids)})")
    out = {}
    for f in scn.factions:
        p = doc["players"].get(f.id)
        out[f.id] = (PlayerSetup(p["controller"], p.get("ai_level") or f.ai_level) if p
                     else PlayerSetup("ai", f.ai_level))
    return out


def _parse_actions(doc: dict[str, Any], label: str) -> list[Action]:
    actions: list[Action] = []
    for i, d in enumerate(doc["actions"]):
        try:
            actions.append(action_from_save(d, f"actions[{i}]"))
        except Bad as e:
            raise SaveError(f"{label}: field {e.where}: {e.what}") from None
    return actions


def _where(st: GameState) -> str:
    return f"turn {st.turn}, {st.active_faction} to move"


def load_session(path: str | Path, *, scenario_search: list[Path] | None = None) -> Session:
    """Read a save, replay its actions and check every recorded hash; SaveError if anything is off.

    Older format versions are upgraded on the way in.  A referenced (not embedded) scenario is
    found by its path, beside the save, or by SHA-256 among the bundled scenarios and
    ``scenario_search`` folders.
    """
    engine._load_plugins()
    p = Path(path).expanduser()
    label = str(path)
    try:
        return _load(p, label, scenario_search)
    except SaveError as e:
        bak = backup_path(p)
        msg = str(e)
        if bak.is_file() and "previous version" not in msg:
            msg += f" (the previous version is kept in {bak.name})"
        raise SaveError(docmod.clean(msg)) from None


def _load(p: Path, label: str, scenario_search: list[Path] | None) -> Session:
    data = read_limited(p, label)
    doc, version = docmod.load_document(data, label)
    actions = _parse_actions(doc, label)
    scn = _resolve_scenario(doc, p, label, scenario_search)
    players = _players(doc, scn, label)
    seed = doc["seed"]
    try:
        st = engine.new_game(scn, seed)
    except Exception as e:  # noqa: BLE001 - a save must never crash the game
        raise SaveError(f"{label}: the game cannot start from this scenario and seed "
                        f"({type(e).__name__}: {e})") from None
    checks = {cp["ply"]: cp["hash"] for cp in doc["checkpoints"]}
    seen: list[dict[str, Any]] = []
    for i, a in enumerate(actions):
        where = _where(st)
        mover = st.active_faction
        try:
            engine.apply(st, a)
        except IllegalAction as e:
            raise SaveError(f"{label}: actions[{i}] ({where}) is not legal: {e}") from None
        except Exception as e:  # noqa: BLE001
            raise SaveError(f"{label}: actions[{i}] ({where}) could not be replayed "
                            f"({type(e).__name__}: {e})") from None
        want = checks.get(i + 1)
        if want is not None and st.state_hash() != want:
            raise SaveError(_diverged(label, doc, version, f"after actions[{i}] ({where})"))
        if isinstance(a, EndTurn):
            seen.append({"ply": i + 1, "ended": mover, "turn": st.turn,
                         "hash": want if want is not None else st.state_hash()})
    if doc.get("final_hash") is not None and st.state_hash() != doc["final_hash"]:
        raise SaveError(_diverged(label, doc, version, f"at the end ({_where(st)})"))
    if doc.get("turn") is not None and doc["turn"] != st.turn:
        raise SaveError(f"{label}: field turn: says turn {doc['turn']} but the actions lead to turn {st.turn}")
    session = Session(scn, seed, players, actions, st)
    _remember_trace(session, seen)
    return session


def _remember_trace(session: Session, checkpoints: list[dict[str, Any]]) -> None:
    """Keep the load's replay for the next save of this session (so it need not replay again).

    It continues from a copy of the loaded state; ``_session_document`` re-checks from scratch
    if that copy ever disagrees with the game being played.
    """
    assert session.state is not None
    tr = _Trace(weakref.ref(session), session.scenario, session.seed, list(session.actions),
                checkpoints, session.state.clone())
    with _trace_lock:
        _traces[id(session)] = tr


def _diverged(label: str, doc: dict[str, Any], version: int, where: str) -> str:
    app = doc.get("app_version") or "?"
    head = f"{label}: replaying the save gives a different game {where} than when it was saved: "
    if app == app_version():
        return head + "its actions or recorded hashes were edited"
    return (head + f"it was made by Deconfliction {app}, whose rules may differ from this "
            f"version ({app_version()})")


# --- command line -------------------------------------------------------------------------------

def cmd_check_save(files: list[str]) -> int:
    """``python main.py check-save SAVE...``: load, replay and verify each; one line per file."""
    import sys
    bad = 0
    for f in files:
        try:
            s = load_session(f)
        except SaveError as e:
            bad += 1
            print(f"error: {_one_line(str(e))}", file=sys.stderr)
            continue
        st = s.state
        assert st is not None
        end = f", over ({st.winner})" if st.terminal else ""
        print(f"OK {f}: {s.scenario.meta.name} turn {st.turn}, {len(s.actions)} actions, "
              f"hash {st.state_hash()}{end}")
    return 1 if bad else 0


def _one_line(s: str) -> str:
    return " ".join(s.split("\n"))
