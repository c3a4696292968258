"""Timers fire on the service's clock: reminders, escalation, downtime, many processes."""
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from a10flow import clock, scheduler
from helpers import CAMUNDA, DATA, bpmn, form, wait_process

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def _sweep(app):
    with app.app_context():
        return scheduler.sweep()


def _evidence(as_, instance_id, type_=None):
    items = as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
    return [r for r in items if type_ is None or r["type"] == type_]


def test_reminders_then_escalation(app, as_):
    assert as_["owner"].deploy(DATA / "chase.bpmn").status_code == 201
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "chase"}).json
    assert sorted((t["element_id"], t["due_at"]) for t in instance["timers"]) == [
        ("daily", (T0 + timedelta(days=1)).isoformat()), ("week", (T0 + timedelta(days=7)).isoformat())]
    assert _sweep(app) == 0

    clock.set(T0 + timedelta(days=1, minutes=5))
    assert _sweep(app) == 1
    [fired] = _evidence(as_, instance["id"], "timer.fired")
    assert fired["actor"]["id"] == "system:timer" and fired["element"]["id"] == "daily"
    assert fired["data"] == {"due_at": (T0 + timedelta(days=1)).isoformat(),
                             "fired_at": clock.now().isoformat(), "lateness_seconds": 300, "missed_periods": 0}
    assert _sweep(app) == 0  # once

    # Down for three days: the daily reminder fires once, saying it missed two periods.
    clock.set(T0 + timedelta(days=4, hours=2))
    assert _sweep(app) == 1
    assert _evidence(as_, instance["id"], "timer.fired")[-1]["data"]["missed_periods"] == 2
    timers = as_["owner"].get(f"/api/v1/timers?instance={instance['id']}").json["items"]
    assert [(t["element_id"], t["due_at"]) for t in timers] == [
        ("daily", (T0 + timedelta(days=5)).isoformat()), ("week", (T0 + timedelta(days=7)).isoformat())]
    assert len(_evidence(as_, instance["id"], "script.run")) == 2

    # A week without an answer: the task is taken away and escalated to security.
    clock.set(T0 + timedelta(days=7, seconds=1))
    assert _sweep(app) >= 1
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert [t["element_id"] for t in after["open_tasks"]] == ["escalated"]
    assert after["open_tasks"][0]["candidate_groups"] == ["security"]
    assert after["timers"] == []
    assert as_["owner"].get(f"/api/v1/tasks?instance={instance['id']}&status=cancelled").json["items"][0][
        "element_id"] == "answer"


def test_answering_in_time_stops_the_timers(app, as_):
    as_["owner"].deploy(DATA / "chase.bpmn")
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "chase"}).json
    task = instance["open_tasks"][0]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    assert as_["owner"].get("/api/v1/timers").json["items"] == []
    clock.set(T0 + timedelta(days=30))
    assert _sweep(app) == 0


def _wait_process(duration):
    return wait_process(f"<bpmn:timeDuration>{duration}</bpmn:timeDuration>")


def test_timer_expression_over_instance_data(app, as_):
    expression = '"P6M" if tier == "high" else "P1Y"'
    assert as_["owner"].deploy(("wait.bpmn", _wait_process(expression.replace('"', "&quot;"))),
                               form("s", tier={"enum": ["high", "low"]})).status_code == 201
    clock.set(T0)
    high = as_["owner"].post("/api/v1/instances", json={"process": "wait", "data": {"tier": "high"}}).json
    low = as_["owner"].post("/api/v1/instances", json={"process": "wait", "data": {"tier": "low"}}).json
    assert high["timers"][0]["due_at"] == "2026-12-01T09:00:00+00:00"
    assert low["timers"][0]["due_at"] == "2027-06-01T09:00:00+00:00"


def test_a_timer_that_fell_due_while_down_fires_once_on_start_up(app, as_):
    as_["owner"].deploy(("wait.bpmn", _wait_process("PT1H")))
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "wait"}).json
    clock.set(T0 + timedelta(days=3))
    assert _sweep(app) == 1 and _sweep(app) == 0
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"
    [fired] = _evidence(as_, instance["id"], "timer.fired")
    assert fired["data"]["lateness_seconds"] == 3 * 86400 - 3600


def test_a_failing_timer_path_marks_the_instance_failed_once(app, as_):
    bpmn = (DATA / "chase.bpmn").read_bytes().replace(b'variable("reminders", 0) + 1', b"1 / 0")
    as_["owner"].deploy(("chase.bpmn", bpmn))
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "chase"}).json
    clock.set(T0 + timedelta(days=2))
    assert _sweep(app) == 1 and _sweep(app) == 0   # no retry storm: the failed script waits for a person
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "failed" and after["error"]["element"] == "remind"
    assert [i["element_id"] for i in after["incidents"]] == ["remind"]
    assert len(_evidence(as_, instance["id"], "instance.failed")) == 1


def test_several_worker_processes_fire_each_timer_once(app, as_, tmp_path):
    as_["owner"].deploy(("wait.bpmn", _wait_process("PT1H")))
    # Start the instances two hours ago on the service clock, so their timers are due now
    # on the real clock the worker processes read.
    clock.set(datetime.now(timezone.utc) - timedelta(hours=2))
    ids = [as_["owner"].post("/api/v1/instances", json={"process": "wait"}).json["id"] for _ in range(200)]
    clock.set(None)
    env = {**os.environ, "A10FLOW_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "A10FLOW_INSTANCE_PATH": str(tmp_path / "instance")}
    a10flow = Path(sys.executable).parent / "a10flow"
    workers = [subprocess.Popen([a10flow, "worker", "--once"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    fired = sum(int(out.split()[1]) for out, _ in outputs)
    assert fired == len(ids)
    for instance_id in ids:
        assert len(_evidence(as_, instance_id, "timer.fired")) == 1
        assert as_["auditor"].get(f"/api/v1/instances/{instance_id}").json["status"] == "completed"


def test_a_fire_that_dies_midway_keeps_nothing_and_fires_later(app, as_, monkeypatch):
    from a10flow.step import conclusion
    as_["owner"].deploy(("wait.bpmn", _wait_process("PT1H")))
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "wait"}).json
    clock.set(T0 + timedelta(hours=2))
    real_save = conclusion._save

    def crash(*args, **kwargs):
        raise ConnectionError("the database went away")
    monkeypatch.setattr(conclusion, "_save", crash)
    assert _sweep(app) == 0
    assert _evidence(as_, instance["id"]) == _evidence(as_, instance["id"], "instance.started")
    assert len(as_["owner"].get("/api/v1/timers").json["items"]) == 1
    monkeypatch.setattr(conclusion, "_save", real_save)
    assert _sweep(app) == 1
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


def test_the_scheduler_wakes_for_the_next_timer(app, as_):
    as_["owner"].deploy(("wait.bpmn", _wait_process("PT2S")))
    clock.set(T0)
    as_["owner"].post("/api/v1/instances", json={"process": "wait"})
    ticker = scheduler.Scheduler(app)   # not started: tick() is what its job runs
    ticker.tick()
    assert ticker.aps.get_job(scheduler.JOB_ID).next_run_time == T0 + timedelta(seconds=2)
    listed = as_["owner"].get("/api/v1/timers", query_string={"due_before": (T0 + timedelta(seconds=3)).isoformat()})
    assert len(listed.json["items"]) == 1
    assert as_["owner"].get("/api/v1/timers", query_string={"due_before": T0.isoformat()}).json["items"] == []
    assert as_["owner"].get("/api/v1/timers?due_before=tomorrow").status_code == 422
    assert as_["alice"].get("/api/v1/timers").status_code == 403


def _start_timer_process(timer, script="checked = True", due=""):
    return bpmn(f"""
    <bpmn:startEvent id="manual" name="By hand"><bpmn:outgoing>m</bpmn:outgoing></bpmn:startEvent>
    <bpmn:startEvent id="every" name="Every six months"><bpmn:outgoing>a</bpmn:outgoing>
      <bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:scriptTask id="check" name="Check"><bpmn:incoming>a</bpmn:incoming><bpmn:incoming>m</bpmn:incoming>
      <bpmn:outgoing>b</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="review" name="Re-assess the supplier" {due}><bpmn:incoming>b</bpmn:incoming>
      <bpmn:outgoing>c</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>c</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="every" targetRef="check"/>
    <bpmn:sequenceFlow id="m" sourceRef="manual" targetRef="check"/>
    <bpmn:sequenceFlow id="b" sourceRef="check" targetRef="review"/>
    <bpmn:sequenceFlow id="c" sourceRef="review" targetRef="e"/>
""", process="reassess", name="Supplier re-assessment", ns=CAMUNDA)[1]


def test_a_timer_start_event_starts_instances_on_schedule(app, as_):
    clock.set(T0)
    assert as_["owner"].deploy(("r.bpmn", _start_timer_process("<bpmn:timeCycle>R/P6M</bpmn:timeCycle>"))) \
        .status_code == 201
    [start] = as_["owner"].get("/api/v1/timers").json["starts"]
    assert start["process"] == "reassess" and start["due_at"] == "2026-12-01T09:00:00+00:00"
    assert start["remaining"] == -1

    # Started by hand, it takes the plain start event and no timer waits in it.
    by_hand = as_["owner"].post("/api/v1/instances", json={"process": "reassess"}).json
    assert [t["element_id"] for t in by_hand["open_tasks"]] == ["review"] and by_hand["timers"] == []

    clock.set(datetime(2026, 12, 1, 9, 1, tzinfo=timezone.utc))
    assert _sweep(app) == 1 and _sweep(app) == 0
    [started] = as_["auditor"].get("/api/v1/instances?process=reassess&status=running").json["items"][:1]
    chain = _evidence(as_, started["id"])
    assert [r["type"] for r in chain[:2]] == ["instance.started", "timer.fired"]
    assert chain[0]["actor"]["id"] == "system:timer" and chain[1]["element"]["id"] == "every"
    assert chain[1]["data"]["lateness_seconds"] == 60
    assert as_["owner"].get("/api/v1/timers").json["starts"][0]["due_at"] == "2027-06-01T09:00:00+00:00"

    # Down for two years: one instance, not four, and the record says three periods were missed.
    clock.set(datetime(2029, 1, 15, tzinfo=timezone.utc))
    assert _sweep(app) == 1
    newest = as_["auditor"].get("/api/v1/instances?process=reassess").json["items"][0]
    assert _evidence(as_, newest["id"], "timer.fired")[0]["data"]["missed_periods"] == 3
    assert as_["owner"].get("/api/v1/timers").json["starts"][0]["due_at"] == "2029-06-01T09:00:00+00:00"
    assert len(as_["auditor"].get("/api/v1/instances?process=reassess").json["items"]) == 3

    # A new version brings its own schedule.
    as_["owner"].deploy(("r.bpmn", _start_timer_process("<bpmn:timeCycle>R2/P1Y</bpmn:timeCycle>")))
    [start] = as_["owner"].get("/api/v1/timers").json["starts"]
    assert start["version"] == 2 and start["due_at"] == "2030-01-15T00:00:00+00:00" and start["remaining"] == 2


def test_timer_start_problems(app, as_):
    clock.set(T0)
    needs_data = as_["owner"].deploy(("r.bpmn", _start_timer_process(
        "<bpmn:timeDuration>review_interval</bpmn:timeDuration>")))
    assert needs_data.status_code == 422
    assert needs_data.json["error"]["details"][0]["element"] == "every"
    assert "without instance data" in needs_data.json["error"]["details"][0]["message"]

    # A step that cannot be kept (the new task's due date fails) starts nothing; the timer tries again later.
    as_["owner"].deploy(("r.bpmn", _start_timer_process("<bpmn:timeDuration>P1D</bpmn:timeDuration>",
                                                        due='camunda:dueDate="${review_by}"')))
    clock.set(T0 + timedelta(days=2))
    assert _sweep(app) == 0
    [start] = as_["owner"].get("/api/v1/timers").json["starts"]
    assert "review: due date" in start["last_error"]
    assert start["due_at"] == (clock.now() + timedelta(hours=1)).isoformat()   # tried again later, no storm
    assert as_["owner"].get("/api/v1/instances").json["items"] == []

    # A failing script starts the instance, which waits at the script with an incident.
    as_["owner"].deploy(("r.bpmn", _start_timer_process("<bpmn:timeDuration>P1D</bpmn:timeDuration>",
                                                        script="checked = 1 / 0")))
    clock.set(T0 + timedelta(days=4))
    assert _sweep(app) == 1
    [started] = as_["owner"].get("/api/v1/instances").json["items"]
    incident = as_["owner"].get(f"/api/v1/instances/{started['id']}").json["incidents"][0]
    assert started["status"] == "failed" and incident["element_id"] == "check"
    assert "division by zero" in incident["error"]


def test_a_year_of_daily_reminders_keeps_the_state_small(app, as_):
    from a10flow.models import Instance, db
    import json
    bpmn = (DATA / "chase.bpmn").read_bytes().replace(b"P7D", b"P400D")
    as_["owner"].deploy(("chase.bpmn", bpmn))
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "chase"}).json

    def state_size():
        with app.app_context():
            return len(json.dumps(db.session.get(Instance, instance["id"]).state))

    sizes = {}
    for day in range(1, 366):
        clock.set(T0 + timedelta(days=day, minutes=1))
        assert _sweep(app) == 1
        if day in (2, 365):
            sizes[day] = state_size()
    assert sizes[365] <= sizes[2] * 1.1, sizes
    assert len(_evidence(as_, instance["id"], "timer.fired")) == 365
    task = as_["alice"].get(f"/api/v1/tasks?instance={instance['id']}").json["items"][0]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


EVENT_GATEWAY = (DATA / "notice.bpmn").read_bytes()


def test_an_event_based_gateway_takes_the_timer_branch_when_nothing_else_comes(app, as_):
    assert as_["owner"].deploy(("notice.bpmn", EVENT_GATEWAY)).status_code == 201
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "notice"}).json
    assert [t["element_id"] for t in instance["timers"]] == ["silence"]
    clock.set(T0 + timedelta(days=7, seconds=1))
    assert _sweep(app) == 1
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert [t["element_id"] for t in after["open_tasks"]] == ["follow_up"] and after["timers"] == []


def test_serve_fires_timers_that_fell_due_while_it_was_down(app, as_, tmp_path):
    import socket
    import time
    as_["owner"].deploy(("wait.bpmn", _wait_process("PT1H")))
    clock.set(datetime.now(timezone.utc) - timedelta(hours=2))
    instance = as_["owner"].post("/api/v1/instances", json={"process": "wait"}).json
    clock.set(None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "A10FLOW_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "A10FLOW_INSTANCE_PATH": str(tmp_path / "instance"), "A10FLOW_TIMER_POLL_SECONDS": "0.2"}
    server = subprocess.Popen([Path(sys.executable).parent / "a10flow", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60   # waiting for the process to come up, not for a timer
        while time.monotonic() < deadline:
            status = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"]
            if status == "completed":
                break
            time.sleep(0.1)
        assert status == "completed"
        assert len(_evidence(as_, instance["id"], "timer.fired")) == 1
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_message_wins_the_event_based_gateway(app, as_):
    as_["owner"].deploy(("notice.bpmn", EVENT_GATEWAY), form("ack", acknowledged_by={"format": "email"}))
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "notice", "business_key": "N-1"}).json
    wrong = as_["owner"].post("/api/v1/messages", json={"name": "objected", "business_key": "N-1"})
    assert wrong.status_code == 404
    sent = as_["owner"].post("/api/v1/messages", json={"name": "acknowledged", "business_key": "N-1",
                                                       "data": {"acknowledged_by": "cara@customer.example"}})
    assert sent.status_code == 200 and sent.json == {"delivered": [instance["id"]]}
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "completed" and after["timers"] == []
    assert after["data"]["acknowledged_by"] == "cara@customer.example"
    [received] = _evidence(as_, instance["id"], "message.received")
    assert received["data"]["message"] == "acknowledged" and received["actor"]["name"] == "owner"
    assert as_["owner"].post("/api/v1/messages", json={"name": "acknowledged", "instance": instance["id"]}) \
        .status_code == 404   # nothing waits any more
    assert as_["owner"].post("/api/v1/messages", json={"name": "acknowledged"}).status_code == 422
    assert as_["alice"].post("/api/v1/messages", json={"name": "acknowledged", "instance": 1}).status_code == 403
    clock.set(T0 + timedelta(days=8))
    assert _sweep(app) == 0


PER_CUSTOMER = (DATA / "tell-all.bpmn").read_bytes()


def test_a_message_reaches_only_the_task_it_is_meant_for(app, as_):
    assert as_["owner"].deploy(("tell_all.bpmn", PER_CUSTOMER),
                               form("s", customers={"type": "array", "items": {"type": "string"}})).status_code == 201
    instance = as_["owner"].post("/api/v1/instances", json={
        "process": "tell_all", "data": {"customers": ["acme", "globex"]}}).json
    waits = instance["messages"]
    assert [w["message"] for w in waits] == ["acknowledged", "acknowledged"]
    first = as_["owner"].post("/api/v1/messages", json={"name": "acknowledged", "instance": instance["id"],
                                                        "task": waits[0]["task_id"]})
    assert first.status_code == 200
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "running" and [w["task_id"] for w in after["messages"]] == [waits[1]["task_id"]]
    as_["owner"].post("/api/v1/messages", json={"name": "acknowledged", "instance": instance["id"],
                                               "task": waits[1]["task_id"]})
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


YEAR_CHECK = (DATA / "year-check.bpmn").read_bytes()


def test_a_failed_instance_is_retried_once_its_cause_is_gone(app, as_):
    assert as_["owner"].deploy(("wait.bpmn", YEAR_CHECK)).status_code == 201
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "wait"}).json
    clock.set(T0 + timedelta(hours=2))
    _sweep(app)
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "failed"
    again = as_["owner"].post(f"/api/v1/instances/{instance['id']}/retry")
    assert again.status_code == 422 and "not before 2027" in again.json["error"]["message"]
    assert as_["alice"].post(f"/api/v1/instances/{instance['id']}/retry").status_code == 403
    clock.set(datetime(2027, 1, 1, tzinfo=timezone.utc))
    done = as_["owner"].post(f"/api/v1/instances/{instance['id']}/retry")
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert done.status_code == 200 and after["status"] == "completed" and after["error"] is None
    assert after["incidents"][0]["attempts"] == 2 and after["incidents"][0]["status"] == "resolved"
    assert as_["owner"].post(f"/api/v1/instances/{instance['id']}/retry").status_code == 409
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    # Each retry is evidence, and so is each failure: the one that worked runs the script on to the end.
    assert [(r["type"], r["actor"]["name"]) for r in chain if r["type"].startswith(("instance.", "incident."))][1:] \
        == [("instance.failed", "a10flow engine"), ("incident.retried", "owner"), ("instance.failed", "a10flow engine"),
            ("incident.retried", "owner"), ("instance.completed", "a10flow engine")]
