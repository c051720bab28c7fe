"""Shared fixtures: settings, paths to the sample and to the project's own fixture files, and stores of every
backend (a PostgreSQL server the session starts itself)."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline.config import Settings, load_settings
from storyline.model import Article
from storyline.pipeline import Pipeline, default_stages
from storyline.store import SQLiteStore, Store, open_store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads a user's storyline.toml or environment."""
    monkeypatch.delenv("STORYLINE_CONFIG", raising=False)
    monkeypatch.delenv("STORYLINE_DB", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with open_store(str(tmp_path / "test.db")) as opened:
        yield opened


@pytest.fixture
def ingested(store: SQLiteStore, settings: Settings) -> SQLiteStore:
    """A store holding the five sample articles, fully processed."""
    from storyline.ingest import read_inputs

    store.add_articles(a for a in read_inputs([str(EXAMPLES)], settings.ingest) if isinstance(a, Article))
    Pipeline(default_stages(settings), settings.pipeline.batch_size).run(store)
    return store


def sample_article(store: SQLiteStore, file_prefix: str) -> Article:
    """The stored sample article read from the file whose name starts with ``file_prefix``."""
    (found,) = [a for a in store.articles() if Path(a.path or "").name.startswith(file_prefix)]
    return found


@pytest.fixture(scope="session")
def served_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file the web tests read: the sample, a fifth outlet's account of the visit (other dates) and an
    article full of markup, fully processed; made once per session (tests that write copy it first)."""
    path = tmp_path_factory.mktemp("served") / "served.db"
    settings = web_settings(path)
    from storyline.pipeline import ingest

    with open_store(str(path)) as store:
        inputs = [EXAMPLES, FIXTURES / "conflicts" / "xi-visit-other-dates.txt", FIXTURES / "web" / "hostile.jsonl"]
        result = ingest(store, [str(p) for p in inputs], settings)
        assert not result.failures
    return path


def copy_store(source: Path, target: Path) -> Path:
    """A copy of a SQLite store that a test may write, its write-ahead log folded in first."""
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(source, target)
    return target


def web_settings(db: Path, serve: dict[str, float] | None = None) -> Settings:
    """Settings over ``db`` with the web fixtures' outlet table (and these [serve] settings)."""
    table = str(FIXTURES / "web" / "outlets.csv")
    return load_settings(overrides={"store": {"path": str(db)}, "outlets": {"table": table}, "serve": serve or {}})


# -- stores of every backend ------------------------------------------------------------------------------

# A server to use instead of starting one (CI with a database service): a URL whose user may create databases.
POSTGRES_ENV = "STORYLINE_TEST_POSTGRES"
POSTGRES_MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package "
    "(`make test` does: apt-get install postgresql), or set STORYLINE_TEST_POSTGRES to a server URL."
)
# What a refused write raises, by backend: the stores pass the driver's errors on.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
try:
    import psycopg

    INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)
except ImportError:  # pragma: no cover - psycopg is a dev dependency
    psycopg = None  # type: ignore[assignment]


def _postgres_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on the PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda f: int(Path(f).parent.name), reverse=True)
    return next((Path(f) for f in folders if (Path(f) / "initdb").exists()), None)


def free_port() -> int:
    """A loopback port no one listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A throwaway PostgreSQL cluster: initdb in a temporary folder, a loopback port, no fsync.

    As root (CI), initdb refuses to run: the cluster then belongs to ``nobody``, and its commands run as it.
    """

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        root = os.geteuid() == 0
        # As root, in /tmp: $TMPDIR may lie under a folder that nobody cannot enter.
        self.folder = Path(tempfile.mkdtemp(prefix="storyline-pg-", dir="/tmp" if root else None))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if root:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.folder, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, check=False)
        if done.returncode:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def start(self) -> None:
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-U", "storyline", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-w", "-t", "60", "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql://storyline@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database, for the session: STORYLINE_TEST_POSTGRES's, or
    one started here (skipped, saying what to install, only where no server binary can be found)."""
    if psycopg is None:
        pytest.skip("psycopg is not installed: pip install -e '.[dev]' (or 'storyline[postgresql]').")
    given = os.environ.get(POSTGRES_ENV)
    if given:
        yield given
        return
    binaries = _postgres_binaries()
    if binaries is None:
        pytest.skip(POSTGRES_MISSING)
    server = PostgresServer(binaries)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()


_databases = itertools.count()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped after the test."""
    name = f"storyline_test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield postgres_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new store of each backend lives: a SQLite file, a PostgreSQL database's URL."""
    if request.param == "sqlite":
        return str(tmp_path / "test.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def any_store(store_location: str) -> Iterator[Store]:
    """A new, empty store of each backend."""
    with open_store(store_location) as opened:
        yield opened
