"""The project's own errors: each carries a message fit to show a person, never a traceback."""
from __future__ import annotations


class DeconflictionError(Exception):
    """Base for every error the game reports to a user."""


class ScenarioError(DeconflictionError):
    """A scenario file is broken.  ``problems`` lists one ``file:line field: message`` per fault."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class SaveError(DeconflictionError):
    """A save file is corrupt, truncated, foreign or tampered with."""


class IllegalAction(DeconflictionError):
    """An action that the rules do not allow in the current state."""
