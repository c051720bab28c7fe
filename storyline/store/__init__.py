"""Stores behind one interface (``Store``): SQLite, the default, and PostgreSQL, chosen by the location."""

from __future__ import annotations

from ..errors import ConfigError, Errors, StoreError
from .base import SavedState, SearchHit, Store, shown_location
from .sqlite import SQLiteStore

__all__ = ["SQLiteStore", "SavedState", "SearchHit", "Store", "is_postgres_url", "open_store"]

BACKENDS = ("sqlite", "postgresql")
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: str) -> bool:
    """Whether ``location`` names a PostgreSQL database (a ``postgresql://`` URL) rather than a SQLite file."""
    return location.startswith(_POSTGRES_SCHEMES)


def open_store(location: str, backend: str | None = None) -> Store:
    """Open (creating and migrating as needed) the store at ``location``: a SQLite file, or a PostgreSQL
    database named by a ``postgresql://`` URL. ``backend`` forces one (``sqlite``, ``postgresql``)."""
    if backend is None:
        backend = "postgresql" if is_postgres_url(location) else "sqlite"
    if backend not in BACKENDS:
        raise ConfigError(Errors.E012.format(kind="store backend", name=backend, known=", ".join(BACKENDS)))
    if backend == "sqlite":
        return SQLiteStore(location)
    # Imported here: psycopg is an extra, and the SQLite commands should not load it.
    try:
        from .postgres import PostgresStore
    except ImportError as exc:
        if exc.name is not None and exc.name.startswith("psycopg"):
            raise StoreError(Errors.E021.format(path=shown_location(location))) from exc
        raise
    return PostgresStore(location)
