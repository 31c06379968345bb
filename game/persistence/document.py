"""The save document: bytes <-> a checked dict of the current format version.

Reading is in stages so each kind of damage gets its own message: not our file at all
(foreign), cut short (truncated), unreadable (corrupt), written by a newer game, edited after
writing (the integrity digest no longer matches), or fields of the wrong shape (named by their
path, e.g. ``actions[17].path``).  Older format versions are upgraded step by step
(see ``game.persistence.upgrade``), never refused.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
from typing import Any, Callable

from game.errors import SaveError

MARKER = "deconfliction-save"
FORMAT_VERSION = 1
MAX_ACTIONS = 1_000_000
MAX_TEXT = 2 * 1024 * 1024             # embedded scenario text (the scenario limit)
MAX_NOTE = 2000
_HEX = re.compile(r"[0-9a-f]+")

_HEADER = b'{\n "format": "' + MARKER.encode() + b'"'    # how this game starts every save it writes
_MAGIC = [
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "a gzip archive"), (b"%PDF", "a PDF document"),
    (b"\x7fELF", "a program"), (b"MZ", "a program"), (b"BM", "a bitmap image"),
]


class Bad(Exception):
    """A field-level fault found while checking a parsed document (becomes a SaveError)."""

    def __init__(self, where: str, what: str):
        super().__init__(f"{where}: {what}")
        self.where, self.what = where, what


def fkey(k: str) -> str:
    """A key from the file as it may appear in a field path: plain, or quoted when odd."""
    return k if re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", k) else json.dumps(k[:40])


def clean(msg: str) -> str:
    """One printable line: control and direction-changing characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in msg)


# --- writing ------------------------------------------------------------------------------------

def canonical(doc: dict[str, Any]) -> bytes:
    """The bytes the integrity digest covers: every field but ``integrity``, keys sorted."""
    body = {k: v for k, v in doc.items() if k != "integrity"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def integrity_of(doc: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical(doc)).hexdigest()


def _compact(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)


def render(doc: dict[str, Any]) -> bytes:
    """Readable JSON: one field per line, one action or checkpoint per line, keys in doc order."""
    lines = ["{"]
    items = list(doc.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        key = json.dumps(k)
        if isinstance(v, list) and v:
            lines.append(f" {key}: [")
            lines.extend(f"  {_compact(x)}{',' if j < len(v) - 1 else ''}" for j, x in enumerate(v))
            lines.append(f" ]{comma}")
        elif isinstance(v, dict) and v:
            lines.append(f" {key}: {{")
            sub = list(v.items())
            lines.extend(f"  {json.dumps(sk)}: {_compact(sv)}{',' if j < len(sub) - 1 else ''}"
                         for j, (sk, sv) in enumerate(sub))
            lines.append(f" }}{comma}")
        else:
            lines.append(f" {key}: {_compact(v)}{comma}")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- reading: bytes -> dict -------------------------------------------------------------------

class _Dup(Exception):
    pass


def _no_dups(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for k, v in pairs:
        if k in d:
            raise _Dup(k)
        d[k] = v
    return d


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number a save may hold")


def _looks_like_scenario(text: str) -> bool:
    return bool(re.search(r"^(format|meta|factions|map)\s*:", text[:20000], re.M))


def parse_bytes(data: bytes, label: str) -> dict[str, Any]:
    """Bytes -> the raw JSON object of a save; SaveError saying foreign / truncated / corrupt."""
    if not data.strip():
        raise SaveError(f"{label}: is empty, not a save (it may never have been written)")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise SaveError(f"{label}: is not a Deconfliction save (it is {what})")
    head = data.removeprefix(b"\xef\xbb\xbf")[:len(_HEADER)]
    ours = MARKER.encode() in data[:400] or (len(head) > 0 and _HEADER.startswith(head))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if ours:
            raise SaveError(f"{label}: is corrupt: byte 0x{data[e.start]:02x} at offset {e.start} "
                            f"is not UTF-8 text") from None
        raise SaveError(f"{label}: is not a Deconfliction save (it is binary data)") from None
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        if ours:
            raise SaveError(f"{label}: is corrupt: it does not start like a save document")
        if _looks_like_scenario(text):
            raise SaveError(f"{label}: is not a save: it looks like a scenario file "
                            f"(open it with --scenario)")
        raise SaveError(f"{label}: is not a Deconfliction save (not a JSON save document)")
    try:
        doc = json.loads(text, object_pairs_hook=_no_dups, parse_constant=_no_constants)
    except json.JSONDecodeError as e:
        if not ours:
            raise SaveError(f"{label}: is not a Deconfliction save (not valid JSON and no save "
                            f"header)") from None
        if _truncated(text, e):
            raise SaveError(f"{label}: is truncated: the document ends early (after {len(data)} "
                            f"bytes), so it was not written completely") from None
        raise SaveError(f"{label}: is corrupt: not valid JSON at line {e.lineno}, column "
                        f"{e.colno} ({e.msg})") from None
    except _Dup as e:
        raise SaveError(f"{label}: is corrupt: the field {str(e.args[0])[:60]!r} appears twice") from None
    except RecursionError:
        raise SaveError(f"{label}: is corrupt: nested too deeply to read") from None
    except ValueError as e:         # e.g. an integer with thousands of digits, NaN
        raise SaveError(f"{label}: is corrupt: {_first_line(str(e))}") from None
    if not isinstance(doc, dict) or doc.get("format") != MARKER:
        if isinstance(doc, dict) and "meta" in doc and "factions" in doc:
            raise SaveError(f"{label}: is not a save: it looks like a scenario file")
        if isinstance(doc, dict) and "seed" in doc and ("actions" in doc or "moves" in doc):
            raise SaveError(f"{label}: is corrupt: its \"format\" marker is damaged or missing")
        raise SaveError(f"{label}: is not a Deconfliction save (no \"format\": \"{MARKER}\" header)")
    return doc


def _truncated(text: str, e: json.JSONDecodeError) -> bool:
    end = len(text.rstrip())
    if e.pos >= end - 1:
        return True
    if e.msg.startswith("Unterminated string"):
        # cut inside a string: nothing after the opening quote closes it
        return re.search(r'(?<!\\)"', text[e.pos + 1:]) is None
    return False


def _first_line(s: str) -> str:
    s = s.strip().splitlines()[0] if s.strip() else "unreadable"
    return s[:200]


# --- reading: version, integrity, upgrade --------------------------------------------------------

def check_version_and_integrity(doc: dict[str, Any], label: str) -> int:
    """The document's format version, after refusing newer ones and checking the digest."""
    v = doc.get("version")
    if isinstance(v, bool) or not isinstance(v, int):
        raise SaveError(f"{label}: is corrupt: the format version is missing or not a number")
    if v > FORMAT_VERSION:
        app = doc.get("app_version")
        made = f" (app {app})" if isinstance(app, str) and len(app) < 40 else ""
        raise SaveError(f"{label}: was made by a newer version of Deconfliction{made}: save format "
                        f"v{v}, this version reads up to v{FORMAT_VERSION}; update the game to open it")
    if v < 0:
        raise SaveError(f"{label}: is corrupt: format version {v} does not exist")
    if v >= 1:
        stored = doc.get("integrity")
        if not isinstance(stored, str):
            raise SaveError(f"{label}: has no integrity field: it was edited or damaged after it "
                            f"was written")
        try:
            actual = integrity_of(doc)
        except (ValueError, TypeError, RecursionError):
            raise SaveError(f"{label}: is corrupt: it holds values a save cannot") from None
        if stored != actual:
            raise SaveError(f"{label}: the save was modified after it was written (integrity "
                            f"check failed)")
    return v


def upgrade(doc: dict[str, Any], version: int, label: str) -> dict[str, Any]:
    """Apply the upgrade steps version -> version+1 -> ... -> FORMAT_VERSION."""
    from game.persistence.upgrade import UPGRADES
    while version < FORMAT_VERSION:
        step: Callable[[dict[str, Any]], dict[str, Any]] = UPGRADES[version]
        try:
            doc = step(doc)
        except Bad as e:
            raise SaveError(f"{label}: format v{version} save: {e.where}: {e.what}") from None
        version += 1
    return doc


# --- checking the current layout ----------------------------------------------------------------

def need(d: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str,
         optional: bool = False) -> Any:
    """``d[key]`` checked to be of ``kind`` (bool is never an int here)."""
    path = f"{where}.{key}" if where else key
    if key not in d:
        if optional:
            return None
        raise Bad(path, "missing")
    v = d[key]
    if v is None and optional:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(v, bool) and bool not in kinds:
        raise Bad(path, f"expected {_kind_name(kinds)}, got true/false")
    if not isinstance(v, kinds):
        raise Bad(path, f"expected {_kind_name(kinds)}, got {_json_type(v)}")
    if isinstance(v, float) and not math.isfinite(v):
        raise Bad(path, "expected a finite number")
    return v


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "text", int: "an integer", float: "a number", bool: "true/false",
             list: "a list", dict: "an object", type(None): "null"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    return {bool: "true/false", int: "an integer", float: "a number", str: "text", list: "a list",
            dict: "an object"}.get(type(v), type(v).__name__)


def _hexstr(v: Any, path: str, length: int | None = None) -> str:
    if not isinstance(v, str) or not _HEX.fullmatch(v) or (length and len(v) != length) or len(v) > 128:
        raise Bad(path, "expected a hexadecimal digest")
    return v


def check_current(doc: dict[str, Any]) -> dict[str, Any]:
    """Validate the shape of a current-version document; raises Bad naming the field."""
    need(doc, "seed", int, "")
    if not -(2 ** 63) <= doc["seed"] < 2 ** 64:
        raise Bad("seed", "out of range")
    need(doc, "note", str, "", optional=True)
    need(doc, "created", str, "", optional=True)
    need(doc, "app_version", str, "", optional=True)
    for k in ("turn", "ply"):
        v = need(doc, k, int, "", optional=True)
        if v is not None and not 0 <= v <= 10 ** 9:
            raise Bad(k, "out of range")
    need(doc, "active", str, "", optional=True)
    need(doc, "date", str, "", optional=True)
    need(doc, "terminal", bool, "", optional=True)
    need(doc, "winner", str, "", optional=True)
    vp = need(doc, "vp", dict, "", optional=True)
    for k, x in (vp or {}).items():
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise Bad(f"vp.{fkey(k)}", "expected a number")
    players = need(doc, "players", dict, "")
    for fid, p in players.items():
        where = f"players.{fkey(fid)}"
        if not isinstance(p, dict):
            raise Bad(where, f"expected an object, got {_json_type(p)}")
        c = need(p, "controller", str, where)
        if c not in ("human", "ai"):
            raise Bad(f"{where}.controller", f"expected human or ai, got {c[:40]!r}")
        lvl = need(p, "ai_level", str, where, optional=True)
        if lvl is not None and len(lvl) > 40:
            raise Bad(f"{where}.ai_level", "too long")
    sc = need(doc, "scenario", dict, "")
    need(sc, "id", str, "scenario")
    need(sc, "name", str, "scenario")
    if sc.get("sha256") is not None:
        _hexstr(sc["sha256"], "scenario.sha256", 64)
    need(sc, "path", str, "scenario", optional=True)
    text = need(sc, "text", str, "scenario", optional=True)
    if text is None and not sc.get("path") and sc.get("sha256") is None:
        raise Bad("scenario", "neither embedded text nor a file to find it by")
    if text is not None:
        if len(text) > MAX_TEXT:
            raise Bad("scenario.text", "too large for a scenario")
        if sc.get("sha256") is not None and hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() != sc["sha256"]:
            raise Bad("scenario.text", "does not match scenario.sha256")
    actions = need(doc, "actions", list, "")
    if len(actions) > MAX_ACTIONS:
        raise Bad("actions", f"more than {MAX_ACTIONS} actions")
    if doc.get("ply") is not None and doc["ply"] != len(actions):
        raise Bad("ply", f"says {doc['ply']} actions but the save holds {len(actions)}")
    cps = need(doc, "checkpoints", list, "")
    last = 0
    for i, cp in enumerate(cps):
        where = f"checkpoints[{i}]"
        if not isinstance(cp, dict):
            raise Bad(where, f"expected an object, got {_json_type(cp)}")
        ply = need(cp, "ply", int, where)
        if not last < ply <= len(actions):
            raise Bad(f"{where}.ply", f"{ply} is out of order or beyond the {len(actions)} actions")
        last = ply
        _hexstr(need(cp, "hash", str, where), f"{where}.hash")
    if doc.get("final_hash") is not None:
        _hexstr(doc["final_hash"], "final_hash")
    return doc


def parse_created(v: Any) -> _dt.datetime | None:
    if not isinstance(v, str):
        return None
    try:
        return _dt.datetime.fromisoformat(v)
    except ValueError:
        return None


def load_document(data: bytes, label: str) -> tuple[dict[str, Any], int]:
    """Bytes -> (checked current-version document, the version the file was written in)."""
    doc = parse_bytes(data, label)
    version = check_version_and_integrity(doc, label)
    doc = upgrade(doc, version, label)
    try:
        check_current(doc)
    except Bad as e:
        raise SaveError(f"{label}: field {e.where}: {e.what}") from None
    return doc, version
