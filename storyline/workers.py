"""Worker processes a stage starts on first use and keeps while it lives (the NLP parse, the event analysis)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any


class WorkerPool:
    """``processes`` workers, each set up once by ``initializer(*initargs)``, started when first asked for."""

    def __init__(self, processes: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()) -> None:
        self.processes = processes
        self._initializer = initializer
        self._initargs = initargs
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        """The running workers (started now if they were not)."""
        if self._executor is None:
            # "spawn": the parent holds onnxruntime and BLAS thread pools that fork would copy mid-state.
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=get_context("spawn"), initializer=self._initializer, initargs=self._initargs
            )
            weakref.finalize(self, self._executor.shutdown)
        return self._executor

    def close(self) -> None:
        """Stop the workers, if any were started."""
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None
