"""The tests' databases: the schema is migrated once per run into a template, and each test gets a
copy of it. On SQLite the template is a file, copied into the test's tmp_path; on PostgreSQL
(A10FLOW_TEST_DATABASE_URL, e.g. …/a10flow_ci) it is the database a10flow_ci_template, and a test's
database is made from it with CREATE DATABASE … TEMPLATE: a10flow_ci_gw0_a or _b for pytest-xdist's
worker gw0 (a10flow_ci_main_a or _b without xdist). The database the URL names only serves to issue
those commands.

With xdist, the first worker to need the template makes it, under a lock in the run's shared
temporary folder; the others wait for it and use it."""
import fcntl
import itertools
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from a10flow import clock, create_app
from a10flow.database import upgrade_schema
from a10flow.models import db

URL = os.environ.get("A10FLOW_TEST_DATABASE_URL")
POSTGRES = bool(URL) and URL.startswith("postgresql")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def shared_folder(tmp_path_factory):
    """The run's temporary folder that every xdist worker sees (each worker's own is inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


def _postgres_name(suffix):
    return f"{make_url(URL).database}_{suffix}"


def _url(database):
    return make_url(URL).set(database=database).render_as_string(hide_password=False)


@contextmanager
def _admin():
    """A connection to the URL's own database, outside transactions (CREATE DATABASE needs that)."""
    engine = sa.create_engine(URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _migrate(url, instance):
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("A10FLOW_INSTANCE_PATH", str(instance))
        app = create_app(SQLALCHEMY_DATABASE_URI=url, TESTING=True)
    with app.app_context():
        upgrade_schema()
        db.session.remove()
        db.engine.dispose()   # no connection left: PostgreSQL copies only a template nobody is connected to


class Template:
    """The migrated database of this run, made on first use, and the copies of it."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.file = self.folder / "template.sqlite"
        self._ready = False
        self._made = set()   # this process's databases, on PostgreSQL
        # On PostgreSQL a copy takes a good part of a second: while a test runs, the next test's
        # database is made in the background. Two names take turns: while a test uses one, the
        # other (the previous test's) is dropped and made anew.
        self._turn = itertools.cycle([_postgres_name(f"{WORKER}_a"), _postgres_name(f"{WORKER}_b")]) \
            if POSTGRES else None
        self._ahead = None   # the next database, being made
        self._background = ThreadPoolExecutor(max_workers=1) if POSTGRES else None

    def ensure(self):
        if self._ready:
            return
        with open(self.folder / "template.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)   # one worker makes it, the others wait for it
            done = self.folder / "template.done"
            if not done.exists():
                self._make()
                done.touch()
        self._ready = True

    def _make(self):
        instance = self.folder / "template-instance"
        if POSTGRES:
            name = _postgres_name("template")
            with _admin() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            _migrate(_url(name), instance)
        else:
            _migrate(f"sqlite:///{self.file}", instance)
            # Closing the last connection folded SQLite's write-ahead log into the file: the file is all.
            assert not Path(f"{self.file}-wal").exists()

    def copy(self, tmp_path, name=None):
        """A database of the template's for one test (or one module, naming itself): its URL."""
        self.ensure()
        if not POSTGRES:
            path = tmp_path / "test.sqlite"
            shutil.copyfile(self.file, path)
            return f"sqlite:///{path}"
        if name is not None:
            return _url(self._copy(_postgres_name(f"{WORKER}_{name}")))
        database = self._ahead.result() if self._ahead else self._copy(next(self._turn))
        self._ahead = self._background.submit(self._copy, next(self._turn))
        return _url(database)

    def _copy(self, database):
        with _admin() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{database}" TEMPLATE "{_postgres_name("template")}"')
        self._made.add(database)
        return database

    def drop(self):
        """At the end of this process's tests: the databases it made go (PostgreSQL; SQLite's are files)."""
        if not POSTGRES:
            return
        if self._ahead:
            self._ahead.result()
        self._background.shutdown()
        if self._made:
            with _admin() as conn:
                for database in sorted(self._made):
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def drop_template():
    """At the end of the run, once every worker is done with it."""
    if POSTGRES:
        with _admin() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_postgres_name("template")}" WITH (FORCE)')


def fresh_app(template, tmp_path, monkeypatch, name=None, **settings):
    """The service on its own copy of the migrated database (and with ``settings``); yields it, then
    closes the database. ``name`` keeps a database apart from the per-test one (a module's, on PostgreSQL)."""
    url = template.copy(tmp_path, name)
    monkeypatch.setenv("A10FLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    (tmp_path / "forms").mkdir()
    app = create_app(SQLALCHEMY_DATABASE_URI=url, TESTING=True,
                     A10FLOW_WORKFLOWS_DIR=str(tmp_path / "workflows"),
                     A10FLOW_FORMS_DIR=str(tmp_path / "forms"), **settings)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    clock.set(None)
