"""Personal documents: a file field marked x-pii holds a person's document (a passport scan). The record
keeps its SHA-256, its name stays beside the record, and erasing the person erases the file from the
store and from packs made afterwards, while every chain still verifies and a download says 410."""
import io
import json
import zipfile

from click.testing import CliRunner
from helpers import CAMUNDA, bpmn, flow, form, pdf, signed_in

from a10flow.cli import main
from a10flow.models import Document, db

FIELDS = {"contact_email": {"type": "string", "x-pii": True},
          "passport": {"type": "string", "format": "binary", "x-accept": ["application/pdf"], "x-pii": True},
          "dpa": {"type": "string", "format": "binary", "x-accept": ["application/pdf"]}}


def _identified(as_):
    """Alice records the supplier's signatory: her e-mail, her passport (personal) and the DPA (not)."""
    body = ('<bpmn:startEvent id="s"/><bpmn:userTask id="identify" name="Identify the signatory" '
            'camunda:candidateGroups="procurement"/><bpmn:endEvent id="e"/>'
            + flow("s", "identify", 1) + flow("identify", "e", 2))
    assert as_["owner"].deploy(bpmn(body, process="kyc", ns=CAMUNDA), form("identify", **FIELDS)).status_code == 201
    started = as_["alice"].post("/api/v1/instances", json={"process": "kyc"}).json
    task_id = started["open_tasks"][0]["id"]
    given = {field: as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field={field}", data={
        "file": (io.BytesIO(pdf(text)), name)}).json
        for field, text, name in (("passport", "Passport of Anna Smith", "Anna Smith passport.pdf"),
                                  ("dpa", "Data processing agreement", "DPA.pdf"))}
    done = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {
        "contact_email": "anna@acme.example", "passport": given["passport"]["document"],
        "dpa": given["dpa"]["document"]}})
    assert done.status_code == 200, done.json
    return started["id"], given


def _completed(as_, instance_id):
    chain = as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
    return next(r for r in chain if r["type"] == "task.completed"), chain


def _pack(as_, instance_id):
    response = as_["auditor"].get(f"/api/v1/evidence/export?instance={instance_id}")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data))


def _verified(as_, pack):
    """The pack checked by the verifier against the service's key."""
    from a10flow.evidence import verifier
    return verifier.verify_pack(pack.fp, trusted_key_id=as_[None].get("/api/v1/evidence/public-key").json["key_id"])


def _stored(app, sha256):
    with app.app_context():
        from a10flow.work.document_store import store
        try:
            with store().open(sha256) as f:
                return f.read()
        except FileNotFoundError:
            return None


def test_a_personal_document_is_kept_by_its_hash_with_its_name_beside_the_record(app, as_):
    instance_id, given = _identified(as_)
    record, _ = _completed(as_, instance_id)
    passport = record["data"]["submitted"]["passport"]
    assert passport["sha256"] == given["passport"]["sha256"] and passport["personal"] is True
    assert set(passport["name"]) == {"pii_sha256"} and "Anna" not in json.dumps(
        {k: v for k, v in record.items() if k != "personal"})
    assert record["personal"]["/data/submitted/passport/name"] == "Anna Smith passport.pdf"
    assert record["data"]["submitted"]["dpa"]["name"] == "DPA.pdf"   # not personal: as it was
    pack = _pack(as_, instance_id)   # until erased, the pack carries it, its name left out as in the record
    assert pack.read(f"documents/{passport['sha256']}") == pdf("Passport of Anna Smith")
    listed = {e["pointer"]: e for e in json.loads(pack.read("documents.json"))}
    assert listed["/data/submitted/passport"]["name"] is None and listed["/data/submitted/passport"]["personal"]
    assert "Anna Smith passport.pdf" not in pack.read("report.html").decode()


def test_erasing_the_person_erases_their_document_and_the_chain_still_verifies(app, as_, monkeypatch, tmp_path):
    monkeypatch.setenv("A10FLOW_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    instance_id, given = _identified(as_)
    assert as_["owner"].post("/api/v1/evidence/checkpoints").json["created"]
    before, _ = _completed(as_, instance_id)
    passport, dpa = given["passport"], given["dpa"]

    erased = CliRunner().invoke(main, ["evidence", "erase-subject", "anna@acme.example", "--yes"])
    assert erased.exit_code == 0 and "erased 2 personal value(s)" in erased.output, erased.output

    assert _stored(app, passport["sha256"]) is None and _stored(app, dpa["sha256"]) == pdf("Data processing agreement")
    after, chain = _completed(as_, instance_id)
    assert after["hash"] == before["hash"] and after["data"]["submitted"]["passport"]["sha256"] == passport["sha256"]
    assert after["personal"]["/data/submitted/passport/name"] is None
    [note] = [r for r in chain if r["type"] == "personal_data.erased"]
    assert note["data"]["documents"] == [{"seq": after["seq"], "pointer": "/data/submitted/passport"}]
    assert "Anna" not in json.dumps(note)
    assert as_["auditor"].get("/api/v1/evidence/verify").json["ok"]
    with app.app_context():
        row = db.session.get(Document, passport["document"])
        assert row.erased_at is not None and "Anna" not in row.name

    gone = as_["bob"].get(f"/api/v1/documents/{passport['document']}")
    assert gone.status_code == 410 and "erased" in gone.json["error"]["message"]
    bob = signed_in(app, "bob")
    assert bob.get(f"/documents/{passport['document']}").status_code == 410
    case = bob.get(f"/instances/{instance_id}").text
    listed = case[case.index('<section class="documents">'):]
    listed = listed[:listed.index("</section>")]
    assert "A personal document, erased" in listed and "Anna Smith passport.pdf" not in listed
    assert f"/documents/{passport['document']}" not in listed and f"/documents/{dpa['document']}" in listed
    assert bob.get(f"/documents/{dpa['document']}").status_code == 200

    pack = _pack(as_, instance_id)   # made afterwards: without it, saying why; and it verifies
    assert f"documents/{passport['sha256']}" not in pack.namelist() and f"documents/{dpa['sha256']}" in pack.namelist()
    listed = {e["pointer"]: e for e in json.loads(pack.read("documents.json"))}
    assert listed["/data/submitted/passport"]["left_out"] == "erased"
    report = _verified(as_, pack)
    assert report.ok, report.as_dict()


def test_a_document_whose_bytes_are_lost_answers_410_and_its_pack_does_not_verify(app, as_, tmp_path):
    instance_id, given = _identified(as_)
    with app.app_context():
        from a10flow.work.document_store import store
        store().erase(given["dpa"]["sha256"])   # as a restore without the document folder would leave it
    gone = as_["bob"].get(f"/api/v1/documents/{given['dpa']['document']}")
    assert gone.status_code == 410 and "no longer in the document store" in gone.json["error"]["message"]
    as_["owner"].post("/api/v1/evidence/checkpoints")
    response = as_["auditor"].get(f"/api/v1/evidence/export?instance={instance_id}")
    assert response.status_code == 200
    (tmp_path / "pack.zip").write_bytes(response.data)
    from a10flow.evidence import verifier
    report = verifier.verify_pack(tmp_path / "pack.zip", trusted_key_id=as_[None].get(
        "/api/v1/evidence/public-key").json["key_id"])
    assert not report.ok and report.problems[0].kind == "document_missing" and "DPA.pdf" in report.problems[0].message
