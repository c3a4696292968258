"""Give a thousand documents and export them in an evidence pack: run by hand (figures go in the README).

    .venv/bin/python bench/documents.py [DOCUMENTS] [KB] [DATABASE_URL]

Deploys a one-task process whose form takes files, gives DOCUMENTS (default 1,000) distinct PDFs of
about KB (default 200) kilobytes each through the API, ten to a case, each case completed when its ten
are given; then exports the pack (every document inside) and verifies it offline as an auditor would.
Reports the upload rate, the pack's export time and size, and the offline verification time.
"""
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]
PER_CASE = 10
PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="https://a10flow.example/bench">
  <bpmn:process id="evidence" name="Documents for the bench" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="give" name="Give the documents" camunda:candidateGroups="procurement"
                   camunda:formKey="documents.schema.json">
      <bpmn:extensionElements><camunda:properties><camunda:property name="control" value="A.10.3"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="give"/>
    <bpmn:sequenceFlow id="f2" sourceRef="give" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""
FORM = b'{"type": "object", "required": ["files"], "properties": {"files": {"type": "array", "title": "Documents",' \
       b' "items": {"type": "string", "format": "binary", "x-accept": ["application/pdf"]}}}}'


def document(number, kb):
    """A real PDF of about ``kb`` kilobytes, different for each ``number``."""
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import pdf
    return pdf(f"Document {number}", extra=b"%" + os.urandom(kb * 512).hex().encode() + b"\n")


def main(count, kb, url):
    os.environ["A10FLOW_INSTANCE_PATH"] = tempfile.mkdtemp()
    from a10flow import create_app
    from a10flow.database import upgrade_schema
    from a10flow.evidence import verifier
    from a10flow.models import Role, db
    from a10flow.people import auth, directory
    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade_schema()
        tokens = {name: auth.issue_token(directory.create_user(directory.CLI, name, role, groups)) for name, role, groups in (
            ("owner", Role.OWNER, []), ("alice", Role.STAFF, ["procurement"]), ("auditor", Role.AUDITOR, []))}
        db.session.commit()
    client = app.test_client()

    def call(who, method, path, **kwargs):
        answer = getattr(client, method)(path, headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)
        assert answer.status_code < 300, (path, answer.status_code, answer.data[:300])
        return answer

    call("owner", "post", "/api/v1/definitions", data={"file": [(io.BytesIO(PROCESS.encode()), "evidence.bpmn"),
                                                                (io.BytesIO(FORM), "documents.schema.json")]})
    contents = [document(number, kb) for number in range(count)]
    given_bytes, began = sum(map(len, contents)), time.perf_counter()
    for first in range(0, count, PER_CASE):
        task = call("alice", "post", "/api/v1/instances", json={"process": "evidence"}).json["open_tasks"][0]
        ids = [call("alice", "post", f"/api/v1/tasks/{task['id']}/documents?field=files",
                    data={"file": (io.BytesIO(content), f"document-{first + i}.pdf")}).json["document"]
               for i, content in enumerate(contents[first:first + PER_CASE])]
        call("alice", "post", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"files": ids}})
    given = time.perf_counter() - began

    began = time.perf_counter()
    pack = call("auditor", "get", "/api/v1/evidence/export?control=A.10.3").data
    exported = time.perf_counter() - began
    path = Path(tempfile.mkdtemp()) / "pack.zip"
    path.write_bytes(pack)
    with zipfile.ZipFile(path) as opened:
        inside = sum(1 for name in opened.namelist() if name.startswith("documents/") and name != "documents.json")
    began = time.perf_counter()
    key_id = call("auditor", "get", "/api/v1/evidence/public-key").json["key_id"]   # the key the auditor trusts
    report = verifier.verify_pack(str(path), trusted_key_id=key_id)
    verified = time.perf_counter() - began
    assert inside == count and not report.problems, (inside, report.problems[:3])
    print(f"{count} documents of {kb} KB ({given_bytes / 2**20:.0f} MB): given at {count / given:.0f}/s "
          f"({given_bytes / 2**20 / given:.0f} MB/s, {count // PER_CASE} cases completed); pack exported in "
          f"{exported:.1f} s ({len(pack) / 2**20:.0f} MB, {inside} documents inside); verified offline in {verified:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, int(sys.argv[2]) if len(sys.argv) > 2 else 200,
         sys.argv[3] if len(sys.argv) > 3 else f"sqlite:///{tempfile.mkdtemp()}/bench.db")
