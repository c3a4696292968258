"""The ``a10flow`` command: init, serve, deploy, users, evidence. Thin callers of the service's functions."""
import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import clock
from .config import UNNAMED_ORGANISATION, address
from .database import write
from .deploy import definitions
from .errors import ServiceError
from .models import Role, User, db
from .people import auth, directory

DEMO_USERS = [   # the groups the bundled processes offer their tasks to
    ("admin", Role.ADMIN, []),
    ("olivia", Role.OWNER, ["process-owners", "ai-system-owners"]),
    ("alice", Role.STAFF, ["procurement", "account-managers"]),
    ("sam", Role.STAFF, ["security", "compliance"]),
    ("sofia", Role.STAFF, ["security"]),   # a second pair of eyes: who assessed a risk may not approve it
    ("lee", Role.STAFF, ["legal"]),
    ("morgan", Role.STAFF, ["procurement-leads", "security-leads", "legal-leads", "management"]),   # escalations
    ("audrey", Role.AUDITOR, []),
]


def _create_app():
    from . import create_app
    app = create_app()
    context = click.get_current_context(silent=True)
    if context is not None:
        # Close the database pool when the command ends, not whenever it is collected.
        context.call_on_close(lambda: _dispose(app))
    return app


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main():
    """a10flow: ISO/IEC 42001 A.10 processes as running BPMN."""


def init_app(app):
    """Nothing to register: the commands live on ``main``; kept for symmetry with the API."""


def _deploy_paths(paths, user=None):
    files = []
    for path in map(Path, paths):
        chosen = sorted(p for p in path.iterdir() if p.suffix in (".bpmn", ".dmn", ".json")) \
            if path.is_dir() else [path]
        files.extend((p.name, p.read_bytes()) for p in chosen)
    return definitions.deploy(files, user, current_app.config["A10FLOW_FORMS_DIR"])


def _report(result):
    for kind in ("processes", "decisions"):
        for item in result[kind]:
            click.echo(f"deployed {kind[:-1] if kind == 'decisions' else 'process'} {item['key']} "
                       f"version {item['version']}")
    for warning in result["warnings"]:
        click.echo(f"warning: {warning['file']} {warning['element']}: {warning['message']}", err=True)


def _fail(exc):
    click.echo(f"error: {exc.message}", err=True)
    for detail in exc.details:
        where = " ".join(str(detail.get(k)) for k in ("file", "element", "field") if detail.get(k))
        click.echo(f"  {where}: {detail['message']}", err=True)
    sys.exit(1)


@main.command()
@click.option("--demo", is_flag=True, help="Create demo users (if missing) and print fresh tokens.")
@with_appcontext
def init(demo):
    """Create or upgrade the database and deploy workflows/."""
    from .database import upgrade_schema
    upgrade_schema()
    click.echo("database is up to date")
    workflows = current_app.config["A10FLOW_WORKFLOWS_DIR"]
    if os.path.isdir(workflows) and any(n.endswith(".bpmn") for n in os.listdir(workflows)):
        try:
            _report(_deploy_paths([workflows]))
        except ServiceError as exc:
            _fail(exc)
    if demo:
        # Demo accounts sign in to the web pages with their name as password: never use --demo in earnest.
        try:
            for name, role, groups in DEMO_USERS:
                user = db.session.scalar(db.select(User).where(User.name == name))
                if user is None:
                    user = directory.create_user(directory.CLI, name, role, groups)
                    with write():   # shorter than anyone may choose (limits.MIN_PASSWORD): the demo's promise
                        auth.set_password(user, name)
                        directory.record(directory.CLI, user, "password.set")
                click.echo(f"{name:8} {role.value:8} password: {name:8} token: {_token(user)}")
        except ServiceError as exc:
            _fail(exc)


def _token(user):
    # A year: about the longest a token may live (limits.MAX_TOKEN_LIFE).
    return directory.issue_token(directory.CLI, user, clock.now() + timedelta(days=365)).token


@main.command(with_appcontext=False)   # it makes its own app, and so does worker
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host, port, threads):
    """Serve the web pages and the API (waitress); SIGTERM stops it gracefully."""
    from . import health, server
    from .scheduler import Scheduler
    app = _create_app()
    scheduler = None
    if app.config["A10FLOW_SCHEDULER"] != "off":
        scheduler = app.extensions[health.SCHEDULER] = Scheduler(app)   # /readyz says whether it runs
        scheduler.start()
    click.echo(f"a10flow: sign in at {address(app.config, '/sign-in')} "
               f"(listening on {host}:{port}; the API is described at /api/v1/openapi.json)")
    if app.config["A10FLOW_ORGANISATION"] == UNNAMED_ORGANISATION:
        click.echo(f"warning: A10FLOW_ORGANISATION is not set: suppliers and customers read "
                   f"“{UNNAMED_ORGANISATION} asks you…” in e-mails and on link pages", err=True)
    server.run(app, host, port, threads, scheduler)


@main.command(with_appcontext=False)
@click.option("--once", is_flag=True, help="Fire what is due now, then exit (for cron and tests).")
def worker(once):
    """Fire timers, without serving HTTP. Run as many as you like on PostgreSQL."""
    from .scheduler import Scheduler, sweep
    app = _create_app()
    if once:
        with app.app_context():
            click.echo(f"fired {sweep()} timer(s)")
        return
    click.echo("a10flow worker firing timers")
    scheduler = Scheduler(app, blocking=True)
    for kind in (signal.SIGTERM, signal.SIGINT):   # stop after the step it is in, never in the middle
        signal.signal(kind, lambda _number, _frame: scheduler.shutdown(wait=True))
    scheduler.start()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@with_appcontext
def deploy(paths):
    """Deploy BPMN, DMN and form files (or folders of them) together."""
    try:
        _report(_deploy_paths(paths))
    except ServiceError as exc:
        _fail(exc)


@main.group("documents")
def documents_group():
    """The document store."""


@documents_group.command("sweep")
@with_appcontext
def documents_sweep():
    """Delete documents never named by their task, and stored files no document names, once older than
    A10FLOW_DOCUMENT_ORPHAN_DAYS (the scheduler does so every A10FLOW_DOCUMENT_SWEEP_HOURS too)."""
    from .work import document_sweep
    swept = document_sweep.sweep()
    click.echo(f"swept {swept['documents']} document(s) never named and {swept['files']} file(s) no document names")


@main.group()
def users():
    """Manage users and their API tokens."""


@users.command("add")
@click.argument("name")
@click.option("--groups", default="", help="Comma-separated groups, e.g. procurement,security")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.STAFF.value, show_default=True)
@click.option("--email")
@click.option("--token", is_flag=True, help="Issue an API token for a year; it is the last line printed.")
@click.option("--password", is_flag=True, help="Ask for a password, to sign in to the web pages.")
@with_appcontext
def users_add(name, groups, role, email, token, password):
    """Add a user."""
    secret = click.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    try:
        user = directory.create_user(directory.CLI, name, role, groups.split(",") if groups else (), email, secret)
        click.echo(f"added {user.name} ({role}) groups: {', '.join(user.groups) or '-'}")
        if token:
            click.echo(_token(user))
    except ServiceError as exc:
        _fail(exc)


@users.command("set-password")
@click.argument("name")
@with_appcontext
def users_set_password(name):
    """Set a user's password for the web pages (asked twice, never shown)."""
    user = db.session.scalar(db.select(User).where(User.name == name))
    if user is None:
        click.echo(f"error: no user {name!r}", err=True)
        sys.exit(1)
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        directory.set_password(directory.CLI, user, password)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"password set for {name}")


@main.group("evidence")
def evidence_group():
    """Verify, sign and hand over the evidence."""


def _key_path():
    return current_app.config["A10FLOW_SIGNING_KEY"]


TEXT = click.option("--text", "as_text", is_flag=True, help="A report for people instead of JSON")


@evidence_group.command("verify")
@TEXT
@with_appcontext
def evidence_verify(as_text):
    """Recompute every chain and checkpoint; exit 1 if anything was tampered with."""
    from . import evidence
    from .evidence import verifier
    report = evidence.verify(_key_path())
    click.echo(verifier.text(report) if as_text else json.dumps(report.as_dict(), indent=2))
    if not report.ok:
        sys.exit(1)


@evidence_group.command("checkpoint")
@with_appcontext
def evidence_checkpoint():
    """Sign a checkpoint of every chain that grew since the last one."""
    from .evidence import checkpoints
    made = checkpoints.make(_key_path())
    click.echo(f"checkpoint {made.seq} signed" if made else "no chain grew since the last checkpoint")


@evidence_group.command("erase-subject")
@click.argument("identifier")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def evidence_erase_subject(identifier, yes):
    """Erase a data subject's personal values (found by e.g. their e-mail address) from the
    evidence; the chains still verify. Their other fields in the same form go too."""
    from .evidence import personal
    if not yes:
        click.confirm(f"Erase the personal data of {identifier!r} from the evidence? This cannot be undone",
                      abort=True)
    count = personal.erase_subject(identifier, {"id": "system:cli", "name": "a10flow evidence erase-subject"})
    click.echo(f"erased {count} personal value(s)")


def _scope_options(command):
    command = click.option("--control", help="Only this control, e.g. A.10.3")(command)
    command = click.option("--from", "start", type=click.DateTime(), help="Records at or after (UTC)")(command)
    command = click.option("--to", "end", type=click.DateTime(), help="Records before (UTC)")(command)
    return click.option("--instance", type=int, help="Only this instance")(command)


def _scope(control, start, end, instance):
    from datetime import timezone

    from .evidence.scope import Scope
    utc = (lambda d: d.replace(tzinfo=timezone.utc) if d else None)
    try:
        return Scope(control, utc(start), utc(end), instance)
    except ServiceError as exc:
        _fail(exc)


@evidence_group.command("export")
@_scope_options
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Where to write the ZIP (by default here, named for its control and period)")
@click.option("--document-max-bytes", type=click.IntRange(min=0),
              help="The largest document the pack carries (default A10FLOW_PACK_DOCUMENT_MAX_BYTES); a larger one "
                   "is listed with its SHA-256 and download address")
@with_appcontext
def evidence_export(control, start, end, instance, output, document_max_bytes):
    """Write an evidence pack: records, checkpoints, key, process versions, documents, report, verify.py."""
    from .evidence import packs
    scope = _scope(control, start, end, instance)
    output = output or packs.filename(scope)
    data = packs.export(scope, _key_path(), document_max_bytes=document_max_bytes)
    with open(output, "wb") as f:
        f.write(data)
    click.echo(f"wrote {output}")


@evidence_group.command("verify-pack", with_appcontext=False)   # needs no service: no instance folder
@click.argument("pack", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", type=click.File("rb"), help="The service's public key, as you obtained it from the service")
@click.option("--key-id", help="Or the key's id (SHA-256), as the service shows it")
@click.option("--origin", help="The service's log origin, as it shows it beside its key")
@TEXT
def evidence_verify_pack(pack, key, key_id, origin, as_text):
    """Check an evidence pack, as the verify.py inside it does; exit 1 if anything changed or the pack's
    key is not the one you trust (without --key or --key-id, nothing says it is)."""
    from .evidence import verifier
    report = verifier.verify_pack(pack, key.read() if key else None, key_id, origin)
    click.echo(verifier.text(report) if as_text else json.dumps(report.as_dict(), indent=2))
    click.echo(verifier.summary(report), err=True)
    if not report.ok:
        sys.exit(1)


@evidence_group.command("public-key")
@with_appcontext
def evidence_public_key():
    """Print the key that signs checkpoints and packs, and its id: what auditors check packs against."""
    from .evidence import checkpoints
    click.echo(checkpoints.public_key_pem(_key_path()).decode("ascii"), nl=False)
    click.echo(f"key id (SHA-256): {checkpoints.key_id(_key_path())}")


@evidence_group.command("coverage")
@_scope_options
@with_appcontext
def evidence_coverage(control, start, end, instance):
    """Per control: instances in the period, completed, on time, overdue, escalated."""
    from .evidence.scope import coverage
    click.echo(json.dumps(coverage(_scope(control, start, end, instance)), indent=2))
