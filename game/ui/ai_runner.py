"""Run an AI faction's turn in a background thread so the window keeps drawing.

The worker plays the whole turn on a *clone* of the state (same seeded RNG, so its copy evolves
exactly like the real one) and streams each chosen action into a queue.  The main loop takes the
actions out one by one, with a short pause between visible ones, and applies them through the
Session; skipping just takes everything out without pausing.  No pygame here.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from game import engine
from game.actions import Action, EndTurn
from game.errors import DeconflictionError
from game.state import GameState

MAX_ACTIONS = 5000          # a runaway agent still ends its turn


@dataclass
class AIError:
    """The agent failed; the main loop reports it and ends the faction's turn."""
    message: str


class AIRunner:
    """One AI faction turn.  ``poll`` hands back what the worker has decided so far."""

    def __init__(self, agent: Any, state: GameState):
        self.faction = state.active_faction
        self.turn = state.turn
        self._agent = agent
        self._state = state.clone()
        self._queue: queue.Queue[Action | AIError] = queue.Queue()
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self.produced = 0
        self.think_time = 0.0
        self._thread = threading.Thread(target=self._work, name=f"ai-{self.faction}", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        st = self._state
        try:
            for _ in range(MAX_ACTIONS):
                if self._cancel.is_set():
                    return
                t0 = time.perf_counter()
                action = self._agent.choose(st)
                self.think_time += time.perf_counter() - t0
                if self._cancel.is_set():
                    return
                engine.apply(st, action)
                self.produced += 1
                self._queue.put(action)
                if isinstance(action, EndTurn) or st.terminal or st.active_faction != self.faction:
                    return
            self._queue.put(EndTurn())
        except DeconflictionError as e:
            self._queue.put(AIError(f"AI for {self.faction}: {e}"))
        except Exception as e:  # an agent bug must not take the window down
            self._queue.put(AIError(f"AI for {self.faction} failed: {type(e).__name__}: {e}"))
        finally:
            self._finished.set()

    def poll(self, limit: int | None = 1) -> list[Action | AIError]:
        """Up to ``limit`` decided actions (all of them if None), without waiting."""
        out: list[Action | AIError] = []
        while limit is None or len(out) < limit:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return out

    @property
    def thinking(self) -> bool:
        """The worker is still deciding and nothing is waiting in the queue."""
        return not self._finished.is_set() and self._queue.empty()

    @property
    def finished(self) -> bool:
        return self._finished.is_set() and self._queue.empty()

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


class BackgroundTask:
    """Run ``fn()`` in a thread (loading a big scenario, indexing a replay) and poll for the result."""

    def __init__(self, fn: Callable[[], Any]):
        self.result: Any = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self.result = fn()
        except BaseException as e:  # handed to the main loop, which shows it
            self.error = e
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)
