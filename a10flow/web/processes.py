"""The process owner's pages: definitions and their versions, deploying, instances."""
from flask import Response, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from .. import evidence, step
from ..deploy import definitions
from ..errors import Conflict, Invalid, ServiceError, StepFailed
from ..evidence import personal
from ..models import Definition, DefinitionKind, InstanceStatus, Timer, db
from ..people import access
from ..processes import incidents, instances
from ..work import case, documents, human_tasks, links
from . import blueprint

bp = blueprint("processes")


@bp.route("/definitions")
@access.require(access.READERS)
def definitions_page(problems=(), deployed=None, status=200):
    items = db.session.scalars(db.select(Definition).order_by(Definition.key)).all()
    return render_template("web/definitions.html", items=items, problems=problems, deployed=deployed), status


@bp.route("/definitions", methods=["POST"])
@access.require(access.OWNERS)
def deploy():
    files = [(f.filename, f.read()) for f in request.files.getlist("file") if f.filename]
    if not files:
        return definitions_page([{"message": "choose one or more BPMN, DMN or form files"}], status=422)
    try:
        return definitions_page(deployed=definitions.deploy(files, g.user, current_app.config["A10FLOW_FORMS_DIR"]))
    except ServiceError as exc:
        return definitions_page(exc.details or [{"message": exc.message}], status=422)


@bp.route("/definitions/<key>")
@access.require(access.READERS)
def definition(key):
    return render_template("web/definition.html", definition=definitions.find(key), controls_of=definitions.controls_of)


def _version(key, number):
    return definitions.version_of(definitions.find(key), number)


@bp.route("/definitions/<key>/versions/<int:number>")
@access.require(access.READERS)   # as the API: a version's XML is for those who own or audit processes
def version(key, number):
    """A version's diagram (BPMN) or decision table (DMN), read-only."""
    found = _version(key, number)
    return render_template("web/version.html", version=found, dmn=found.definition.kind == DefinitionKind.DECISION)


@bp.route("/definitions/<key>/versions/<int:number>/xml")
@access.require(access.READERS)
def version_xml(key, number):
    """The deployed XML, as a download of plain text: never a document the browser renders on this site."""
    found = _version(key, number)
    return Response(found.xml, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{found.definition.key}-v{found.version}.xml"'})


@bp.route("/definitions/<key>/versions/<int:number>/edit")
@access.require(access.OWNERS)
def edit(key, number):
    """The modeller (bpmn-js or dmn-js) on a version; what it deploys becomes the next version."""
    found = _version(key, number)
    return render_template("web/modeler.html", version=found, dmn=found.definition.kind == DefinitionKind.DECISION)


@bp.route("/definitions/<key>/versions/<int:number>/deploy", methods=["POST"])
@access.require(access.OWNERS)
def deploy_edited(key, number):
    """Deploy the modeller's XML with the version's own forms and supporting files. JSON in and out:
    ``{"xml"}`` → ``{"next": url}``, or the problems, each naming its element."""
    found = _version(key, number)
    xml = (request.get_json(silent=True) or {}).get("xml")
    if not isinstance(xml, str) or not xml.strip():
        return jsonify(message="send the diagram as {\"xml\": ...}", problems=[]), 422
    files = [(found.filename, xml.encode("utf-8"))]
    files += [(name, text.encode("utf-8")) for name, text in sorted((found.files or {}).items())
              if name != found.filename]
    try:
        result = definitions.deploy(files, g.user, current_app.config["A10FLOW_FORMS_DIR"])
    except ServiceError as exc:
        return jsonify(message=exc.message, problems=exc.details), exc.status
    made = next((d for d in result["processes"] + result["decisions"] if d["key"] == key), None)
    number = made["version"] if made else number
    flash(f"Deployed {key} version {number}.")
    return jsonify(next=url_for("processes.version", key=key, number=number), version=number)


@bp.route("/instances")
def instances_page():
    process = request.args.get("process") or None
    status = request.args.get("status") or None
    key = request.args.get("key", "").strip() or None
    if status not in (None, *[s.value for s in InstanceStatus]):
        status = None
    items = instances.find(g.user, process, status, key, limit=500)
    processes = db.session.scalars(db.select(Definition).where(Definition.kind == DefinitionKind.PROCESS)
                                   .order_by(Definition.name)).all()
    return render_template("web/instances.html", items=items, process=process, status=status, key=key or "",
                           processes=processes, statuses=[s.value for s in InstanceStatus])


@bp.route("/instances/<int:instance_id>")
def instance(instance_id):
    found, everything = access.instance(instance_id, g.user), access.sees_all(g.user)   # its evidence, incidents
    timers = db.session.scalars(db.select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.due_at)).all()
    marks = instances.progress(found)
    return render_template("web/instance.html", instance=found, open_tasks=human_tasks.open_tasks(instance_id),
                           timers=timers, chain=personal.attach(evidence.records(instance_id)) if everything else [],
                           done=_marked(marks, "done"), waiting=_marked(marks, "waiting"),
                           failed=_marked(marks, "failed"), case=case.summary(found.version, found.data or {}),
                           incidents=incidents.of_instance(instance_id) if everything else [],
                           latest=definitions.version_of(found.version.definition).version,
                           links=links.of_instance(instance_id),
                           documents=documents.named(case.started(found) + case.decisions(found)))


def _marked(marks, mark):
    return sorted(element for element, m in marks.items() if m == mark)


@bp.route("/instances/<int:instance_id>/cancel", methods=["POST"])
@access.require(access.OWNERS)
def cancel(instance_id):
    if _confirmed(instance_id):
        try:
            step.cancel_instance(instance_id, g.user, request.form.get("reason", "")[:2000])
        except Invalid as exc:
            flash(f"Nothing was done to instance {instance_id}: {exc.message}.")
        else:
            flash(f"Instance {instance_id} was cancelled.")
    return redirect(url_for("processes.instance", instance_id=instance_id))


def _confirmed(instance_id):
    """Whether the person ticked the box that says what cannot be undone; told so if not."""
    if request.form.get("confirm") == "yes":
        return True
    flash(f"Nothing was done to instance {instance_id}: tick the box to confirm.")
    return False


@bp.route("/instances/<int:instance_id>/migrate", methods=["POST"])
@access.require(access.OWNERS)
def migrate(instance_id):
    if not _confirmed(instance_id):
        return redirect(url_for("processes.instance", instance_id=instance_id))
    try:
        flash(f"Instance {instance_id} now runs version {step.migrate_instance(instance_id, g.user).version.version}.")
    except Conflict as exc:
        flash(" ".join([exc.message] + [f"{d['element']}: {d['message']}." for d in exc.details]))
    except StepFailed as exc:
        flash(f"It moved, then failed: {exc.message}")
    return redirect(url_for("processes.instance", instance_id=instance_id))


@bp.route("/incidents/<int:incident_id>/<any(retry, resolve):action>", methods=["POST"])
@access.require(access.OWNERS)
def incident(incident_id, action):
    """Retry a failed element, or resolve its incident by hand with a comment."""
    instance_id = incidents.get(incident_id).instance_id
    comment = request.form.get("comment", "").strip()
    try:
        if action == "retry":
            step.retry_incident(incident_id, g.user)
            flash(f"{incidents.get(incident_id).element_name or 'The element'} went through; the instance runs on.")
        elif not comment:
            flash("Say why the incident may be closed: the comment goes into the evidence.")
        else:
            step.resolve_incident(incident_id, g.user, comment[:2000])
            flash(f"Incident {incident_id} was resolved by hand.")
    except StepFailed as exc:
        flash(f"It failed again: {exc.message}")
    except Conflict as exc:
        flash(exc.message)
    return redirect(url_for("processes.instance", instance_id=instance_id))
