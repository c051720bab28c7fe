"""What a stage that carries state across batches and runs has in common: start fresh, resume, save."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

# The start of a state packed by ``pack_arrays``; older states are numpy .npz files (zip archives: "PK").
_PACKED = b"SLA1"
# Each array starts at a multiple of this many bytes, so that the unpacked arrays are aligned.
_ALIGN = 16


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


def pack_arrays(arrays: Mapping[str, npt.NDArray[Any]]) -> bytes:
    """Named arrays as bytes: a JSON header (names, types, shapes, offsets), then each array's raw bytes.

    What ``np.savez`` did, without its zip archive: the states are saved after every batch (in watch mode, every
    file), and the archive's per-array headers and checksums were most of the time spent writing them.
    """
    entries: list[dict[str, Any]] = []
    chunks: list[bytes | memoryview] = []
    offset = 0
    for name, array in arrays.items():
        data = np.asarray(array)
        data = data if data.flags.c_contiguous else data.copy(order="C")
        if data.dtype.hasobject:
            raise ValueError(f"cannot pack {name}: an array of objects")
        chunks.append(bytes(-offset % _ALIGN))
        offset += len(chunks[-1])
        entries.append({"name": name, "dtype": data.dtype.str, "shape": data.shape, "offset": offset})
        chunks.append(data.reshape(-1).view(np.uint8).data)
        offset += data.nbytes
    header = json.dumps(entries).encode("utf-8")
    start = len(_PACKED) + 8 + len(header)
    # One copy of every array, into the result.
    return b"".join([_PACKED, len(header).to_bytes(8, "little"), header, bytes(-start % _ALIGN), *chunks])


def unpack_arrays(data: bytes) -> Mapping[str, npt.NDArray[Any]]:
    """The arrays :func:`pack_arrays` packed (writable copies), or those of an older state's .npz file."""
    if not data.startswith(_PACKED):
        loaded: Mapping[str, npt.NDArray[Any]] = np.load(io.BytesIO(data))
        return loaded
    size = int.from_bytes(data[len(_PACKED) : len(_PACKED) + 8], "little")
    entries = json.loads(data[len(_PACKED) + 8 : len(_PACKED) + 8 + size].decode("utf-8"))
    start = len(_PACKED) + 8 + size
    start += -start % _ALIGN
    # One writable copy of the whole: the arrays are views into it, as np.load's would be their own.
    body = bytearray(memoryview(data)[start:])
    arrays = {}
    for entry in entries:
        dtype = np.dtype(entry["dtype"])
        count = int(np.prod(entry["shape"], dtype=np.int64))
        flat = np.frombuffer(body, dtype=dtype, count=count, offset=entry["offset"])
        arrays[entry["name"]] = flat.reshape(entry["shape"])
    return arrays
