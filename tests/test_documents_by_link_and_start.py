"""Documents from outside and before the start: a supplier's contact gives the signed DPA and a
certificate per certification (a table's rows) through their link, and sees only their own task's
files; a colleague starts a case with its purchase order attached; each file is evidence by hash,
named by the step that used it, and a file no step used is told apart as an orphan."""
import hashlib
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import CAMUNDA, bpmn, flow, form, pdf, set_passwords
from pages import PHONE, add_row, fits, outside_party, person, shot
from playwright.sync_api import expect

from a10flow import clock
from a10flow.errors import Forbidden
from a10flow.models import Document, ExternalLink, HumanTask, db
from a10flow.work import document_sweep, documents

PDF = {"type": "string", "format": "binary", "x-accept": ["application/pdf"], "x-max-bytes": 50_000}
CERTIFICATIONS = {"type": "array", "title": "Certifications", "items": {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "title": "Certification"},
    "certificate": PDF | {"title": "Certificate"},
    "expires": {"type": "string", "format": "date", "title": "Expires"}}}}
SUPPLIER_FORM = form("supplier_evidence", dpa=PDF | {"title": "Signed DPA"}, certifications=CERTIFICATIONS)
START_FORM = form("start", purchase_order=PDF | {"title": "Purchase order"}, notes={"type": "string"})
OUTSIDE = ('<bpmn:extensionElements><camunda:properties><camunda:property name="externalParty" value="None"/>'
           '</camunda:properties></bpmn:extensionElements>')
BODY = ('<bpmn:startEvent id="start"/><bpmn:userTask id="supplier_evidence" name="Send your evidence" '
        f'camunda:candidateGroups="procurement">{OUTSIDE}</bpmn:userTask><bpmn:endEvent id="e"/>'
        + flow("start", "supplier_evidence", 1) + flow("supplier_evidence", "e", 2))


@pytest.fixture
def deployed(as_):
    """The supplier evidence process: a start form with a file, a task for the supplier with files in rows."""
    made = as_["owner"].deploy(bpmn(BODY, process="evidence", ns=CAMUNDA), SUPPLIER_FORM, START_FORM)
    assert made.status_code == 201, made.json   # a file in a table's rows, on a start form, for a link: all deploy


def _case(as_, party="anna@acme.example"):
    """A started case and a link for its supplier task: ``(instance id, task id, link id, token)``."""
    started = as_["alice"].post("/api/v1/instances", json={"process": "evidence", "business_key": "ACME"}).json
    task_id = started["open_tasks"][0]["id"]
    link = as_["alice"].post(f"/api/v1/tasks/{task_id}/links", json={"party": party}).json
    return started["id"], task_id, link["id"], link["path"].rsplit("/", 1)[1]


def _give(as_, token, field, content=None, name="file.pdf"):
    return as_[None].post(f"/api/v1/external/{token}/documents?field={field}",
                          data={"file": (io.BytesIO(content if content is not None else pdf()), name)})


def _kept(app):
    with app.app_context():
        return db.session.scalars(db.select(Document).order_by(Document.given_at)).all()


def _stored(app):
    return sorted(Path(app.config["A10FLOW_DOCUMENTS_DIR"]).glob("*/*"))


def _completed(as_, instance_id):
    chain = as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
    return next(r for r in chain if r["type"] == "task.completed")


def test_through_the_link_api_the_supplier_gives_the_dpa_and_a_certificate_per_row(app, as_, deployed):
    instance_id, task_id, link_id, token = _case(as_)
    dpa, iso = pdf("DPA signed by Acme"), pdf("ISO/IEC 27001 certificate")
    given = _give(as_, token, "dpa", dpa, "dpa.pdf")
    assert given.status_code == 201, given.json
    in_row = _give(as_, token, "certifications/0/certificate", iso, "iso27001.pdf")
    assert in_row.status_code == 201 and in_row.json["sha256"] == hashlib.sha256(iso).hexdigest()
    [first, second] = _kept(app)
    # Given under the link's authority, named as evidence names the link's holder; not yet part of the case.
    assert (second.given_by, second.field, second.task_id) == (f"external party (link {link_id})",
                                                               "certifications/0/certificate", task_id)
    assert first.attached_at is None and second.attached_at is None

    done = as_[None].post(f"/api/v1/external/{token}", json={"data": {
        "dpa": given.json["document"],
        "certifications": [{"name": "ISO/IEC 27001", "certificate": in_row.json["document"], "expires": "2028-01-31"}]}})
    assert done.status_code == 200, done.json
    submitted = _completed(as_, instance_id)["data"]["submitted"]
    assert submitted["dpa"] == given.json | {"version": 1}
    assert submitted["certifications"][0]["certificate"] == in_row.json | {"version": 1}
    assert all(d.attached_at is not None for d in _kept(app))
    fetched = as_["bob"].get(f"/api/v1/documents/{in_row.json['document']}")   # a colleague who sees the case
    assert fetched.status_code == 200 and fetched.data == iso
    spec = as_[None].get("/api/v1/openapi.json").json["paths"]
    assert "multipart/form-data" in spec["/api/v1/external/{token}/documents"]["post"]["requestBody"]["content"]
    assert "certifications/0/certificate" in str(spec["/api/v1/external/{token}/documents"]["post"]["parameters"])


def test_one_link_neither_uses_nor_sees_another_link_s_files_and_a_done_task_takes_none(app, as_, deployed):
    _, task_a, _, token_a = _case(as_, "anna@acme.example")
    _, task_b, _, token_b = _case(as_, "ben@globex.example")
    own = _give(as_, token_a, "dpa", pdf("Acme's"), "acme.pdf").json
    other = _give(as_, token_b, "dpa", pdf("Globex's"), "globex.pdf").json

    assert as_[None].get(f"/api/v1/external/{token_a}/documents/{own['document']}").data == pdf("Acme's")
    assert as_[None].get(f"/api/v1/external/{token_a}/documents/{other['document']}").status_code == 404
    assert as_[None].get(f"/x/{token_a}/documents/{other['document']}").status_code == 404
    assert as_[None].get(f"/api/v1/documents/{own['document']}").status_code == 401   # a link is no sign-in
    assert as_[None].post(f"/api/v1/tasks/{task_b}/documents?field=dpa",
                          data={"file": (io.BytesIO(pdf()), "x.pdf")}).status_code == 401
    with app.app_context():   # the rule itself, whatever route calls it: a link gives for its own task only
        task, link = db.session.get(HumanTask, task_b), db.session.scalar(db.select(ExternalLink).where(
            ExternalLink.task_id == task_a))
        with pytest.raises(Forbidden, match="^dpa: this link is for another task"):
            documents.receive(task, "dpa", "x.pdf", pdf(), link)

    named_other = as_[None].post(f"/api/v1/external/{token_a}", json={"data": {"dpa": other["document"]}})
    assert named_other.status_code == 422 and named_other.json["error"]["details"][0]["field"] == "dpa"
    misplaced = as_[None].post(f"/api/v1/external/{token_a}", json={"data": {   # the DPA is no row's certificate
        "certifications": [{"name": "SOC 2", "certificate": own["document"]}]}})
    assert misplaced.status_code == 422
    assert misplaced.json["error"]["details"][0]["field"] == "certifications/0/certificate"

    assert as_[None].post(f"/api/v1/external/{token_a}", json={"data": {"dpa": own["document"]}}).status_code == 200
    before = (len(_kept(app)), _stored(app))
    late = _give(as_, token_a, "certifications/0/certificate", pdf("late"))
    assert late.status_code == 410 and late.json["error"]["message"].startswith("certifications/0/certificate: ")
    assert late.json["error"]["details"][0]["field"] == "certifications/0/certificate"
    assert (len(_kept(app)), _stored(app)) == before
    assert as_[None].get(f"/api/v1/external/{token_a}/documents/{own['document']}").status_code == 410


@pytest.mark.parametrize("field, name, content, status, words", [
    ("certifications/0/certificate", "cert.pdf", b"just words\n", 422, "this file is plain text, not a PDF"),
    ("certifications/0/certificate", "cert.pdf", pdf() + b"%" * 60_000, 413, "at most 50,000 bytes"),
    ("certifications/0/certificate", "../../cert.pdf", pdf(), 422, "holds a path"),
    ("certifications/x/certificate", "cert.pdf", pdf(), 422, "this form has no such file field"),
    ("certifications/*/certificate", "cert.pdf", pdf(), 422, "this form has no such file field"),
    ("certifications/0/name", "cert.pdf", pdf(), 422, "this form has no such file field"),
], ids=["wrong type", "too big", "a path", "no row number", "no row at all", "no file field"])
def test_a_bad_file_through_a_link_is_refused_naming_its_field_and_nothing_is_kept(app, as_, deployed, field, name,
                                                                                   content, status, words):
    _, _, _, token = _case(as_)
    refused = _give(as_, token, field, content, name)
    assert refused.status_code == status and words in refused.json["error"]["message"], refused.json
    assert refused.json["error"]["details"][0]["field"] == field
    assert _kept(app) == [] and _stored(app) == []


def test_on_the_link_page_a_certificate_chosen_before_adding_a_row_is_kept(app, as_, deployed):
    instance_id, _, _, token = _case(as_)
    page = as_[None].get(f"/x/{token}").text
    assert 'enctype="multipart/form-data"' in page
    added = as_[None].post(f"/x/{token}", data={"action": "add:certifications"}).text
    assert 'name="certifications/0/certificate"' in added and 'type="file"' in added
    again = as_[None].post(f"/x/{token}", data={"action": "add:certifications", "certifications/0/_row": "1",
                                                "certifications/0/name": "ISO/IEC 27001",
                                                "certifications/0/certificate": (io.BytesIO(pdf()), "iso.pdf")})
    assert again.status_code == 200 and "1 file received" in again.text and 'name="certifications/1/name"' in again.text
    [kept] = _kept(app)
    assert f'name="certifications/0/certificate" value="{kept.id}"' in again.text
    done = as_[None].post(f"/x/{token}", data={"action": "submit", "certifications/0/_row": "1",
                                               "certifications/0/name": "ISO/IEC 27001",
                                               "certifications/0/certificate": kept.id})
    assert done.status_code == 200, done.text
    assert _completed(as_, instance_id)["data"]["submitted"]["certifications"][0]["certificate"]["name"] == "iso.pdf"


def test_a_start_form_takes_a_file_given_before_the_instance_exists(app, as_, deployed):
    order = pdf("Purchase order 4711")
    given = as_["alice"].post("/api/v1/instances/documents?process=evidence&field=purchase_order",
                              data={"file": (io.BytesIO(order), "PO-4711.pdf")})
    assert given.status_code == 201, given.json
    [pending] = _kept(app)
    assert (pending.instance_id, pending.task_id, pending.given_by, pending.attached_at) == (None, None, "alice", None)
    assert as_["alice"].get(f"/api/v1/documents/{given.json['document']}").status_code == 404   # in no case yet

    not_his = as_["bob"].post("/api/v1/instances", json={"process": "evidence",
                                                         "data": {"purchase_order": given.json["document"]}})
    assert not_his.status_code == 422 and not_his.json["error"]["details"][0]["field"] == "purchase_order"
    started = as_["alice"].post("/api/v1/instances", json={"process": "evidence",
                                                           "data": {"purchase_order": given.json["document"]}})
    assert started.status_code == 201, started.json
    assert started.json["data"]["purchase_order"] == given.json | {"version": 1}
    [kept] = _kept(app)
    assert kept.instance_id == started.json["id"] and kept.attached_at is not None and kept.task_id is None
    assert as_["bob"].get(f"/api/v1/documents/{kept.id}").data == order
    again = as_["alice"].post("/api/v1/instances", json={"process": "evidence",
                                                         "data": {"purchase_order": given.json["document"]}})
    assert again.status_code == 422   # one start's file, not every start's

    unused = as_["alice"].post("/api/v1/instances/documents?process=evidence&field=purchase_order",
                               data={"file": (io.BytesIO(pdf("never used")), "draft.pdf")}).json
    orphans = [d.id for d in _kept(app) if d.attached_at is None]
    assert orphans == [unused["document"]]   # what a sweep of orphans finds
    refused = as_["auditor"].post("/api/v1/instances/documents?process=evidence&field=purchase_order",
                                  data={"file": (io.BytesIO(pdf()), "po.pdf")})
    assert refused.status_code == 403 and len(_kept(app)) == 2
    bad = as_["alice"].post("/api/v1/instances/documents?process=evidence&field=purchase_order",
                            data={"file": (io.BytesIO(b"<html><script>x()</script>"), "po.pdf")})
    assert bad.status_code == 422 and bad.json["error"]["message"].startswith("purchase_order: ")

    clock.set(datetime.now(timezone.utc) + timedelta(days=8))   # past A10FLOW_DOCUMENT_ORPHAN_DAYS
    with app.app_context():
        assert document_sweep.sweep()["documents"] == 1
    assert [d.id for d in _kept(app)] == [kept.id]   # the file no start named is swept, the case's stays


def test_on_a_phone_the_supplier_gives_a_certificate_on_their_link_page_and_a_colleague_downloads_it(
        app, as_, deployed, server, browser, tmp_path):
    instance_id, _, _, token = _case(as_)
    set_passwords(app, "bob")
    supplier = outside_party(browser, **PHONE)
    supplier.goto(f"{server}/x/{token}")
    add_row(supplier, "certifications")
    supplier.get_by_label("Certification, row 1").fill("ISO/IEC 27001")
    fits(supplier)
    shot(supplier, "link-page-with-a-file-in-a-row-phone")

    bad = [("a text file named .pdf", {"name": "iso.pdf", "mimeType": "application/pdf", "buffer": b"just words\n"},
            "this file is plain text, not a PDF"),
           ("too big", {"name": "iso.pdf", "mimeType": "application/pdf", "buffer": pdf() + b"%" * 60_000},
            f"the file is {len(pdf()) + 60_000:,} bytes; this field takes at most 50,000 bytes"),
           ("a name with ../", {"name": "../../iso.pdf", "mimeType": "application/pdf", "buffer": pdf()},
            "the file's name holds a path")]
    for what, chosen, words in bad:
        supplier.get_by_label("Certificate, row 1").set_input_files(chosen)
        supplier.get_by_role("button", name="Send").click()
        expect(supplier.get_by_role("alert")).to_contain_text(f"Certificate, row 1: {words}")
        assert _kept(app) == [] and _stored(app) == [], what
    fits(supplier)
    shot(supplier, "link-page-with-a-refused-file-phone")

    certificate = tmp_path / "ISO 27001 certificate.pdf"
    certificate.write_bytes(pdf("ISO/IEC 27001 certificate, Acme Data Ltd"))
    supplier.get_by_label("Certificate, row 1").set_input_files(certificate)
    supplier.get_by_role("button", name="Send").click()
    expect(supplier.get_by_role("heading", name="Thank you")).to_be_visible()
    assert "/x/" in supplier.url and _kept(app)[0].attached_at is not None
    shot(supplier, "link-page-sent-phone")

    bob = person(browser, server, "bob", "bob-secret")
    bob.goto(f"{server}/instances/{instance_id}")
    with bob.expect_download() as downloading:
        bob.get_by_role("link", name="ISO 27001 certificate.pdf").click()
    assert Path(downloading.value.path()).read_bytes() == certificate.read_bytes()


def test_a_name_with_a_path_is_refused_on_the_link_page_naming_the_field(app, as_, deployed):
    # A browser sends a file's name without its folders; a client of the page may send anything.
    _, _, _, token = _case(as_)
    refused = as_[None].post(f"/x/{token}", data={"action": "submit", "dpa": (io.BytesIO(pdf()), "../../dpa.pdf")})
    assert refused.status_code == 422 and "Signed DPA: the file&#39;s name holds a path" in refused.text
    assert _kept(app) == [] and _stored(app) == []


def test_in_a_browser_alice_starts_a_case_with_its_purchase_order(app, as_, deployed, server, browser, tmp_path):
    set_passwords(app, "alice")
    order = tmp_path / "PO-4711.pdf"
    order.write_bytes(pdf("Purchase order 4711"))
    alice = person(browser, server, "alice", "alice-secret")
    alice.goto(f"{server}/start/evidence")
    alice.get_by_label("Purchase order").set_input_files(order)
    shot(alice, "start-form-with-a-file")
    alice.get_by_role("button", name="Start").click()
    expect(alice.get_by_role("status")).to_contain_text("Started")
    [kept] = _kept(app)
    assert kept.instance_id is not None and kept.attached_at is not None and kept.given_by == "alice"
    alice.goto(f"{server}/instances/{kept.instance_id}")
    with alice.expect_download() as downloading:
        alice.get_by_role("link", name="PO-4711.pdf").click()
    assert Path(downloading.value.path()).read_bytes() == order.read_bytes()


def test_on_a_task_page_each_row_of_a_table_takes_its_own_file(app, as_, deployed):
    from helpers import signed_in
    instance_id, task_id, _, _ = _case(as_)
    alice = signed_in(app, "alice")
    rows = {"certifications/0/_row": "1", "certifications/0/name": "ISO/IEC 27001",
            "certifications/1/_row": "1", "certifications/1/name": "SOC 2"}
    page = alice.post(f"/tasks/{task_id}", {"action": "add:certifications", **rows,
                                            "certifications/1/certificate": (io.BytesIO(pdf("SOC 2")), "soc2.pdf")})
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    [soc2] = _kept(app)
    assert soc2.field == "certifications/1/certificate" and soc2.given_by == "alice"
    done = alice.post(f"/tasks/{task_id}", {"action": "complete", **rows, "certifications/1/certificate": soc2.id,
                                            "certifications/0/certificate": (io.BytesIO(pdf("ISO")), "iso.pdf")})
    assert done.status_code == 302, done.text
    given = _completed(as_, instance_id)["data"]["submitted"]["certifications"]
    assert [row["certificate"]["name"] for row in given] == ["iso.pdf", "soc2.pdf"]
