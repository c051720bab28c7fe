"""What a stage that carries state across batches and runs has in common: start fresh, resume, save (whole, or
only what changed since it was last saved)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

# The start of a state packed by ``pack_arrays``; older states are numpy .npz files (zip archives: "PK").
_PACKED = b"SLA2"


class Resumable(Protocol):
    """State that can be saved as bytes and resumed from them (the clusterer, the deduplicator); and saved in part:
    what changed since it was last saved (``snapshot``, ``changes``) or restored, which ``merged`` folds into a
    whole state again, the same bytes as ``snapshot`` would have given then."""

    def snapshot(self) -> bytes: ...

    def restore(self, data: bytes) -> None: ...

    def changes(self) -> bytes | None:
        """What changed since the last ``snapshot``, ``changes`` or ``restore``; None when only a whole snapshot
        can say (the state was rewritten other than batch by batch)."""
        ...

    def merged(self, data: bytes, changes: Sequence[bytes]) -> bytes:
        """The whole state ``data`` with ``changes`` (of ``changes``, in order) applied."""
        ...


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

    def changes(self) -> bytes | None:
        """What changed since the state was last saved or restored (None: save a whole ``snapshot``)."""
        return self.state.changes()

    def merged(self, state: bytes, changes: Sequence[bytes]) -> bytes:
        """A saved state with the changes saved after it: the whole state to ``restore``."""
        return self.state.merged(state, changes) if changes else state


def pack_arrays(arrays: Mapping[str, npt.NDArray[Any]]) -> bytes:
    """Named arrays as bytes: their names, then each array, one after another in numpy's own .npy format.

    What ``np.savez`` did, without its zip archive: the states are saved after every batch (in watch mode, every
    file), and the archive's per-array headers and checksums were most of the time spent writing them.
    """
    buffer = io.BytesIO()
    buffer.write(_PACKED)
    np.save(buffer, np.array(list(arrays), dtype=np.str_), allow_pickle=False)
    for array in arrays.values():
        np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def unpack_arrays(data: bytes) -> Mapping[str, npt.NDArray[Any]]:
    """The arrays :func:`pack_arrays` packed, or those of an older state's .npz file."""
    buffer = io.BytesIO(data)
    if not data.startswith(_PACKED):
        loaded: Mapping[str, npt.NDArray[Any]] = np.load(buffer)
        return loaded
    buffer.seek(len(_PACKED))
    names = np.load(buffer, allow_pickle=False)
    return {str(name): np.load(buffer, allow_pickle=False) for name in names}
