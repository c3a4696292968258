"""Export an evidence pack of many real instances: the time its report (HTML, then PDF) takes, run
by hand (figures go in the README).

    .venv/bin/python bench/pack.py [INSTANCES] [DATABASE_URL]

Deploys the bundled supplier onboarding, runs INSTANCES (default 100) suppliers through the API
up to their approval (each instance some ten records, a decision and a diagram), then exports
the pack for A.10.3 and reports the time of the whole export, of the report's PDF alone, the
pack's size and the PDF's page count.
"""
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]
FILES = ["workflows/supplier-onboarding.bpmn", "workflows/supplier-risk-tier.dmn", "forms/supplier-request.schema.json",
         "forms/supplier-details.schema.json", "forms/supplier-risk.schema.json",
         "forms/supplier-approval.schema.json", "forms/contract-checklist.schema.json",
         "forms/corrective-action-closure.schema.json", "forms/supplier-incident.schema.json"]
REQUEST = {"supplier_name": "Acme Data", "contact_email": "anna@acme.example", "business_owner": "alice",
           "supplied": ["dataset"], "ai_systems": ["credit-scoring"], "personal_data": True, "pii_role": "processor"}
sys.path.insert(0, str(ROOT / "tests"))
from helpers import pdf  # noqa: E402 (a real PDF: the supplier's DPA and certificate)

PDF = pdf("A supplier's document")
RISK = {"data_sensitivity": "low", "business_criticality": "low", "substitutability": "easy",
        "regulatory_exposure": "none"}


def main(count, url):
    os.environ["A10FLOW_INSTANCE_PATH"] = tempfile.mkdtemp()
    from a10flow import create_app
    from a10flow.database import upgrade_schema
    from a10flow.evidence import report
    from a10flow.models import Role, db
    from a10flow.people import auth, directory
    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade_schema()
        tokens = {name: auth.issue_token(directory.create_user(directory.CLI, name, role, groups)) for name, role, groups in (
            ("owner", Role.OWNER, []), ("alice", Role.STAFF, ["procurement"]), ("sam", Role.STAFF, ["security"]),
            ("auditor", Role.AUDITOR, []))}
        db.session.commit()
    client = app.test_client()

    def call(who, method, path, **kwargs):
        answer = getattr(client, method)(path, headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)
        assert answer.status_code < 300, (path, answer.json)
        return answer

    call("owner", "post", "/api/v1/definitions",
         data={"file": [(open(ROOT / name, "rb"), Path(name).name) for name in FILES]})
    for number in range(count):
        instance = call("alice", "post", "/api/v1/instances", json={
            "process": "supplier_onboarding", "data": dict(REQUEST, supplier_name=f"Supplier {number}")}).json
        [details] = [t for t in instance["open_tasks"] if t["element_id"] == "due_diligence"]
        given = {field: call("owner", "post", f"/api/v1/tasks/{details['id']}/documents?field={field}&{dates}", data={
            "file": (io.BytesIO(PDF), "document.pdf")}).json["document"]
                 for field, dates in (("dpa", "effective=2026-01-01"), ("certifications/0/certificate", "expires=2027-12-31"))}
        call("owner", "post", f"/api/v1/tasks/{details['id']}/complete", json={"data": {
            "legal_name": f"Supplier {number} Ltd", "country": "IE", "dpa_signed": True, "dpa": given["dpa"],
            "incident_notification": True, "change_notification": True,
            "certifications": [{"name": "ISO/IEC 27001", "certificate": given["certifications/0/certificate"]}]}})
        [assess] = [t for t in call("owner", "get", f"/api/v1/instances/{instance['id']}").json["open_tasks"]]
        call("sam", "post", f"/api/v1/tasks/{assess['id']}/complete", json={"data": RISK})

    timed = {}
    original = report.pdf

    def pdf(html):
        started = time.perf_counter()
        made = original(html)
        if os.environ.get("A10FLOW_BENCH_HTML"):   # to profile WeasyPrint on it alone
            Path(os.environ["A10FLOW_BENCH_HTML"]).write_text(html)
        timed["pdf"] = time.perf_counter() - started
        return made
    report.pdf = pdf
    started = time.perf_counter()
    pack = call("auditor", "get", "/api/v1/evidence/export?control=A.10.3").data
    total = time.perf_counter() - started
    import pypdf
    pages = len(pypdf.PdfReader(io.BytesIO(zipfile.ZipFile(io.BytesIO(pack)).read("report.pdf"))).pages)
    print(f"{count} instances: export {total:.1f} s, of which the PDF {timed['pdf']:.1f} s; "
          f"pack {len(pack) / 2**20:.1f} MB, PDF {pages} pages")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100,
         sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tempfile.mkdtemp()}/bench.db")
