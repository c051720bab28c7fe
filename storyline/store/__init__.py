"""Stores behind one interface (``Store``); SQLite is the default."""

from __future__ import annotations

from ..errors import ConfigError, Errors
from .base import SearchHit, Store
from .sqlite import SQLiteStore

__all__ = ["SQLiteStore", "SearchHit", "Store", "open_store"]

BACKENDS = {"sqlite": SQLiteStore}


def open_store(location: str, backend: str = "sqlite") -> Store:
    """Open (creating and migrating as needed) the store at ``location``."""
    if backend not in BACKENDS:
        raise ConfigError(Errors.E012.format(kind="store backend", name=backend, known=", ".join(BACKENDS)))
    return BACKENDS[backend](location)
