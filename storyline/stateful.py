"""What a stage that carries state across batches and runs has in common: start fresh, resume, save."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Resumable(Protocol):
    """State that can be saved as bytes and resumed from them (the clusterer, the deduplicator)."""

    def snapshot(self) -> bytes: ...

    def restore(self, data: bytes) -> None: ...


StateT = TypeVar("StateT", bound=Resumable)


class Resuming(Generic[StateT]):
    """Holds a stage's state: ``fresh`` makes an empty one; the pipeline restores it before a run and
    snapshots it after every batch (``pipeline.StatefulStage``)."""

    def __init__(self, fresh: Callable[[], StateT]) -> None:
        self._fresh = fresh
        self.state = fresh()

    def restore(self, state: bytes | None) -> None:
        """Start from the saved state (or from nothing), whatever this instance saw before."""
        self.state = self._fresh()
        if state:
            self.state.restore(state)

    def snapshot(self) -> bytes:
        """The state as bytes, to resume from in a later run."""
        return self.state.snapshot()
