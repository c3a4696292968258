"""a10flow: ISO/IEC 42001 A.10 processes as running BPMN, with audit-grade evidence."""
import os

from flask import Flask

from .config import Config, instance_path
from .models import db


def create_app(**overrides):
    """The application: config from A10FLOW_* (or ``overrides``), database, API, web pages."""
    app = Flask(__name__, instance_path=instance_path())
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(Config(app.instance_path, **overrides))
    db.init_app(app)
    from . import database
    database.init_app(app)
    from . import api, web
    api.init_app(app)
    web.init_app(app)
    from . import cli
    cli.init_app(app)
    return app
