"""Database set-up: SQLite behaviour for the embedded default, migrations, and telling an outage
(the database or the disk cannot serve now) from a bug."""
import errno
import os
import sqlite3
from contextlib import contextmanager

from flask_migrate import Migrate, upgrade
from sqlalchemy import event, exc

from .errors import NotFound, Unavailable
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


# The disk said no: full, over quota, read-only, failing, or not ours to write (an operator's fix).
_DISK = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM}
# SQLite's words for "not now" (busy, locked) and for a disk or file it cannot use; others are bugs.
_SQLITE_DOWN = ("locked", "busy", "disk", "readonly", "unable to open", "full")


AGAIN = "nothing was done: try again in a few seconds"


def outage(error):
    """An Unavailable saying what cannot serve, when ``error`` (or what caused it) is the database
    or the disk failing now (it may work again with no change to the service); None for a bug."""
    while error is not None:
        if isinstance(error, exc.TimeoutError):
            return Unavailable(f"the database is busy: every connection is in use; {AGAIN}")
        if isinstance(error, exc.DBAPIError) and (error.connection_invalidated or _down(error.orig)):
            return Unavailable(f"the database cannot answer just now; {AGAIN}")
        if isinstance(error, OSError) and error.errno in _DISK:
            return Unavailable(f"the service cannot write its files just now ({os.strerror(error.errno).lower()}); "
                               f"{AGAIN}")
        if _down(error):
            return Unavailable(f"the database cannot answer just now; {AGAIN}")
        error = error.__cause__ or error.__context__
    return None


def _down(error):
    if isinstance(error, sqlite3.OperationalError):
        return any(word in str(error).lower() for word in _SQLITE_DOWN)
    # psycopg's OperationalError: no connection, a lock or statement timeout, the disk full, a shutdown
    return type(error).__module__.startswith("psycopg") and any(
        cls.__name__ == "OperationalError" for cls in type(error).__mro__)


def forget():
    """Drop the session's transaction after an outage, whatever state its connection is in."""
    try:
        db.session.rollback()
    except Exception:   # the connection is gone: its pool replaces it
        db.session.close()


def init_app(app):
    migrate.init_app(app, db)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _private(engine.url.database)
        wait_ms = int(app.config["A10FLOW_DATABASE_WAIT_SECONDS"] * 1000)
        event.listen(engine, "connect", lambda connection, _record: _sqlite_connect(connection, wait_ms))
        event.listen(engine, "begin", _sqlite_begin)


def _private(path):
    # SQLite makes its file (and gives its -wal and -shm files the same mode) readable by all.
    if not path or path == ":memory:":
        return
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(name):
            os.chmod(name, 0o600)


def _sqlite_connect(dbapi_connection, wait_ms):
    # We issue BEGIN ourselves (below); WAL lets readers run beside the one writer.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={wait_ms}")
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
