"""a10flow: ISO/IEC 42001 A.10 processes as running BPMN, with audit-grade evidence."""
import os

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter

from . import database
from .config import Config, instance_path
from .errors import ServiceError, Unavailable
from .limits import MAX_ROW_ID
from .models import db


class RowId(IntegerConverter):
    """``<int:…>`` in every route: a number too big for an id column is no route (404), not a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def _answer(kind, json_errors, page_errors):
    """The handler of ``kind`` of exception: in JSON under /api/, a page elsewhere. An outage (the
    database or the disk failing now) is a 503 with Retry-After, not a 500: it is no bug."""
    def answer(exc):
        handlers, down = json_errors if request.path.startswith("/api/") else page_errors, None
        if kind is Exception and (down := database.outage(exc)) is not None:   # not a ServiceError, not HTTP
            database.forget()
            g.user = None   # the page says nothing more that needs the database
        return handlers[ServiceError](down) if down else handlers[kind](exc)
    return answer


def _retry_after(response):
    """Every 503 says when to ask again, however it arose."""
    if response.status_code == 503:
        response.headers.setdefault("Retry-After", str(Unavailable.retry_after))
    return response


def create_app(**overrides):
    """The application: config from A10FLOW_* (or ``overrides``), database, API, web pages."""
    app = Flask(__name__, instance_path=instance_path())
    app.url_map.converters["int"] = RowId
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    os.chmod(app.instance_path, 0o700)   # the database, the keys: the service's user alone
    app.config.from_object(Config(app.instance_path, **overrides))
    _lend_the_engine()
    db.init_app(app)
    database.init_app(app)
    from . import api, web
    json_errors, page_errors = api.init_app(app), web.init_app(app)
    for kind in json_errors:   # the API answers in JSON, everything else with a page and a way back
        app.register_error_handler(kind, _answer(kind, json_errors, page_errors))
    app.after_request(_retry_after)
    from . import cli, health
    app.register_blueprint(health.bp)
    cli.init_app(app)
    return app


def _lend_the_engine():
    """The engine imports nothing of the service: it is lent the service's clock, and the functions
    process owners' scripts may call besides the engine's own."""
    from . import clock
    from .engine import host
    from .evidence import canonical
    from .work import responsibilities
    host.lend(now=clock.now, script_helpers={
        # A.10.2: check a responsibility matrix; fingerprint the exact version a party accepts.
        "matrix_problems": responsibilities.problems,
        "sha256": canonical.sha256,
    })
