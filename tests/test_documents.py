"""Documents as evidence: procurement attaches the supplier's signed DPA to a task, on the page or
through the API; a colleague who may see the case downloads it, someone who may not is told
nothing; the evidence keeps what the file is and its SHA-256, never its bytes; bad files are
refused in words naming the field, and nothing of them is kept."""
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from helpers import CAMUNDA, bpmn, flow, form, pdf, set_passwords, signed_in
from pages import person, shot
from playwright.sync_api import expect

from a10flow.models import Document, db

PDF_FIELD = {"type": "string", "format": "binary", "title": "Signed DPA", "x-accept": ["application/pdf"],
             "x-max-bytes": 50_000}


def _process(as_, **extra):
    """A process whose one task, for procurement, asks for the signed DPA (and, here, ``extra`` fields)."""
    body = ('<bpmn:startEvent id="s"/><bpmn:userTask id="attach_dpa" name="Attach the signed DPA" '
            'camunda:candidateGroups="procurement"/><bpmn:endEvent id="e"/>'
            + flow("s", "attach_dpa", 1) + flow("attach_dpa", "e", 2))
    fields = {"dpa": PDF_FIELD, "annexes": {"type": "array", "items": {"type": "string", "format": "binary"}},
              "notes": {"type": "string"}, **extra}
    deployed = as_["owner"].deploy(bpmn(body, process="dpa", ns=CAMUNDA), form("attach_dpa", ["dpa"], **fields))
    assert deployed.status_code == 201, deployed.json
    started = as_["alice"].post("/api/v1/instances", json={"process": "dpa", "business_key": "ACME"}).json
    return started["id"], started["open_tasks"][0]["id"]


def _kept(app):
    with app.app_context():
        return db.session.scalars(db.select(Document)).all()


def _stored(app):
    """The files in the document store."""
    return sorted(Path(app.config["A10FLOW_DOCUMENTS_DIR"]).glob("*/*"))


def _record(as_, instance_id):
    chain = as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
    return next(r for r in chain if r["type"] == "task.completed")


def _download_is_safe(response, content, name):
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Disposition"].startswith("attachment") and name in \
        response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.mimetype == "application/pdf"


def test_the_signed_dpa_given_on_the_task_page_is_evidence_by_hash_and_a_colleague_downloads_it(app, as_):
    instance_id, task_id = _process(as_)
    signed = pdf()
    alice = signed_in(app, "alice")
    page = alice.get(f"/tasks/{task_id}").text
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page and 'accept="application/pdf"' in page
    done = alice.post(f"/tasks/{task_id}", {"action": "complete", "notes": "countersigned",
                                            "dpa": (io.BytesIO(signed), "ACME DPA 2026.pdf")})
    assert done.status_code == 302, done.text

    record = _record(as_, instance_id)
    sha256 = hashlib.sha256(signed).hexdigest()
    given = record["data"]["submitted"]["dpa"]
    assert {k: v for k, v in given.items() if k != "document"} == {
        "name": "ACME DPA 2026.pdf", "media_type": "application/pdf", "size": len(signed), "sha256": sha256,
        "version": 1}   # the first DPA of this case
    assert "Data processing agreement" not in json.dumps(record)   # what the file is, never its bytes
    [document] = _kept(app)
    assert (document.sha256, document.given_by, document.task_id) == (sha256, "alice", task_id)
    [stored] = _stored(app)
    assert stored.name == sha256 and stored.read_bytes() == signed

    bob = signed_in(app, "bob")   # procurement too: he may see the case
    case = bob.get(f"/instances/{instance_id}").text
    assert "ACME DPA 2026.pdf" in case and f"/documents/{given['document']}" in case
    assert f"/documents/{given['document']}" in bob.get(f"/tasks/{task_id}").text
    _download_is_safe(bob.get(f"/documents/{given['document']}"), signed, "ACME")
    assert signed_in(app, "sam").get(f"/documents/{given['document']}").status_code == 404   # security: not his


def test_through_the_api_a_file_is_given_first_and_the_completion_names_it(app, as_):
    instance_id, task_id = _process(as_)
    signed, annex = pdf(), pdf("Annex 1: sub-processors")
    given = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field=dpa",
                              data={"file": (io.BytesIO(signed), "dpa.pdf")})
    assert given.status_code == 201, given.json
    assert given.json["sha256"] == hashlib.sha256(signed).hexdigest() and given.json["media_type"] == "application/pdf"
    other = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field=annexes",
                              data={"file": (io.BytesIO(annex), "annex.pdf")}).json

    wrong_field = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"dpa": other["document"]}})
    assert wrong_field.status_code == 422 and wrong_field.json["error"]["details"][0]["field"] == "dpa"
    done = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete",
                             json={"data": {"dpa": given.json["document"], "annexes": [other["document"]]}})
    assert done.status_code == 200, done.json
    submitted = _record(as_, instance_id)["data"]["submitted"]
    assert submitted["dpa"] == {**given.json, "version": 1} and submitted["annexes"] == [{**other, "version": 1}]

    _download_is_safe(as_["bob"].get(f"/api/v1/documents/{given.json['document']}"), signed, "dpa.pdf")
    assert as_["auditor"].get(f"/api/v1/documents/{other['document']}").data == annex
    assert as_["sam"].get(f"/api/v1/documents/{given.json['document']}").status_code == 404
    spec = as_[None].get("/api/v1/openapi.json").json["paths"]["/api/v1/tasks/{task_id}/documents"]["post"]
    assert "multipart/form-data" in spec["requestBody"]["content"]


def test_a_pdf_with_javascript_is_kept_but_only_ever_downloaded(app, as_):
    _, task_id = _process(as_)
    scripted = pdf(extra=b"6 0 obj\n<< /S /JavaScript /JS (app.alert('hi')) >>\nendobj\n")
    given = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field=dpa",
                              data={"file": (io.BytesIO(scripted), "dpa.pdf")})
    assert given.status_code == 201
    _download_is_safe(as_["alice"].get(f"/api/v1/documents/{given.json['document']}"), scripted, "dpa.pdf")


def _bomb():
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (65 * 2**20))
    return packed.getvalue()


def _zip_behind_pdf():
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return pdf() + packed.getvalue()


BAD = [   # (what, field, name, content, status, words the refusal says)
    ("too big for the field", "dpa", "dpa.pdf", pdf() + b"%" * 60_000, 413, "at most 50,000 bytes"),
    ("an HTML page behind a .pdf name", "dpa", "dpa.pdf", b"<!doctype html><html><body><script>x()</script>",
     422, "this file is text/html, not a PDF"),
    ("an SVG image for a PDF field", "dpa", "dpa.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
     422, "not a PDF"),
    ("a text file named .pdf", "dpa", "dpa.pdf", b"just some words\n", 422, "this file is plain text, not a PDF"),
    ("a PDF named .html", "dpa", "dpa.html", pdf(), 422, "the file's name says text/html"),
    ("a PDF that is a ZIP as well", "dpa", "dpa.pdf", _zip_behind_pdf(), 422, "a ZIP archive at once"),
    ("a PDF with a web page inside", "dpa", "dpa.pdf", pdf(extra=b"% <html><script>x()</script>\n"), 422,
     "with a web page inside"),
    ("a zip bomb", "bundle", "bundle.zip", _bomb(), 422, "an archive bomb is refused"),
    ("a name with ../", "dpa", "../../etc/dpa.pdf", pdf(), 422, "holds a path"),
    ("a name with NUL", "dpa", "dpa\0.pdf", pdf(), 422, "control character"),
    ("a name of 5,000 characters", "dpa", "a" * 4996 + ".pdf", pdf(), 422, "5,000 characters long"),
    ("a field the form does not have", "contract", "dpa.pdf", pdf(), 422, "this form has no such file field"),
]


@pytest.mark.parametrize("what, field, name, content, status, words", BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_is_refused_in_words_naming_the_field_and_nothing_is_kept(app, as_, what, field, name, content,
                                                                             status, words):
    instance_id, task_id = _process(as_, bundle={"type": "string", "format": "binary",
                                                 "x-accept": ["application/zip"]})
    refused = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field={field}",
                                data={"file": (io.BytesIO(content), name)})
    assert refused.status_code == status, refused.json
    assert words in refused.json["error"]["message"] and refused.json["error"]["message"].startswith(field)
    assert refused.json["error"]["details"][0]["field"] == field
    assert _kept(app) == [] and _stored(app) == []


class _Unreadable(io.BytesIO):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readinto = readline = read


def test_too_big_is_refused_before_the_body_is_read_and_on_the_page_too(app, as_):
    instance_id, task_id = _process(as_)
    unread = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field=dpa", input_stream=_Unreadable(),
                               environ_overrides={"CONTENT_LENGTH": "900000"},
                               content_type="multipart/form-data; boundary=b")
    assert unread.status_code == 413, unread.json
    assert unread.json["error"]["details"][0]["field"] == "dpa"
    alice = signed_in(app, "alice")
    page = alice.post(f"/tasks/{task_id}", {"action": "complete", "dpa": (io.BytesIO(b"<html></html>"), "dpa.pdf")})
    assert page.status_code == 422 and "this file is text/html, not a PDF" in page.text
    assert _kept(app) == []


def test_nothing_is_given_to_a_task_that_is_done_or_not_theirs(app, as_):
    _, task_id = _process(as_)
    given = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field=dpa",
                              data={"file": (io.BytesIO(pdf()), "dpa.pdf")}).json
    assert as_["sam"].post(f"/api/v1/tasks/{task_id}/documents?field=dpa",
                           data={"file": (io.BytesIO(pdf()), "dpa.pdf")}).status_code == 404
    assert as_["auditor"].post(f"/api/v1/tasks/{task_id}/documents?field=dpa",
                               data={"file": (io.BytesIO(pdf()), "dpa.pdf")}).status_code == 403
    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/complete",
                             json={"data": {"dpa": given["document"]}}).status_code == 200
    late = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field=dpa",
                             data={"file": (io.BytesIO(pdf("v2")), "dpa.pdf")})
    assert late.status_code == 409 and late.json["error"]["details"][0]["field"] == "dpa"
    assert len(_kept(app)) == 1


@pytest.mark.parametrize("field, words", [
    ({"type": "string", "format": "binary", "x-accept": ["text/html"]}, "must be among"),
    ({"type": "string", "contentMediaType": "image/svg+xml"}, "must be among"),
    ({"type": "string", "format": "binary", "x-max-bytes": "10 MB"}, "x-max-bytes must be a whole number"),
    ({"type": "number", "x-accept": ["application/pdf"]}, "belong to a file field"),
    ({"type": "string", "format": "date", "x-dates": ["expires"]}, "belong to a file field"),
    ({"type": "string", "format": "binary", "x-dates": ["expiry"]}, "x-dates lists the dates"),
    ({"type": "string", "format": "binary", "x-dates": "expires"}, "x-dates lists the dates"),
    ({"type": "array", "items": {"type": "object", "properties": {"checks": {"type": "array", "items": {
        "type": "object", "properties": {"scan": {"type": "string", "format": "binary"}}}}}}},
     "must be a property of the form itself or of the rows of a table there"),
    ({"type": "object", "properties": {"scan": {"type": "string", "format": "binary"}}},
     "must be a property of the form itself or of the rows of a table there"),
])
def test_a_form_whose_file_field_a10flow_cannot_check_is_refused_at_deploy(as_, field, words):
    body = '<bpmn:startEvent id="s"/><bpmn:userTask id="t"/>' + flow("s", "t", 1)
    refused = as_["owner"].deploy(bpmn(body, process="f"), form("t", scan=field))
    assert refused.status_code == 422 and words in json.dumps(refused.json), refused.json


def test_in_a_browser_alice_attaches_the_signed_dpa_and_bob_downloads_it(app, as_, server, browser, tmp_path):
    instance_id, task_id = _process(as_)
    set_passwords(app, "alice", "bob")
    signed = tmp_path / "ACME DPA.pdf"
    signed.write_bytes(pdf())
    alice = person(browser, server, "alice", "alice-secret")
    alice.goto(f"{server}/tasks/{task_id}")
    alice.get_by_label("Signed DPA").set_input_files(signed)
    shot(alice, "task-with-a-file-field")
    alice.get_by_role("button", name="Complete").click()
    expect(alice.get_by_role("status")).to_contain_text("Done: Attach the signed DPA")

    bob = person(browser, server, "bob", "bob-secret")
    bob.goto(f"{server}/instances/{instance_id}")
    expect(bob.get_by_role("heading", name="Documents")).to_be_visible()
    shot(bob, "instance-with-a-document")
    with bob.expect_download() as downloading:
        bob.get_by_role("link", name="ACME DPA.pdf").click()
    assert downloading.value.suggested_filename == "ACME DPA.pdf"
    assert Path(downloading.value.path()).read_bytes() == signed.read_bytes()


def test_a_file_field_on_a_message_s_form_is_refused_at_deploy_for_a_message_carries_no_file(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "wait", 1) + '<bpmn:intermediateCatchEvent id="wait">'
            '<bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>' + flow("wait", "e", 2) +
            '<bpmn:endEvent id="e"/>')
    refused = as_["owner"].deploy(bpmn(body, process="f", extra='<bpmn:message id="m" name="report"/>'),
                                  form("wait", report={"type": "string", "format": "binary"}))
    assert refused.status_code == 422, refused.json
    [problem] = refused.json["error"]["details"]
    assert problem["element"] == "wait" and "a message cannot carry" in problem["message"]
