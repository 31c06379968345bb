"""Save, load, autosave and replay games (the game is its scenario + seed + action log).

The API the UI and the command line use; see docs/save-format.md for the file format.
"""
from __future__ import annotations

from game.persistence.document import FORMAT_VERSION, MARKER
from game.persistence.files import MAX_SAVE_BYTES, backup_path, default_save_dir
from game.persistence.replay import (ReplayCursor, ReplayStep, TurnMark, replay_states,
                                     turn_boundaries, turn_marks)
from game.persistence.store import (AUTOSAVE_KEEP, SAVE_SUFFIX, SaveInfo, autosave, cmd_check_save,
                                    list_saves, load_session, read_save_info, save_session)

__all__ = [
    "FORMAT_VERSION", "MARKER", "MAX_SAVE_BYTES", "SAVE_SUFFIX", "AUTOSAVE_KEEP", "SaveInfo",
    "save_session", "load_session", "autosave", "default_save_dir", "list_saves",
    "read_save_info", "backup_path", "turn_boundaries", "turn_marks", "replay_states",
    "ReplayCursor", "ReplayStep", "TurnMark", "cmd_check_save",
]
