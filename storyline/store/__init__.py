"""Stores behind one interface; SQLite is the default."""

from __future__ import annotations

from ..errors import ConfigError, Errors
from .sqlite import SearchHit, SQLiteStore

__all__ = ["SQLiteStore", "SearchHit", "open_store"]

BACKENDS = {"sqlite": SQLiteStore}


def open_store(location: str, backend: str = "sqlite") -> SQLiteStore:
    """Open (creating and migrating as needed) the store at ``location``."""
    if backend not in BACKENDS:
        raise ConfigError(Errors.E012.format(kind="store backend", name=backend, known=", ".join(BACKENDS)))
    return BACKENDS[backend](location)
