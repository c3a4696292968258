"""An auditor takes the evidence away: a pack per control and period, with a report,
coverage, the exact process versions, and a verifier that needs nothing of a10flow."""
import ast
import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from a10flow import clock
from a10flow.evidence.canonical import canonical
from a10flow.cli import main
from helpers import BUNDLED, deploy_bundled, signed_in

ROOT = Path(__file__).parents[1]
T0 = datetime(2026, 10, 5, 8, 0, tzinfo=timezone.utc)
CHANGE = {"ai_system": "credit-scoring", "version_from": "2.3", "version_to": "3.0",
          "change_type": "model update or retraining", "predetermined": False, "customers": []}


def _change_notices(as_, purchase):
    """Two small changes told to nobody (completed), one that waits for its notice past the
    due date, and a purchase that belongs to no control."""
    deploy_bundled(as_, "customer_change_notification")
    clock.set(T0)
    ids = [as_["owner"].post("/api/v1/instances", json={
        "process": "customer_change_notification", "data": dict(CHANGE, materiality=m, version_to=v)}).json["id"]
        for m, v in (("low", "3.0"), ("low", "3.1"), ("high", "4.0"))]
    other = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json["id"]
    clock.set(T0 + timedelta(days=5))   # the high one's draft (due in 3 days) is overdue
    return ids, other


def _pack(as_, query=""):
    response = as_["auditor"].get(f"/api/v1/evidence/export{query}")
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/zip"
    return response.data


def _run_verifier(tmp_path, pack_bytes, *args):
    """Run the pack's own verify.py, alone in an empty folder, as an auditor would."""
    folder = tmp_path / "auditor"
    folder.mkdir(exist_ok=True)
    (folder / "pack.zip").write_bytes(pack_bytes)
    with zipfile.ZipFile(io.BytesIO(pack_bytes)) as pack:
        (folder / "verify.py").write_bytes(pack.read("verify.py"))
    done = subprocess.run([sys.executable, "-I", "verify.py", "pack.zip", *args], cwd=folder,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, json.loads(done.stdout) if done.stdout else done.stderr


def _rezip(pack_bytes, changes):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pack_bytes)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, changes.get(name, src.read(name)))
    return out.getvalue()


def test_a_pack_for_one_control_holds_everything_an_auditor_needs(as_, purchase, tmp_path):
    ids, other = _change_notices(as_, purchase)
    as_["owner"].post("/api/v1/evidence/checkpoints")
    data = _pack(as_, "?control=A.10.4&from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z")
    pack = zipfile.ZipFile(io.BytesIO(data))
    names = set(pack.namelist())
    assert {"records.jsonl", "checkpoint.txt", "proofs.json", "public-key.pem", "report.html", "coverage.json",
            "verify.py", "FORMAT.md", "manifest.json", "manifest.sig"} <= names
    assert "checkpoints.json" not in names   # a scoped pack proves its chains; it does not list everyone's
    folder = "definitions/customer_change_notification/v1/"
    assert {folder + "customer-change-notification.bpmn", folder + "customer-notice-decision.dmn",
            folder + "change-notice.schema.json"} <= names
    assert {n.split("/")[1] for n in names if n.startswith("definitions/")} == {"customer_change_notification"}
    assert pack.read(folder + "customer-change-notification.bpmn") == \
        (ROOT / "workflows/customer-change-notification.bpmn").read_bytes()
    manifest = json.loads(pack.read("manifest.json"))
    assert manifest["instances"] == ids and other not in manifest["instances"]
    assert manifest["scope"]["control"] == "A.10.4"
    records = [json.loads(line) for line in pack.read("records.jsonl").splitlines()]
    assert {r["instance_id"] for r in records} == set(ids)
    assert [r["seq"] for r in records if r["instance_id"] == ids[0]][0] == 1   # whole chains

    coverage = json.loads(pack.read("coverage.json"))
    assert coverage == [{"control": "A.10.4", "framework": "ISO/IEC 42001 Annex A", "instances": 3, "completed": 2,
                         "completed_on_time": 2, "overdue": 1, "escalated": 0}]
    report = pack.read("report.html").decode()
    assert "Instance %d" % ids[2] in report and "Draft the change notice" in report and "(overdue)" in report
    assert "Started the instance" in report and "Decided by a decision table" in report

    published = as_[None].get("/api/v1/evidence/public-key").json
    code, result = _run_verifier(tmp_path, data, "--key-id", published["key_id"])
    assert code == 0 and result["ok"] and result["records"] == len(records), result
    assert hashlib.sha256(pack.read("verify.py")).hexdigest() == published["verifier_sha256"]
    assert published["key_id"] in report   # the report says which key to check it against
    code, _ = _run_verifier(tmp_path, data, "--key", "pack.zip")   # usage error: not a key
    assert code != 0


def test_the_verifier_in_the_pack_needs_only_the_standard_library_and_cryptography(as_, purchase):
    _change_notices(as_, purchase)
    source = zipfile.ZipFile(io.BytesIO(_pack(as_))).read("verify.py").decode()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"cryptography"}


def test_any_change_to_a_pack_is_found(as_, purchase, tmp_path):
    _change_notices(as_, purchase)
    as_["owner"].post("/api/v1/evidence/checkpoints")
    data = _pack(as_, "?control=A.10.4")
    pack = zipfile.ZipFile(io.BytesIO(data))

    (tmp_path / "published.pem").write_text(as_[None].get("/api/v1/evidence/public-key").json["pem"])
    trusted = ("--key", str(tmp_path / "published.pem"))
    code, result = _run_verifier(tmp_path, _rezip(data, {"report.html": b"<p>all fine</p>"}), *trusted)
    assert code == 1 and result["first_problem"]["kind"] == "file_changed"
    assert "report.html" in result["first_problem"]["message"]

    # A record changed, and the manifest brought in line: the manifest's signature no longer holds.
    lines = pack.read("records.jsonl").decode().splitlines()
    lines[1] = lines[1].replace('"type":"decision.evaluated"', '"type":"script.run"')
    records = ("\n".join(lines) + "\n").encode()
    assert records != pack.read("records.jsonl")
    manifest = json.loads(pack.read("manifest.json"))
    manifest["files"]["records.jsonl"] = hashlib.sha256(records).hexdigest()
    forged = _rezip(data, {"records.jsonl": records, "manifest.json": json.dumps(manifest).encode()})
    code, result = _run_verifier(tmp_path, forged, *trusted)
    assert code == 1 and "signature" in result["first_problem"]["message"]

    # Everything re-signed with another key: only the key the auditor trusts gives it away.
    mallory = Ed25519PrivateKey.generate()
    mallory_pem = mallory.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    manifest["files"]["public-key.pem"] = hashlib.sha256(mallory_pem).hexdigest()
    body = json.dumps(manifest).encode()
    resigned = _rezip(data, {"records.jsonl": records, "manifest.json": body, "public-key.pem": mallory_pem,
                             "manifest.sig": base64.b64encode(mallory.sign(body))})
    code, result = _run_verifier(tmp_path, resigned, *trusted)
    assert code == 1 and result["first_problem"]["kind"] == "wrong_key"


def test_a_pack_rewritten_and_signed_anew_is_never_verified_on_its_own_key(as_, purchase, tmp_path):
    _change_notices(as_, purchase)
    data = _pack(as_, "?control=A.10.4")   # no checkpoint yet: nothing but the pack's own key to go by
    pack = zipfile.ZipFile(io.BytesIO(data))
    lines = pack.read("records.jsonl").decode().splitlines()
    forged_lines, previous = [], {}
    for line in lines:   # every chain rewritten, every hash recomputed
        row = json.loads(line)
        row["record"]["actor"] = {"id": 99, "name": "mallory"}
        row["record"]["prev_hash"] = previous.get(row["instance_id"])
        row["hash"] = previous[row["instance_id"]] = hashlib.sha256(canonical(row["record"])).hexdigest()
        forged_lines.append(json.dumps(row))
    records = ("\n".join(forged_lines) + "\n").encode()
    mallory = Ed25519PrivateKey.generate()
    mallory_pem = mallory.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    manifest = json.loads(pack.read("manifest.json"))
    manifest["files"].update({"records.jsonl": hashlib.sha256(records).hexdigest(),
                              "public-key.pem": hashlib.sha256(mallory_pem).hexdigest()})
    body = json.dumps(manifest).encode()
    resigned = _rezip(data, {"records.jsonl": records, "manifest.json": body, "public-key.pem": mallory_pem,
                             "manifest.sig": base64.b64encode(mallory.sign(body))})
    code, result = _run_verifier(tmp_path, resigned, "--key-id", as_[None].get("/api/v1/evidence/public-key").json[
        "key_id"])
    assert code == 1 and result["first_problem"]["kind"] == "wrong_key"
    checked = CliRunner().invoke(main, ["evidence", "verify-pack", str(_written(tmp_path, resigned))])
    assert checked.exit_code == 1 and not json.loads(checked.stdout)["ok"]
    assert json.loads(checked.stdout)["problems"][-1]["kind"] == "key_not_trusted"
    assert "NOT VERIFIED" in checked.stderr
    assert _run_verifier(tmp_path, resigned)[0] == 2   # verify.py will not run without a key to trust


def _written(tmp_path, data):
    path = tmp_path / "forged.zip"
    path.write_bytes(data)
    return path


def test_export_and_verify_from_the_command_line(app, as_, purchase, tmp_path, monkeypatch):
    monkeypatch.setenv("A10FLOW_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    ids, _ = _change_notices(as_, purchase)
    runner = CliRunner()
    out = tmp_path / "pack.zip"
    made = runner.invoke(main, ["evidence", "export", "--control", "A.10.4", "--from", "2026-10-01",
                                "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["instances"] == ids
    key = tmp_path / "key.pem"
    public = runner.invoke(main, ["evidence", "public-key"])
    key.write_text(public.output.split("key id")[0])
    checked = runner.invoke(main, ["evidence", "verify-pack", str(out), "--key", str(key)])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["ok"] and "VERIFIED" in checked.stderr
    pinned = runner.invoke(main, ["evidence", "verify-pack", str(out), "--key", str(key), "--origin", "not.this/log"])
    assert pinned.exit_code == 1 and json.loads(pinned.stdout)["first_problem"]["kind"] == "wrong_origin"
    coverage = runner.invoke(main, ["evidence", "coverage", "--control", "A.10.4"])
    assert json.loads(coverage.output)[0]["instances"] == 3
    none = runner.invoke(main, ["evidence", "coverage", "--from", "2027-01-01"])
    assert json.loads(none.output) == []


def test_coverage_by_period_and_bad_queries(as_, purchase):
    _change_notices(as_, purchase)
    before = as_["auditor"].get("/api/v1/evidence/coverage?to=2026-10-01T00:00:00Z").json
    assert before == {"items": []}
    everything = as_["owner"].get("/api/v1/evidence/coverage").json["items"]
    assert [row["control"] for row in everything] == ["A.10.4"]   # the purchase carries no control
    wrong = as_["auditor"].get("/api/v1/evidence/coverage?from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z")
    assert wrong.status_code == 422 and wrong.json["error"]["details"][0]["field"].endswith("to")
    assert as_["auditor"].get("/api/v1/evidence/export?from=yesterday").status_code == 422
    assert as_["alice"].get("/api/v1/evidence/export").status_code == 403


def test_a_file_that_is_no_pack_gets_a_clear_answer(tmp_path, monkeypatch):
    # An auditor checks a pack on their own machine: nothing of a service is made there.
    monkeypatch.delenv("A10FLOW_INSTANCE_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pack.zip").write_bytes(b"not a zip")
    checked = CliRunner().invoke(main, ["evidence", "verify-pack", str(tmp_path / "pack.zip")])
    assert checked.exit_code == 1 and "not an evidence pack" in json.loads(checked.stdout)["first_problem"]["message"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.zip"]   # no instance/secret-key


def test_a_pack_shows_an_instance_whose_evidence_was_deleted(app, as_, purchase, tmp_path):
    from a10flow.models import db
    ids, other = _change_notices(as_, purchase)
    as_["owner"].post("/api/v1/evidence/checkpoints")
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                conn.exec_driver_sql("DROP TRIGGER evidence_no_delete")
            conn.exec_driver_sql(f"DELETE FROM evidence WHERE instance_id = {ids[1]}")
    key_id = as_[None].get("/api/v1/evidence/public-key").json["key_id"]
    for query in ("", "?control=A.10.4"):
        code, result = _run_verifier(tmp_path, _pack(as_, query), "--key-id", key_id)
        assert code == 1 and (result["first_problem"]["kind"], result["first_problem"]["instance_id"]) == \
            ("instance_deleted", ids[1]), query


def test_a_period_in_another_time_zone_means_the_same_moments(as_, purchase):
    ids, _ = _change_notices(as_, purchase)
    utc = as_["auditor"].get("/api/v1/evidence/coverage?from=2026-10-05T07:00:00Z&to=2026-10-05T09:00:00Z").json
    paris = as_["auditor"].get("/api/v1/evidence/coverage?from=2026-10-05T09:00:00%2B02:00"
                               "&to=2026-10-05T11:00:00%2B02:00").json
    assert utc == paris and utc["items"][0]["instances"] == 3


def test_an_owner_cannot_take_an_instance_out_of_a_controls_evidence(as_, purchase):
    ids, _ = _change_notices(as_, purchase)   # the third waits for its notice, past the due date
    late = ids[2]
    # A new version without any control property, and the late instance moved to it.
    bare = (ROOT / "workflows/customer-change-notification.bpmn").read_bytes().replace(
        b'<camunda:property name="control" value="A.10.4"/>', b"")
    files = [("customer-change-notification.bpmn", bare)] + [
        (Path(name).name, (ROOT / name).read_bytes()) for name in BUNDLED["customer_change_notification"][1:]]
    assert as_["owner"].deploy(*files).status_code == 201
    assert as_["owner"].post(f"/api/v1/instances/{late}/migrate", json={}).status_code == 200
    # Cancelling the late work does not make it on time either.
    assert as_["owner"].post(f"/api/v1/instances/{late}/cancel", json={"reason": "out of sight"}).status_code == 200
    [row] = as_["auditor"].get("/api/v1/evidence/coverage?control=A.10.4").json["items"]
    assert row["instances"] == 3 and row["overdue"] == 1
    pack = zipfile.ZipFile(io.BytesIO(_pack(as_, "?control=A.10.4")))
    assert late in json.loads(pack.read("manifest.json"))["instances"]


def test_a_pack_is_named_for_its_control_and_period(app, as_, purchase, tmp_path, monkeypatch):
    _change_notices(as_, purchase)
    clock.set(datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc))
    response = as_["auditor"].get("/api/v1/evidence/export?control=ISO 27001 A.5.19&from=2026-10-01T00:00:00Z"
                                  "&to=2026-11-01T00:00:00Z")
    assert response.headers["Content-Disposition"] == ("attachment; filename=a10flow-evidence_ISO_IEC_27001_A.5.19_"
                                                       "2026-10-01_to_2026-11-01_made_20261201-153000.zip")
    page = signed_in(app, "auditor").get("/audit/pack?control=A.10.4")
    assert "filename=a10flow-evidence_A.10.4_beginning_to_now_made_20261201-153000.zip" in \
        page.headers["Content-Disposition"]
    monkeypatch.chdir(tmp_path)
    with app.app_context():
        made = CliRunner().invoke(main, ["evidence", "export", "--instance", "1"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "a10flow-evidence_all-controls_beginning_to_now_instance-1_made_20261201-153000.zip").exists()


def test_each_pack_holds_a_statement_of_applicability_extract_for_a10(app, as_, purchase):
    clock.set(T0 - timedelta(days=1))
    ids, _ = _change_notices(as_, purchase)
    clock.set(T0 + timedelta(days=40))
    deploy_bundled(as_, "responsibility_signoff")   # A.10.2: deployed after the period below
    changed = (ROOT / "workflows/customer-change-notification.bpmn").read_bytes() + b"<!-- v2 -->"
    files = [changed if p.name == "customer-change-notification.bpmn" else p
             for p in (ROOT / name for name in BUNDLED["customer_change_notification"])]
    assert as_["owner"].deploy(*[("customer-change-notification.bpmn", f) if isinstance(f, bytes) else f
                                 for f in files]).status_code == 201   # v2, in force from November on
    pack = zipfile.ZipFile(io.BytesIO(_pack(as_, "?control=A.10.4&from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z")))
    soa = {row["control"]: row for row in json.loads(pack.read("statement-of-applicability.json"))}
    assert list(soa) == ["A.10.2", "A.10.3", "A.10.4"]
    notices = soa["A.10.4"]
    assert notices["title"] == "Customers" and notices["applicable"] is True
    [process] = notices["implemented_by"]
    assert process["process"] == "customer_change_notification"
    assert [v["version"] for v in process["versions"]] == [1]   # v2 came after the period
    assert process["versions"][0]["folder"] in {n.rsplit("/", 1)[0] + "/" for n in pack.namelist()}
    assert notices["coverage"] == json.loads(pack.read("coverage.json"))[0]
    assert notices["evidence"] == {"report": "report.html#control-A.10.4", "instances": ids}
    assert soa["A.10.3"]["applicable"] is False and soa["A.10.3"]["evidence"] is None
    assert soa["A.10.2"]["applicable"] is False   # deployed after the period: not in force in it
    report = pack.read("report.html").decode()
    assert "Statement of Applicability (extract)" in report and 'id="control-A.10.4"' in report
    assert "No process in force implements it" in report

    # Up to now: both versions were in force, but the pack holds only the files of the one that ran.
    pack = zipfile.ZipFile(io.BytesIO(_pack(as_, "?control=A.10.4&from=2026-10-01T00:00:00Z")))
    soa = {row["control"]: row for row in json.loads(pack.read("statement-of-applicability.json"))}
    assert [(v["version"], v["folder"]) for v in soa["A.10.4"]["implemented_by"][0]["versions"]] == [
        (1, "definitions/customer_change_notification/v1/"), (2, None)]
    assert soa["A.10.2"]["applicable"] is True and soa["A.10.2"]["evidence"] is None


def test_a_pack_for_a_period_holds_in_full_only_the_records_inside_it(app, as_, purchase, tmp_path):
    """An auditor engaged for the first nine days of October receives nothing recorded after them: the
    later records of the same chains are stubs, the chains still verify, and what was open is
    what was open when the week ended."""
    ids, _ = _change_notices(as_, purchase)   # started on 5 October; the high one's draft waits
    [draft] = as_["owner"].get(f"/api/v1/instances/{ids[2]}").json["open_tasks"]
    clock.set(T0 + timedelta(days=9))   # 14 October, after the period: the draft is done
    notice = {"notice": {"summary": "Model 4.0", "impact": "Scores shift", "actions_required": "none",
                         "effective_date": "2027-06-01"}}
    assert as_["owner"].post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": notice}).status_code == 200
    as_["owner"].post("/api/v1/evidence/checkpoints")
    data = _pack(as_, "?control=A.10.4&from=2026-10-01T00:00:00Z&to=2026-10-10T00:00:00Z")
    pack = zipfile.ZipFile(io.BytesIO(data))
    rows = [json.loads(line) for line in pack.read("records.jsonl").splitlines()]
    later = [r for r in rows if r["instance_id"] == ids[2] and "redacted" in r["record"]]
    assert later and all(set(r["record"]) == {"redacted", "instance_id", "seq", "type", "at", "prev_hash"}
                         for r in later)
    assert all(r["record"]["at"] >= "2026-10-10" for r in later)
    assert "Model 4.0" not in pack.read("records.jsonl").decode()   # the content stayed at home
    assert all(r["record"]["at"] < "2026-10-10" for r in rows if "redacted" not in r["record"])
    manifest = json.loads(pack.read("manifest.json"))
    assert manifest["redacted_records"] == len(later)
    report = pack.read("report.html").decode()
    assert "Model 4.0" not in report and f"{len(later)} record" in report and "present as stubs" in report
    assert "(overdue)" in report   # on 10 October the draft was still open, past its due date (the 8th)

    published = as_[None].get("/api/v1/evidence/public-key").json
    code, result = _run_verifier(tmp_path, data, "--key-id", published["key_id"], "--origin", published["origin"])
    assert code == 0 and result["ok"], result
    assert result["redacted_records"] == len(later) and result["records"] == len(rows)
    # A stub is what a pack may hold; a stub standing in a chain anywhere else is a changed record.
    from a10flow.evidence import verifier
    chain = [(r["seq"], canonical(r["record"]), r["hash"]) for r in rows if r["instance_id"] == ids[2]]
    assert verifier.check_chain(ids[2], chain, stubs=True) is None
    assert verifier.check_chain(ids[2], chain).kind == "edited"
    # A pack of the instance itself, or of everything, stays whole.
    whole = zipfile.ZipFile(io.BytesIO(_pack(as_, f"?instance={ids[2]}")))
    assert "Model 4.0" in whole.read("records.jsonl").decode()


def test_a_note_of_another_log_is_no_proof_of_this_one(app, as_, purchase, tmp_path):
    """The auditor pins the service's key and its log's origin, as the service shows them together:
    a pack whose checkpoint is a note of another log signed by the same key does not verify."""
    _change_notices(as_, purchase)
    as_["owner"].post("/api/v1/evidence/checkpoints")
    published = as_[None].get("/api/v1/evidence/public-key").json
    data = _pack(as_, "?control=A.10.4")
    code, result = _run_verifier(tmp_path, data, "--key-id", published["key_id"], "--origin", "elsewhere.example/log")
    assert code == 1 and result["first_problem"]["kind"] == "wrong_origin", result
    # The same key now signs for another origin: its new packs carry an old note of another log.
    app.config["A10FLOW_EVIDENCE_ORIGIN"] = "renamed.example/evidence"
    code, result = _run_verifier(tmp_path, _pack(as_, "?control=A.10.4"), "--key-id", published["key_id"])
    assert code == 1 and result["first_problem"]["kind"] == "wrong_origin", result
