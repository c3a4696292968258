"""Database set-up: SQLite behaviour for the embedded default, and migrations."""
import os
from contextlib import contextmanager

from flask_migrate import Migrate, upgrade
from sqlalchemy import event

from .errors import NotFound
from .models import db

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
migrate = Migrate(directory=MIGRATIONS)


@contextmanager
def write():
    """A write that is not a step (a draft, a token, a web session, a mark of read or opened, an
    engagement, an e-mail's outcome): its own transaction, committed when the block ends and
    rolled back if it fails. Every commit of the service is here or in end_read; a step adds the
    instance's lock to this (a10flow.step.frame)."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def found(row, what):
    """``row``, which a look-up gave. :raises NotFound: it gave None (``what`` then names it)."""
    if row is None:
        raise NotFound(f"{what} not found")
    return row


def end_read():
    """End the transaction that reads began, before work that must not hold it: on SQLite a
    transaction holds the write lock, on PostgreSQL a snapshot; each step after it is its own."""
    db.session.commit()


def init_app(app):
    migrate.init_app(app, db)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _private(engine.url.database)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)


def _private(path):
    # SQLite makes its file (and gives its -wal and -shm files the same mode) readable by all.
    if not path or path == ":memory:":
        return
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(name):
            os.chmod(name, 0o600)


def _sqlite_connect(dbapi_connection, _record):
    # We issue BEGIN ourselves (below); WAL lets readers run beside the one writer.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection):
    # SQLite has no row locks: IMMEDIATE takes the write lock at BEGIN, so two
    # steps on one instance run one after the other instead of failing late.
    # A long read (verifying the evidence) says read_only and takes no lock.
    read_only = connection.get_execution_options().get("read_only")
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def upgrade_schema():
    """Create or upgrade the schema to the latest migration (inside an app context)."""
    upgrade(directory=MIGRATIONS)
