"""Documents that will never be evidence are swept: one given but not named when its task was done, and
bytes in the store no document names (their row's transaction rolled back). Only past the window
(A10FLOW_DOCUMENT_ORPHAN_DAYS, on the service's clock), and never what a record names."""
import io
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from helpers import CAMUNDA, bpmn, flow, form, pdf

from a10flow import clock
from a10flow.cli import main
from a10flow.models import Document, db
from a10flow.work import document_store, document_sweep

FIELDS = {"dpa": {"type": "string", "format": "binary", "x-accept": ["application/pdf"]},
          "annexes": {"type": "array", "items": {"type": "string", "format": "binary"}}}


def _tasks(as_, count=1):
    body = ('<bpmn:startEvent id="s"/><bpmn:userTask id="attach_dpa" name="Attach the signed DPA" '
            'camunda:candidateGroups="procurement"/><bpmn:endEvent id="e"/>'
            + flow("s", "attach_dpa", 1) + flow("attach_dpa", "e", 2))
    assert as_["owner"].deploy(bpmn(body, process="dpa", ns=CAMUNDA), form("attach_dpa", **FIELDS)).status_code == 201
    return [as_["alice"].post("/api/v1/instances", json={"process": "dpa"}).json["open_tasks"][0]["id"]
            for _ in range(count)]


def _give(as_, task_id, content, field="dpa"):
    given = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field={field}",
                              data={"file": (io.BytesIO(content), "dpa.pdf")})
    assert given.status_code == 201, given.json
    return given.json


def _kept(app):
    """What the store and the documents table hold: ({sha256}, {document id})."""
    with app.app_context():
        return ({sha for sha, _ in document_store.store().kept()},
                set(db.session.scalars(db.select(Document.id))))


def _sweep(app, days_on):
    clock.set(datetime.now(timezone.utc) + timedelta(days=days_on))
    try:
        with app.app_context():
            return document_sweep.sweep()
    finally:
        clock.set(None)


def test_a_document_not_named_when_its_task_was_done_is_swept_after_the_window(app, as_):
    first, still_open = _tasks(as_, 2)
    draft, signed, shared = pdf("draft"), pdf("signed"), pdf("the same annex")
    replaced = _give(as_, first, draft)   # given, then replaced by the signed one before completing
    named = _give(as_, first, signed)
    annex = _give(as_, first, shared, "annexes")
    again = _give(as_, first, shared, "annexes")   # the same bytes twice: one row named, one not
    waiting = _give(as_, still_open, pdf("not yet done"))
    assert as_["alice"].post(f"/api/v1/tasks/{first}/complete", json={"data": {
        "dpa": named["document"], "annexes": [annex["document"]]}}).status_code == 200

    assert _sweep(app, 6) == {"documents": 0, "files": 0}   # inside the window: all kept
    assert _sweep(app, 8) == {"documents": 2, "files": 1}
    shas, ids = _kept(app)
    assert ids == {named["document"], annex["document"], waiting["document"]}   # its task may still name it
    assert shas == {named["sha256"], annex["sha256"], waiting["sha256"]} and replaced["sha256"] not in shas
    assert again["sha256"] in shas   # another document names the same bytes
    assert as_["bob"].get(f"/api/v1/documents/{named['document']}").data == signed
    assert as_["auditor"].get("/api/v1/evidence/verify").json["ok"]


def test_bytes_no_document_names_are_swept_but_never_those_a_record_names(app, as_, monkeypatch):
    [task_id] = _tasks(as_)
    named = _give(as_, task_id, pdf("signed"))
    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"dpa": named["document"]}}
                             ).status_code == 200
    with app.app_context():
        leftover = document_store.store().put(b"bytes whose row was rolled back")
        with db.session.begin():   # a row deleted by hand: the record still names its bytes
            db.session.delete(db.session.get(Document, named["document"]))
    assert _sweep(app, 1) == {"documents": 0, "files": 0}
    monkeypatch.setenv("A10FLOW_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    clock.set(datetime.now(timezone.utc) + timedelta(days=8))
    try:
        swept = CliRunner().invoke(main, ["documents", "sweep"])
    finally:
        clock.set(None)
    assert swept.exit_code == 0 and "swept 0 document(s) never named and 1 file(s)" in swept.output, swept.output
    shas, _ = _kept(app)
    assert shas == {named["sha256"]} and leftover not in shas


def test_a_completion_that_fails_leaves_its_documents_unnamed_and_the_scheduler_sweeps_them(app, as_):
    [task_id] = _tasks(as_)
    given = _give(as_, task_id, pdf("signed"))
    refused = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {
        "dpa": given["document"], "annexes": ["no-such-document"]}})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] == "annexes"
    with app.app_context():
        assert db.session.get(Document, given["document"]).attached_at is None   # rolled back with the step
    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 200

    from a10flow.scheduler import DOCUMENT_SWEEP_JOB_ID, Scheduler
    app.config["A10FLOW_DOCUMENT_SWEEP_HOURS"] = 6
    scheduler = Scheduler(app)   # not started: sweep_documents() is what its job runs
    assert scheduler.aps.get_job(DOCUMENT_SWEEP_JOB_ID).trigger.interval == timedelta(hours=6)
    clock.set(datetime.now(timezone.utc) + timedelta(days=8))
    try:
        scheduler.sweep_documents()
    finally:
        clock.set(None)
    assert _kept(app) == (set(), set())
    gone = as_["alice"].get(f"/api/v1/documents/{given['document']}")
    assert gone.status_code == 404
