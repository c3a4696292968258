"""Deploying definitions: versions are created only when content changes."""
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..database import write
from ..engine import runner, state
from ..errors import Conflict, Invalid, NotFound
from ..evidence import controls
from ..models import Definition, DefinitionKind, DefinitionVersion, StartTimer, User, db
from ..people import access
from ..processes import datastores
from ..work import document_checks, forms
from . import element_settings
from .specs import DeployError, parse_upload
from .upload import parse_xml


def find(key, kind=None):
    """:raises NotFound:"""
    definition = db.session.scalar(db.select(Definition).where(Definition.key == key))
    if definition is None or (kind is not None and definition.kind != kind):
        raise NotFound(f"definition {key!r} not found")
    return definition


def _latest_processes():
    return [d.versions[-1] for d in db.session.scalars(db.select(Definition).where(
        Definition.kind == DefinitionKind.PROCESS).order_by(Definition.name)) if d.versions]


def startable(user):
    """The latest version of every process ``user`` may start, by name."""
    return [v for v in _latest_processes() if access.may_start(v, user)]


def starters():
    """Who may start each process, by name: ``[(version, groups, users)]`` of its latest version
    (both empty: anyone who works on tasks), and the names of the owners and admins, who start
    anything and are whom to ask: ``(processes, {"owner": [...], "admin": [...]})``."""
    processes = [(v, v.start.get("groups") or [], v.start.get("users") or []) for v in _latest_processes()]
    ask = {role.value: db.session.scalars(db.select(User.name).where(User.role == role).order_by(User.name)).all()
           for role in access.OWNERS}
    return processes, ask


def uses_of_groups():
    """What the latest version of each process offers each group: ``{group: [(process, lane, task), …]}``,
    task None for starting it. Groups an expression picks as the process runs cannot be known here."""
    uses = {}
    for version in _latest_processes():
        for group in version.start.get("groups") or []:
            uses.setdefault(group, []).append((version.name, None, None))
        for task in (version.tasks or {}).values():
            named = task.get("candidate_groups") or ([task["lane"]] if task.get("lane") else [])
            for group in named if isinstance(named, list) else []:   # an expression: known only as it runs
                uses.setdefault(group, []).append((version.name, task.get("lane"), task["name"]))
    return uses


def controls_of(version):
    """The control ids a version's elements carry, each once, in a10flow.evidence.controls order."""
    return sorted({c for ids in (version.controls or {}).values() for c in ids}, key=controls.order)


def stored_xml(xml, filename):
    """The root of a stored BPMN or DMN file (``xml``, text), read as an upload is: stored as
    deployed, still read as untrusted. None when it does not read."""
    try:
        return parse_xml(xml.encode("utf-8"), filename)
    except DeployError:
        return None


_MILESTONES = {}   # (version id, BPMN hash) -> milestones: a version never changes


def milestones_of(version):
    """``{element id: words}``: the elements whose ``milestone`` property says that reaching them
    completes one cycle of the controls the process evidences (see README, "Coverage")."""
    key = (version.id, version.xml_sha256)
    if key not in _MILESTONES:
        root = parse_xml(version.xml.encode("utf-8"), version.filename)
        _MILESTONES[key] = {node.get("id"): said.strip() for node in root.iter("*")
                            if node.get("id") and (said := element_settings.properties(node).get("milestone"))
                            and said.strip()}
    return _MILESTONES[key]


def version_of(definition, number=None):
    """The version numbered ``number``, else the latest. :raises NotFound:"""
    stmt = db.select(DefinitionVersion).where(DefinitionVersion.definition_id == definition.id)
    stmt = stmt.where(DefinitionVersion.version == number) if number is not None else \
        stmt.order_by(DefinitionVersion.version.desc()).limit(1)
    version = db.session.scalar(stmt)
    if version is None:
        raise NotFound(f"{definition.key!r} has no version {number}")
    return version


def decision_version(key, sha256):
    """The version number under which decision ``key`` was deployed from the DMN file hashing to
    ``sha256``, or None (a decision deployed before decisions were versions of their own)."""
    return db.session.scalar(db.select(DefinitionVersion.version).join(Definition).where(
        Definition.key == key, Definition.kind == DefinitionKind.DECISION,
        DefinitionVersion.content_hash == sha256).order_by(DefinitionVersion.version))


def _latest_xml(kind, key):
    definition = db.session.scalar(db.select(Definition).where(Definition.key == key))
    if definition is None or definition.kind != DefinitionKind(kind):
        return None
    latest = definition.versions[-1]
    return latest.xml.encode("utf-8"), latest.forms or {}


def deploy(files, user, forms_dir=None):
    """Deploy uploaded (filename, bytes) pairs, as ``user`` (None: the command line). Returns what was
    deployed, version by version.

    :raises Forbidden: only owners deploy; Invalid: with one detail per problem (element and
        message); nothing is stored.
    """
    if user is not None:
        access.demand(user, access.OWNERS)
    try:
        upload = parse_upload(files, forms_dir, _latest_xml, read_controls=controls.parse,
                              form_problems=forms.deploy_problems)
    except DeployError as exc:
        raise Invalid("the upload cannot be deployed", exc.details) from None
    if problems := [p for process in upload.processes for p in document_checks.unreceived(process)]:
        raise Invalid("the upload cannot be deployed", problems)
    result = {"processes": [], "decisions": [], "warnings": upload.warnings}
    try:
        with write():
            for p in upload.processes:
                version = _store(DefinitionKind.PROCESS, p.key, p.name, p.content_hash, user, dict(
                    name=p.name, filename=p.filename, xml=p.bpmn_xml, xml_sha256=p.bpmn_sha256,
                    spec=p.spec, tasks=p.tasks, controls=p.controls, forms=p.forms, inputs=p.inputs, files=p.files,
                    description=p.description))
                datastores.declare(p.stores, p.filename)
                result["processes"].append({"key": p.key, "name": p.name, "version": version.version})
            for d in upload.decisions:
                version = _store(DefinitionKind.DECISION, d.key, d.name, d.sha256, user, dict(
                    name=d.name, filename=d.filename, xml=d.xml, xml_sha256=d.sha256))
                result["decisions"].append({"key": d.key, "name": d.name, "version": version.version})
    except IntegrityError:
        raise Conflict("another deployment of the same definition happened at the same time; try again") from None
    return result


def _store(kind, key, name, content_hash, user, fields):
    definition = db.session.scalar(db.select(Definition).where(Definition.key == key))
    if definition is None:
        definition = Definition(key=key, kind=kind, name=name)
        db.session.add(definition)
    elif definition.kind != kind:
        raise Invalid("the upload cannot be deployed", [{"element": key, "message":
                      f"{key!r} is already deployed as a {definition.kind.value}, not a {kind.value}"}])
    latest = definition.versions[-1] if definition.versions else None
    if latest is not None and latest.content_hash == content_hash:
        return latest
    definition.name = name
    version = DefinitionVersion(definition=definition, version=(latest.version + 1) if latest else 1,
                                content_hash=content_hash, created_by=user.id if user else None, **fields)
    db.session.add(version)
    db.session.flush()
    if kind == DefinitionKind.PROCESS:
        _schedule(definition, version)
    return version


def _schedule(definition, version):
    """The latest version's timer start events replace the previous version's schedule."""
    try:
        timers = runner.start_timers(state.specs_for((definition.key, version.content_hash),
                                                     lambda: version.spec), clock.now())
    except runner.EngineError as exc:
        raise Invalid("the upload cannot be deployed", [{"file": version.filename, "element": exc.element_id,
                                                          "message": exc.message}]) from None
    db.session.execute(db.delete(StartTimer).where(StartTimer.definition_id == definition.id))
    for timer in timers:
        db.session.add(StartTimer(definition_id=definition.id, version_id=version.id, element_id=timer.element_id,
                                  name=timer.name, due_at=timer.due_at, period=timer.period,
                                  remaining=timer.remaining))
