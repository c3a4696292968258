"""/healthz and /readyz, for load balancers and orchestrators: cheap, for anyone, and saying only
what is wrong, never where or why (no paths, no error texts)."""
import os

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from . import database
from .models import db

bp = Blueprint("health", __name__)
SCHEDULER = "a10flow.scheduler"   # app.extensions: the scheduler `serve` runs beside the pages, if it does


@bp.route("/healthz")
def alive():
    """The process answers: no database, no file."""
    return jsonify(status="alive")


@bp.route("/readyz")
def ready():
    """Ready to serve: the database answers at the latest migration, the signing key and the document
    store can be used, and the scheduler runs where it should. 503 and what is not, otherwise."""
    checks = {"database": _database(), "signing_key": _readable(current_app.config["A10FLOW_SIGNING_KEY"]),
              "documents": _writable(current_app.config["A10FLOW_DOCUMENTS_DIR"])}
    scheduler = current_app.extensions.get(SCHEDULER)
    if scheduler is not None:
        checks["scheduler"] = "ok" if scheduler.running() else "stopped"
    ready = all(state == "ok" for state in checks.values())
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return response


def _database():
    try:
        at = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception as exc:
        database.forget()
        return "unavailable" if database.outage(exc) else "not set up"
    finally:
        db.session.rollback()
    return "ok" if set(at) == set(_heads()) else "migrations behind: run `a10flow init`"


def _heads():
    found = current_app.extensions.get("a10flow.heads")
    if found is None:   # read once: the migrations shipped with this code do not change while it runs
        found = current_app.extensions["a10flow.heads"] = ScriptDirectory(database.MIGRATIONS).get_heads()
    return found


def _readable(path):
    # Made at the first checkpoint: before that, its folder must take it.
    if os.path.exists(path):
        return "ok" if os.access(path, os.R_OK) else "unreadable"
    return _writable(os.path.dirname(path) or ".")


def _writable(path):
    while not os.path.exists(path):   # made when first needed, under a folder that must take it
        path = os.path.dirname(path)
    return "ok" if os.access(path, os.W_OK | os.X_OK) else "read-only"
