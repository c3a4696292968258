"""Fixtures: the service on a database of its own for each test (SQLite, or PostgreSQL when
A10FLOW_TEST_DATABASE_URL is set; copied from a template migrated once per run, see databases.py),
users of every role with API tokens, and a client that speaks as each of them. What tests share
besides fixtures is in helpers.py."""
import pytest

from databases import Template, drop_template, fresh_app, shared_folder
from helpers import DATA, MailServer, speakers

pytest_plugins = ["pages", "identity_provider"]   # a real HTTP port and headless Chromium; an OpenID provider


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """The migrated database every test's database is copied from."""
    made = Template(shared_folder(tmp_path_factory))
    yield made
    made.drop()


# Modules whose tests share one database, and so run whole on one pytest-xdist worker, in order.
ONE_WORKER = ("tests/test_interop_corpus.py",)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (`-n`), each test goes to whichever worker is free, except the modules of
    ONE_WORKER, which go whole, largest first. (xdist's own --dist loadgroup would do this with a
    mark, but its marks do not reach pytest 9.2's node ids.)"""
    if config.getoption("dist") != "load":   # another --dist was asked for
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduler(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER else nodeid
    return Scheduler(config, log)


def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):   # the run's own process, after every xdist worker
        drop_template()


@pytest.fixture
def app(template, tmp_path, monkeypatch):
    yield from fresh_app(template, tmp_path, monkeypatch)


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
