"""Documents in evidence packs: the signed DPA a record names travels in the pack beside the record that
holds its SHA-256, the report lists it, and the pack's own verifier finds a document changed or
taken out; a document larger than the exporter's limit is listed with its hash and where to get it."""
import hashlib
import io
import json
import subprocess
import sys
import zipfile

from click.testing import CliRunner
from helpers import CAMUNDA, bpmn, flow, form, pdf, signed_in

from a10flow.cli import main

PDF_FIELD = {"type": "string", "format": "binary", "title": "Signed DPA", "x-accept": ["application/pdf"]}


def _dpa_given(as_, name="ACME DPA 2026.pdf", content=None):
    """An instance whose task took the signed DPA (``content``), completed by alice; its id and the DPA's description."""
    body = ('<bpmn:startEvent id="s"/><bpmn:userTask id="attach_dpa" name="Attach the signed DPA" '
            'camunda:candidateGroups="procurement"/><bpmn:endEvent id="e"/>'
            + flow("s", "attach_dpa", 1) + flow("attach_dpa", "e", 2))
    assert as_["owner"].deploy(bpmn(body, process="dpa", ns=CAMUNDA),
                               form("attach_dpa", ["dpa"], dpa=PDF_FIELD)).status_code in (200, 201)
    started = as_["alice"].post("/api/v1/instances", json={"process": "dpa", "business_key": "ACME"}).json
    task_id = started["open_tasks"][0]["id"]
    given = as_["alice"].post(f"/api/v1/tasks/{task_id}/documents?field=dpa",
                              data={"file": (io.BytesIO(content or pdf()), name)}).json
    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/complete",
                             json={"data": {"dpa": given["document"]}}).status_code == 200
    assert as_["owner"].post("/api/v1/evidence/checkpoints").json["created"]
    return started["id"], given


def _pack(as_, query):
    response = as_["auditor"].get(f"/api/v1/evidence/export{query}")
    assert response.status_code == 200, response.json
    return response.data


def _verify(tmp_path, as_, pack_bytes):
    """The pack's own verify.py, alone in a folder, against the key the service publishes."""
    folder = tmp_path / "auditor"
    folder.mkdir(exist_ok=True)
    (folder / "pack.zip").write_bytes(pack_bytes)
    (folder / "verify.py").write_bytes(zipfile.ZipFile(io.BytesIO(pack_bytes)).read("verify.py"))
    key_id = as_[None].get("/api/v1/evidence/public-key").json["key_id"]
    done = subprocess.run([sys.executable, "-I", "verify.py", "pack.zip", "--key-id", key_id], cwd=folder,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, json.loads(done.stdout)


def _rezip(pack_bytes, changes, drop=()):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pack_bytes)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if name not in drop:
                dst.writestr(name, changes.get(name, src.read(name)))
    return out.getvalue()


def test_the_pack_carries_the_document_its_record_names_and_the_report_lists_it(app, as_, tmp_path):
    signed = pdf()
    instance_id, given = _dpa_given(as_, content=signed)
    data = _pack(as_, f"?instance={instance_id}")
    pack = zipfile.ZipFile(io.BytesIO(data))
    sha256 = hashlib.sha256(signed).hexdigest()
    assert pack.read(f"documents/{sha256}") == signed
    manifest = json.loads(pack.read("manifest.json"))
    assert manifest["files"][f"documents/{sha256}"] == sha256   # hashed like every file of the pack
    assert manifest["document_max_bytes"] == app.config["A10FLOW_PACK_DOCUMENT_MAX_BYTES"]
    [listed] = json.loads(pack.read("documents.json"))
    record = next(json.loads(line)["record"] for line in pack.read("records.jsonl").splitlines()
                  if json.loads(line)["record"]["type"] == "task.completed")
    assert record["data"]["submitted"]["dpa"]["sha256"] == sha256 == listed["sha256"]
    assert (listed["instance_id"], listed["seq"], listed["pointer"]) == (instance_id, record["seq"],
                                                                           "/data/submitted/dpa")
    assert (listed["file"], listed["left_out"], listed["given_by"], listed["step"]) == (
        f"documents/{sha256}", None, "alice", "Attach the signed DPA")
    report = pack.read("report.html").decode()
    documents = report[report.index('id="documents"'):]
    for shown in ("ACME DPA 2026.pdf", "application/pdf", f"{len(signed):,} bytes", sha256, "alice",
                  "Attach the signed DPA", f"documents/{sha256}"):
        assert shown in documents, shown
    assert pack.read("report.pdf").startswith(b"%PDF")
    code, result = _verify(tmp_path, as_, data)
    assert code == 0 and result["ok"], result


def test_the_verifier_names_a_document_changed_or_taken_out_of_the_pack(as_, tmp_path):
    instance_id, given = _dpa_given(as_)
    data = _pack(as_, f"?instance={instance_id}")
    path = f"documents/{given['sha256']}"

    code, result = _verify(tmp_path, as_, _rezip(data, {path: pdf("Data processing agreement, unsigned")}))
    assert code == 1 and result["first_problem"]["kind"] == "document_changed"
    assert "ACME DPA 2026.pdf" in result["first_problem"]["message"] and result["first_problem"]["instance_id"] == \
        instance_id
    code, result = _verify(tmp_path, as_, _rezip(data, {}, drop={path}))
    assert code == 1 and result["first_problem"]["kind"] == "document_missing"
    assert "ACME DPA 2026.pdf" in result["first_problem"]["message"]
    # Saying it was left out, after the pack was signed, is a change like any other.
    listing = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("documents.json"))
    listing[0].update(file=None, left_out="too_large")
    code, result = _verify(tmp_path, as_, _rezip(data, {"documents.json": json.dumps(listing)}, drop={path}))
    assert code == 1 and not result["ok"]
    code, result = _verify(tmp_path, as_, _rezip(data, {"documents.json": b"[{"}))
    assert code == 1 and result["first_problem"]["kind"] == "file_changed" and "documents.json" in \
        result["first_problem"]["message"]


def test_a_document_over_the_exporters_limit_is_listed_with_its_hash_and_where_to_get_it(app, as_, tmp_path,
                                                                                          monkeypatch):
    instance_id, given = _dpa_given(as_)
    data = _pack(as_, f"?instance={instance_id}&document_max_bytes=100")
    pack = zipfile.ZipFile(io.BytesIO(data))
    assert not any(n.startswith("documents/") for n in pack.namelist())
    [listed] = json.loads(pack.read("documents.json"))
    url = f"{app.config['A10FLOW_BASE_URL']}/documents/{given['document']}"
    assert (listed["left_out"], listed["file"], listed["url"], listed["sha256"]) == ("too_large", None, url,
                                                                                     given["sha256"])
    assert url in pack.read("report.html").decode() and "100 bytes" in listed["why"]
    code, result = _verify(tmp_path, as_, data)
    assert code == 0 and result["ok"], result

    bad = as_["auditor"].get(f"/api/v1/evidence/export?instance={instance_id}&document_max_bytes=-1")
    assert bad.status_code == 422 and "document_max_bytes" in json.dumps(bad.json)
    auditor = signed_in(app, "auditor")
    for nonsense in ("ten", "9" * 5000, "٣"):
        refused = auditor.get(f"/audit/pack?instance={instance_id}&document_max_bytes={nonsense}")
        assert refused.status_code == 422 and "document_max_bytes" in refused.text, nonsense
    huge = as_["auditor"].get(f"/api/v1/evidence/export?instance={instance_id}&document_max_bytes={'9' * 5000}")
    assert huge.status_code == 422
    on_page = auditor.get(f"/audit/pack?instance={instance_id}&document_max_bytes=100")
    assert on_page.status_code == 200
    assert json.loads(zipfile.ZipFile(io.BytesIO(on_page.data)).read("documents.json"))[0]["left_out"] == "too_large"

    monkeypatch.setenv("A10FLOW_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    out = tmp_path / "cli.zip"
    made = CliRunner().invoke(main, ["evidence", "export", "--instance", str(instance_id), "--document-max-bytes",
                                     "0", "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["document_max_bytes"] == 0
    refused = CliRunner().invoke(main, ["evidence", "export", "--document-max-bytes", "-5", "-o", str(out)])
    assert refused.exit_code == 2 and "--document-max-bytes" in refused.output
