"""Files on disk: the user's save folder, bounded reads and atomic writes.

A save is written to a temporary file in the same folder, flushed to disk (fsync) and then
renamed over the old one (``os.replace``, atomic on POSIX and Windows).  A crash or power cut at
any moment therefore leaves either the old save or the new one, never half of either.  The
previous version of an overwritten file is kept as ``<name>.bak`` (one generation).
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

from game.errors import SaveError

MAX_SAVE_BYTES = 64 * 1024 * 1024      # refuse anything larger before reading it
STALE_TEMP_SECONDS = 600               # temp files older than this are leftovers of a crash
BACKUP_SUFFIX = ".bak"


def default_save_dir() -> Path:
    """The per-user save folder (not created here).

    ``$DECONFLICTION_SAVE_DIR`` wins; then the platform's data folder: ``%APPDATA%`` on Windows,
    ``~/Library/Application Support`` on macOS, ``$XDG_DATA_HOME`` (if absolute, per the XDG
    spec) or ``~/.local/share`` elsewhere.
    """
    env = os.environ.get("DECONFLICTION_SAVE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or os.environ.get("LOCALAPPDATA")
        root = Path(base) if base else Path.home() / "AppData" / "Roaming"
        return root / "Deconfliction" / "saves"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Deconfliction" / "saves"
    xdg = os.environ.get("XDG_DATA_HOME")
    root = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return root / "deconfliction" / "saves"


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def _reason(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "the disk is full"
    if isinstance(e, PermissionError):
        return "permission denied"
    return e.strerror or str(e)


def read_limited(path: Path, label: str) -> bytes:
    """The bytes of a regular file of at most MAX_SAVE_BYTES; SaveError otherwise."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SaveError(f"{label}: no such file") from None
    except (OSError, ValueError) as e:
        raise SaveError(f"{label}: cannot read: {_reason(e) if isinstance(e, OSError) else e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise SaveError(f"{label}: is a folder, not a save file")
    if not stat.S_ISREG(st.st_mode):
        raise SaveError(f"{label}: is not a regular file")
    if st.st_size > MAX_SAVE_BYTES:
        raise SaveError(f"{label}: is too large to be a save ({st.st_size / (1024 * 1024):.1f} MB; "
                        f"saves are at most {MAX_SAVE_BYTES // (1024 * 1024)} MB)")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SAVE_BYTES + 1)
    except OSError as e:
        raise SaveError(f"{label}: cannot read: {_reason(e)}") from None
    if len(data) > MAX_SAVE_BYTES:
        raise SaveError(f"{label}: is too large to be a save (saves are at most "
                        f"{MAX_SAVE_BYTES // (1024 * 1024)} MB)")
    return data


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _cleanup_stale_temps(folder: Path, name: str) -> None:
    """Remove temp files an earlier crash left behind for this target (old ones only)."""
    now = time.time()
    try:
        for p in folder.glob(f".{name}.*.tmp"):
            try:
                if now - p.stat().st_mtime > STALE_TEMP_SECONDS:
                    p.unlink()
            except OSError:
                pass
    except OSError:
        pass


def _keep_backup(path: Path, folder: Path) -> None:
    """Make ``path.bak`` a copy of the current ``path`` without ever removing ``path``."""
    bak = backup_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{bak.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        os.unlink(tmp)
        try:
            os.link(path, tmp)            # cheap, and the old save keeps its own inode
        except OSError:
            shutil.copyfile(path, tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, bak)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write(path: Path, data: bytes, *, label: str, backup: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically; SaveError (and nothing changed) on failure."""
    if path.is_dir():
        raise SaveError(f"{label}: cannot save there: it is a folder")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SaveError(f"{label}: cannot create the folder {folder}: {_reason(e)}") from None
    except ValueError as e:                      # e.g. a NUL character in the name
        raise SaveError(f"{label}: not a usable file name ({e})") from None
    if not folder.is_dir():
        raise SaveError(f"{label}: cannot save there: {folder} is not a folder")
    _cleanup_stale_temps(folder, path.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise SaveError(f"{label}: cannot save: {_reason(e)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            mode = 0o644
        try:
            os.chmod(tmp, mode)
        except OSError:
            pass
        if backup and path.is_file():
            _keep_backup(path, folder)
        os.replace(tmp, path)
    except OSError as e:
        _unlink_quiet(tmp)
        raise SaveError(f"{label}: cannot save: {_reason(e)}; the previous file is unchanged") from None
    except BaseException:
        _unlink_quiet(tmp)
        raise
    _fsync_dir(folder)


def _unlink_quiet(p: str | Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass
