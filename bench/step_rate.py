"""Start an instance and complete its one user task, N times: raw SpiffWorkflow vs the service.

raw:     parse once; per round: new workflow, run, complete the task with form data, run, serialize.
service: per round: POST /api/v1/instances, POST /api/v1/tasks/{id}/complete (Flask test client,
         SQLite file database, evidence and mirroring included).
floor:   one authenticated GET /api/v1/definitions, the least any API request costs here.

    .venv/bin/python bench/step_rate.py [N]
"""
import io
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
DATA = {"supplier": "Acme Data Ltd", "tier": "high"}


def raw(n):
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(HERE / "one_task.bpmn"))
    spec, subs = parser.get_spec("bench"), parser.get_subprocess_specs("bench")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    began = time.perf_counter()
    for _ in range(n):
        wf = BpmnWorkflow(spec, subs)
        wf.do_engine_steps()
        serializer.serialize_json(wf)
        wf = serializer.deserialize_json(serializer.serialize_json(wf))
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(DATA)
        task.run()
        wf.do_engine_steps()
        assert wf.completed
        serializer.serialize_json(wf)
    return n / (time.perf_counter() - began)


def service(n):
    import os
    tmp = tempfile.mkdtemp()
    os.environ["A10FLOW_INSTANCE_PATH"] = tmp
    from a10flow import create_app
    from a10flow.database import upgrade_schema
    from a10flow.models import Role, db
    from a10flow.people import auth, directory

    app = create_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite", A10FLOW_FORMS_DIR=str(HERE))
    with app.app_context():
        upgrade_schema()
        token = auth.issue_token(directory.create_user(directory.CLI, "bench", Role.ADMIN))
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    files = {"file": [(io.BytesIO((HERE / name).read_bytes()), name)
                      for name in ("one_task.bpmn", "bench-form.json")]}
    assert client.post("/api/v1/definitions", data=files, headers=headers).status_code == 201
    for _ in range(50):
        client.get("/api/v1/definitions", headers=headers)
    began = time.perf_counter()
    for _ in range(n):
        client.get("/api/v1/definitions", headers=headers)
    floor_ms = (time.perf_counter() - began) / n * 1000
    began = time.perf_counter()
    for _ in range(n):
        started = client.post("/api/v1/instances", json={"process": "bench"}, headers=headers).json
        task_id = started["open_tasks"][0]["id"]
        done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": DATA}, headers=headers)
        assert done.status_code == 200, done.json
    return n / (time.perf_counter() - began), floor_ms


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    raw_rate = raw(n)
    service_rate, floor_ms = service(n)
    print(json.dumps({"rounds": n, "raw_per_s": round(raw_rate, 1), "service_per_s": round(service_rate, 1),
                      "service_over_raw": round(service_rate / raw_rate, 2),
                      "api_floor_ms_per_request": round(floor_ms, 2)}))
