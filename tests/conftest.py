"""Fixtures: a fresh database per test (SQLite, or PostgreSQL when A10FLOW_TEST_DATABASE_URL
is set), users of every role with API tokens, and a client that speaks as each of them. What tests
share besides fixtures is in helpers.py."""
import os

import pytest
import sqlalchemy as sa

from a10flow import clock, create_app
from a10flow.database import upgrade_schema
from a10flow.models import db
from helpers import DATA, MailServer, speakers

pytest_plugins = ["pages"]   # the browser fixtures: a real HTTP port and headless Chromium


def _fresh_postgres(url):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_app(tmp_path, monkeypatch):
    """The service on an empty, migrated database; yields it, then closes the database."""
    url = os.environ.get("A10FLOW_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite'}"
    if url.startswith("postgresql"):
        _fresh_postgres(url)
    monkeypatch.setenv("A10FLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    (tmp_path / "forms").mkdir()
    app = create_app(SQLALCHEMY_DATABASE_URI=url, TESTING=True,
                     A10FLOW_WORKFLOWS_DIR=str(tmp_path / "workflows"),
                     A10FLOW_FORMS_DIR=str(tmp_path / "forms"))
    with app.app_context():
        upgrade_schema()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    clock.set(None)


@pytest.fixture
def app(tmp_path, monkeypatch):
    yield from fresh_app(tmp_path, monkeypatch)


@pytest.fixture
def as_(app):
    """as_["alice"] is a client speaking as alice; as_[None] sends no token."""
    return speakers(app)


@pytest.fixture
def purchase(as_):
    """The purchase process deployed with its form."""
    response = as_["owner"].deploy(DATA / "purchase.bpmn", DATA / "request.json")
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def smtp(app):
    """The mail server, and the service configured to use it."""
    server = MailServer()
    app.config["A10FLOW_SMTP"] = {"host": "127.0.0.1", "port": server.port, "from": "a10flow@example.org",
                                  "timeout": 5}
    yield server
    server.down()
