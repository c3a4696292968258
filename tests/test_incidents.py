"""Incidents: a failing element stops where it is, without losing the step before it; service
tasks are tried again as their BPMN says; the owner retries or resolves, and every move is evidence."""
from datetime import datetime, timedelta, timezone

from helpers import form, probe, process

from a10flow import clock, scheduler

GROUPS = form("s", groups={"type": "array", "items": {"type": "string"}}, n={"type": "integer"})
PICK = form("first", n={"type": "integer"})   # which of the groups the second task goes to

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def _sweep(app):
    with app.app_context():
        return scheduler.sweep()


def _notify(retry_cycle):
    """A service task as Camunda Modeler's a10flow template writes it, whose message needs ``greeting``."""
    return process(f"""
    <bpmn:serviceTask id="tell" name="Tell the supplier" camunda:type="external" camunda:topic="a10flow:notify">
      <bpmn:extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="message">greeting</camunda:inputParameter>
          <camunda:inputParameter name="users">"bob"</camunda:inputParameter>
        </camunda:inputOutput>
        {retry_cycle}
      </bpmn:extensionElements>
    </bpmn:serviceTask>""", [("s", "tell", ""), ("tell", "e", "")])


def _one_incident(as_, instance_id):
    [incident] = as_["owner"].get(f"/api/v1/incidents?instance={instance_id}").json["items"]
    return incident


def test_a_service_task_is_tried_again_with_back_off_then_waits_for_the_owner(app, as_):
    cycle = "<camunda:failedJobRetryTimeCycle>PT1M,PT10M</camunda:failedJobRetryTimeCycle>"
    assert as_["owner"].deploy(("tell.bpmn", _notify(cycle))).status_code == 201
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p"}).json
    incident = instance["incidents"][0]
    assert instance["status"] == "running"   # not stuck: the scheduler will try again
    assert (incident["status"], incident["attempts"], incident["element_id"]) == ("retrying", 1, "tell")
    assert incident["next_attempt_at"] == (T0 + timedelta(minutes=1)).isoformat() and "greeting" in incident["error"]

    clock.set(T0 + timedelta(seconds=30))
    _sweep(app)
    assert _one_incident(as_, instance["id"])["attempts"] == 1   # not yet
    clock.set(T0 + timedelta(minutes=2))
    _sweep(app)
    incident = _one_incident(as_, instance["id"])
    assert (incident["status"], incident["attempts"]) == ("retrying", 2)
    assert incident["next_attempt_at"] == (T0 + timedelta(minutes=12)).isoformat()   # backing off
    clock.set(T0 + timedelta(minutes=13))
    _sweep(app)
    incident = _one_incident(as_, instance["id"])
    assert (incident["status"], incident["attempts"], incident["next_attempt_at"]) == ("open", 3, None)
    assert incident["first_failed_at"] == T0.isoformat() and incident["last_failed_at"] == clock.now().isoformat()
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "failed"
    _sweep(app)
    assert _one_incident(as_, instance["id"])["attempts"] == 3   # after the last attempt, only a person retries

    # The owner supplies what was missing and retries: it goes through and the instance ends.
    retried = as_["owner"].post(f"/api/v1/incidents/{incident['id']}/retry", json={"data": {"greeting": "hello"}})
    assert retried.status_code == 200 and retried.json["status"] == "resolved", retried.json
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "completed" and after["error"] is None
    assert as_["owner"].get("/api/v1/incidents").json["items"] == []
    assert [i["id"] for i in as_["owner"].get("/api/v1/incidents?status=resolved").json["items"]] == [incident["id"]]
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    moves = [(r["type"], r["actor"]["name"], r["data"].get("attempt")) for r in chain
             if r["type"] in ("instance.failed", "incident.retried")]
    assert moves == [("instance.failed", "a10flow engine", 1), ("incident.retried", "a10flow scheduler", 2),
                     ("instance.failed", "a10flow engine", 2), ("incident.retried", "a10flow scheduler", 3),
                     ("instance.failed", "a10flow engine", 3), ("incident.retried", "owner", 4)]
    assert chain[-2]["type"] == "service.run" and chain[-2]["data"]["params"]["message"] == "hello"


def test_a_retry_cycle_the_service_cannot_read_is_refused_at_deploy(as_):
    for cycle, told in (("R3/soon", "R3/PT5M"), ("R99/PT1M", "at most 20")):
        refused = as_["owner"].deploy(("tell.bpmn", _notify(
            f'<camunda:properties><camunda:property name="retryCycle" value="{cycle}"/></camunda:properties>')))
        assert refused.status_code == 422
        [detail] = refused.json["error"]["details"]
        assert detail["element"] == "tell" and told in detail["message"], detail


def test_the_owner_resolves_a_failed_script_by_hand_and_the_instance_runs_on(as_):
    as_["owner"].deploy(("probe.bpmn", probe("found = 1 / 0")))
    instance = as_["owner"].post("/api/v1/instances", json={"process": "probe_process"}).json
    incident = instance["incidents"][0]
    url = f"/api/v1/incidents/{incident['id']}"
    assert as_["owner"].post(f"{url}/resolve", json={}).status_code == 422   # a comment is required
    assert as_["owner"].post(f"{url}/retry", json={}).status_code == 422   # still divides by zero
    assert as_["owner"].get(url).json["attempts"] == 2
    resolved = as_["owner"].post(f"{url}/resolve", json={"comment": "counted by hand", "data": {"found": 42}})
    assert resolved.status_code == 200 and resolved.json["resolved_by"] == "owner"
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "completed" and after["data"]["found"] == 42
    assert as_["owner"].post(f"{url}/retry", json={}).status_code == 409
    assert as_["owner"].post(f"{url}/resolve", json={"comment": "again"}).status_code == 409
    [record] = [r for r in as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
                if r["type"] == "incident.resolved"]
    assert record["actor"]["name"] == "owner" and record["element"]["id"] == "probe"
    assert record["data"] == {"incident": incident["id"], "comment": "counted by hand", "completed_by_hand": True,
                              "attempts": 2, "data": {"found": 42}}


GATEWAY = process("""
    <bpmn:exclusiveGateway id="which" name="Which tier?"/>
    <bpmn:scriptTask id="high"><bpmn:script>path = "high"</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="low"><bpmn:script>path = "low"</bpmn:script></bpmn:scriptTask>""",
                   [("s", "which", ""), ("high", "e", ""), ("low", "e", ""),
                    ("which", "high", "<bpmn:conditionExpression>score &gt; 5</bpmn:conditionExpression>"),
                    ("which", "low", "<bpmn:conditionExpression>score &lt;= 5</bpmn:conditionExpression>")])


def test_a_gateway_cannot_be_resolved_by_hand_but_retried_with_the_missing_data(as_):
    assert as_["owner"].deploy(("gw.bpmn", GATEWAY)).status_code == 201
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p"}).json
    incident = instance["incidents"][0]
    assert incident["element_id"] == "which" and "score" in incident["error"]
    refused = as_["owner"].post(f"/api/v1/incidents/{incident['id']}/resolve", json={"comment": "skip it"})
    assert refused.status_code == 409 and "retry" in refused.json["error"]["message"]
    retried = as_["owner"].post(f"/api/v1/incidents/{incident['id']}/retry", json={"data": {"score": 9}})
    assert retried.status_code == 200, retried.json
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["data"]["path"] == "high"


PARALLEL = process("""
    <bpmn:parallelGateway id="fork"/>
    <bpmn:scriptTask id="count"><bpmn:script>total = items * 2</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="check" name="Check the supplier" camunda:candidateGroups="procurement"/>
    <bpmn:parallelGateway id="join"/>""",
                    [("s", "fork", ""), ("fork", "count", ""), ("fork", "check", ""), ("count", "join", ""),
                     ("check", "join", ""), ("join", "e", "")])


def test_the_rest_of_the_instance_moves_on_but_waits_for_the_failed_branch(as_):
    as_["owner"].deploy(("par.bpmn", PARALLEL))
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert instance["status"] == "failed" and instance["incidents"][0]["element_id"] == "count"
    [check] = instance["open_tasks"]   # the other branch waits for alice as usual
    assert as_["alice"].post(f"/api/v1/tasks/{check['id']}/complete", json={"data": {}}).status_code == 200
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "failed" and after["ended_at"] is None   # the join waits for the failed branch
    incident = after["incidents"][0]
    assert incident["attempts"] == 1   # alice's step did not run the failed script again
    as_["owner"].post(f"/api/v1/incidents/{incident['id']}/retry", json={"data": {"items": 3}})
    done = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert done["status"] == "completed" and done["data"]["total"] == 6


def test_a_timer_whose_expression_fails_is_an_incident_at_the_timer(as_):
    as_["owner"].deploy(("wait.bpmn", process("""
    <bpmn:intermediateCatchEvent id="pause" name="Wait the agreed time">
      <bpmn:timerEventDefinition><bpmn:timeDuration>timer_value(timedelta(days=agreed_days))</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>""", [("s", "pause", ""), ("pause", "e", "")])))
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p"}).json
    incident = instance["incidents"][0]
    assert instance["status"] == "failed" and incident["element_id"] == "pause" and "agreed_days" in incident["error"]
    refused = as_["owner"].post(f"/api/v1/incidents/{incident['id']}/resolve", json={"comment": "no wait"})
    assert refused.status_code == 409   # an event decides when the process goes on: it must be retried


def test_incidents_are_for_owners_auditors_and_admins(as_):
    as_["owner"].deploy(("probe.bpmn", probe("found = 1 / 0")))
    as_["owner"].post("/api/v1/instances", json={"process": "probe_process"})
    assert len(as_["auditor"].get("/api/v1/incidents").json["items"]) == 1
    assert as_["alice"].get("/api/v1/incidents").status_code == 403
    assert as_["auditor"].get("/api/v1/incidents?status=nonsense").status_code == 422
    assert as_["owner"].get("/api/v1/incidents/999999").status_code == 404


GIVE_UP = process("""
    <bpmn:subProcess id="work" name="Work it out">
      <bpmn:startEvent id="ws"/><bpmn:scriptTask id="count"><bpmn:script>total = items * 2</bpmn:script>
      </bpmn:scriptTask><bpmn:endEvent id="we"/>
      <bpmn:sequenceFlow id="w1" sourceRef="ws" targetRef="count"/>
      <bpmn:sequenceFlow id="w2" sourceRef="count" targetRef="we"/>
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="a_day" name="A day later" attachedToRef="work">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="by_hand" name="Work it out by hand" camunda:candidateGroups="procurement"/>""",
                  [("s", "work", ""), ("work", "e", ""), ("a_day", "by_hand", ""), ("by_hand", "e", "")])


def test_an_incident_the_process_moves_on_from_is_resolved_by_itself(app, as_):
    as_["owner"].deploy(("give-up.bpmn", GIVE_UP))
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert instance["status"] == "failed" and instance["incidents"][0]["element_id"] == "count"
    clock.set(T0 + timedelta(days=1, minutes=1))
    _sweep(app)   # the boundary timer still fires: it interrupts the subprocess and its failed script
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "running" and [t["element_id"] for t in after["open_tasks"]] == ["by_hand"]
    [incident] = after["incidents"]
    assert incident["status"] == "resolved" and incident["resolution"] == "the process moved on without this element"


FORK = process("""
    <bpmn:parallelGateway id="fork"/>
    <bpmn:intermediateCatchEvent id="pause" name="Wait the agreed time">
      <bpmn:timerEventDefinition><bpmn:timeDuration>timer_value(timedelta(days=agreed_days))</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="check" name="Check" camunda:candidateGroups="procurement"/>
    <bpmn:parallelGateway id="join"/>""",
                [("s", "fork", ""), ("fork", "pause", ""), ("fork", "check", ""), ("pause", "join", ""),
                 ("check", "join", ""), ("join", "e", "")])


def test_a_branch_that_fails_on_its_way_does_not_stop_the_branches_beside_it(app, as_):
    as_["owner"].deploy(("fork.bpmn", FORK))
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert [i["element_id"] for i in instance["incidents"]] == ["pause"]
    [check] = instance["open_tasks"]   # the fork's other branch started all the same
    assert check["element_id"] == "check"
    incident = instance["incidents"][0]
    assert as_["owner"].post(f"/api/v1/incidents/{incident['id']}/retry",
                             json={"data": {"agreed_days": 1}}).status_code == 200
    assert as_["alice"].post(f"/api/v1/tasks/{check['id']}/complete", json={"data": {}}).status_code == 200
    clock.set(T0 + timedelta(days=2))
    _sweep(app)
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


# The review task after the pause cannot be offered: its candidate group expression fails, so the
# step that fires the timer cannot be kept at all (rolled back).
PAUSE_THEN_REVIEW = process("""
    <bpmn:intermediateCatchEvent id="pause" name="Pause">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="review" name="Review" camunda:candidateGroups="${groups[n]}"/>""",
                             [("s", "pause", ""), ("pause", "review", ""), ("review", "e", "")])


def test_a_timer_whose_step_cannot_be_kept_fires_again_only_when_the_owner_says(app, as_):
    as_["owner"].deploy(("pause.bpmn", PAUSE_THEN_REVIEW), GROUPS)
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p",
                                                            "data": {"groups": ["procurement"], "n": 5}}).json
    for minutes in (61, 62, 63):
        clock.set(T0 + timedelta(minutes=minutes))
        _sweep(app)
    incident = _one_incident(as_, instance["id"])
    assert incident["step_rolled_back"] and incident["attempts"] == 1   # not once per sweep
    with app.app_context():
        assert scheduler.next_due() is None   # and the scheduler does not wake for it
    url = f"/api/v1/incidents/{incident['id']}/retry"
    assert as_["owner"].post(url, json={"data": {"n": 0}}).status_code == 422   # no element to give data to
    assert as_["owner"].post(url, json={}).status_code == 422   # the timer fires again and fails again
    assert _one_incident(as_, instance["id"])["attempts"] == 2


TWO_PEOPLE = process("""
    <bpmn:userTask id="first" name="First" camunda:candidateGroups="procurement"/>
    <bpmn:userTask id="second" name="Second" camunda:candidateGroups="${groups[n]}"/>""",
                      [("s", "first", ""), ("first", "second", ""), ("second", "e", "")])


def test_a_persons_failed_step_is_not_said_to_go_through_on_retry(as_):
    as_["owner"].deploy(("two.bpmn", TWO_PEOPLE), GROUPS, PICK)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"groups": ["x"]}}).json
    [first] = instance["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{first['id']}/complete", json={"data": {"n": 7}}).status_code == 422
    incident = _one_incident(as_, instance["id"])
    refused = as_["owner"].post(f"/api/v1/incidents/{incident['id']}/retry", json={})
    assert refused.status_code == 409 and "done again by them" in refused.json["error"]["message"]
    assert _one_incident(as_, instance["id"])["status"] == "open"
    assert as_["alice"].post(f"/api/v1/tasks/{first['id']}/complete", json={"data": {"n": 0}}).status_code == 200
    resolved = as_["owner"].post(f"/api/v1/incidents/{incident['id']}/resolve", json={"comment": "alice redid it"})
    assert resolved.status_code == 200
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "running"


def test_two_schedulers_do_not_retry_one_service_task_twice(app, as_):
    from a10flow import step
    from a10flow.processes import incidents
    as_["owner"].deploy(("tell.bpmn", _notify(
        "<camunda:failedJobRetryTimeCycle>PT1M,PT10M,PT1H</camunda:failedJobRetryTimeCycle>")))
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p"}).json
    clock.set(T0 + timedelta(minutes=2))
    with app.app_context():
        seen_by_one, seen_by_other = incidents.due(clock.now(), 10), incidents.due(clock.now(), 10)
        for seen in (seen_by_one, seen_by_other):   # both read the list before either retried
            try:
                step.retry_incident(seen[0], step.TIMER_ACTOR, scheduled=True)
            except Exception:
                pass
    assert _one_incident(as_, instance["id"])["attempts"] == 2   # the second saw it is not due again yet


CHECK_THEN_WAIT = process("""
    <bpmn:userTask id="check" name="Check" camunda:candidateGroups="procurement"/>
    <bpmn:intermediateCatchEvent id="pause" name="Wait the agreed time">
      <bpmn:timerEventDefinition><bpmn:timeDuration>timer_value(timedelta(days=agreed_days))</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>""",
                           [("s", "check", ""), ("check", "pause", ""), ("pause", "e", "")])


def test_what_fails_right_after_a_persons_task_does_not_undo_their_work(as_):
    as_["owner"].deploy(("check.bpmn", CHECK_THEN_WAIT))
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    done = as_["alice"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {}})
    assert done.status_code == 200 and done.json["status"] == "completed"
    [incident] = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["incidents"]
    assert incident["element_id"] == "pause" and "agreed_days" in incident["error"]


def test_a_persons_failed_step_does_not_hold_back_the_instances_timers(app, as_):
    beside = process("""
    <bpmn:parallelGateway id="fork"/>
    <bpmn:intermediateCatchEvent id="pause" name="An hour">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="first" name="First" camunda:candidateGroups="procurement"/>
    <bpmn:userTask id="second" name="Second" camunda:candidateGroups="${groups[n]}"/>
    <bpmn:parallelGateway id="join"/>""", [("s", "fork", ""), ("fork", "pause", ""), ("pause", "join", ""),
                                           ("fork", "first", ""), ("first", "second", ""), ("second", "join", ""),
                                           ("join", "e", "")])
    as_["owner"].deploy(("beside.bpmn", beside), GROUPS, PICK)
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"groups": ["procurement"]}}).json
    [first] = instance["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{first['id']}/complete", json={"data": {"n": 7}}).status_code == 422
    clock.set(T0 + timedelta(hours=2))
    assert _sweep(app) == 1   # the hour's timer fires all the same
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["timers"] == []


def test_moving_to_a_fixed_version_ends_the_incident_of_a_timer_that_could_not_fire(app, as_):
    as_["owner"].deploy(("pause.bpmn", PAUSE_THEN_REVIEW), GROUPS)
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p", "data": {"groups": ["x"], "n": 5}}).json
    clock.set(T0 + timedelta(minutes=61))
    _sweep(app)
    incident = _one_incident(as_, instance["id"])
    as_["owner"].deploy(("pause.bpmn", PAUSE_THEN_REVIEW.replace(b"${groups[n]}", b"procurement")), GROUPS)
    moved = as_["owner"].post(f"/api/v1/instances/{instance['id']}/migrate", json={}).json
    assert moved["status"] == "running" and [t["element_id"] for t in moved["open_tasks"]] == ["review"]
    [ended] = moved["incidents"]
    assert ended["id"] == incident["id"] and ended["status"] == "resolved" and ended["resolved_by"] == "owner"


POST_SCRIPT = process("""
    <bpmn:serviceTask id="put_in_register" name="Put the supplier in the register">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="record"><spiffworkflow:parameters>
          <spiffworkflow:parameter id="register" type="str" value="'suppliers'" />
          <spiffworkflow:parameter id="key" type="str" value="'acme'" />
          <spiffworkflow:parameter id="data" type="str" value="{'tier': 'low'}" />
        </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>
        <spiffworkflow:postScript>band = bands[3]</spiffworkflow:postScript>
      </bpmn:extensionElements></bpmn:serviceTask>""", [("s", "put_in_register", ""), ("put_in_register", "e", "")]
                       ).replace(b'id="d"', b'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d"')


def test_a_service_task_whose_post_script_fails_stops_there_and_does_its_work_once_on_retry(as_):
    # The operator ran, then the post-script failed while the task completed: it has not finished,
    # so the register entry waits for the retry.
    assert as_["owner"].deploy(("post.bpmn", POST_SCRIPT)).status_code == 201
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p"}).json
    assert instance["status"] == "failed", instance
    [incident] = instance["incidents"]
    assert incident["element_id"] == "put_in_register" and "bands" in incident["error"]
    assert as_["owner"].get("/api/v1/registers/suppliers").json["items"] == []
    retried = as_["owner"].post(f"/api/v1/incidents/{incident['id']}/retry", json={"data": {"bands": [1, 2, 3, "low"]}})
    assert retried.status_code == 200, retried.json
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "completed" and after["data"]["band"] == "low"
    assert [e["key"] for e in as_["owner"].get("/api/v1/registers/suppliers").json["items"]] == ["acme"]


DEADLOCK = process("""
    <bpmn:exclusiveGateway id="choose" default="f1"/>
    <bpmn:userTask id="review" name="Review"/>
    <bpmn:scriptTask id="audit" name="Audit"><bpmn:script>audited = True</bpmn:script></bpmn:scriptTask>
    <bpmn:parallelGateway id="join" name="Both done"/>""",
                    [("s", "choose", ""), ("choose", "review", ""),
                     ("choose", "audit", "<bpmn:conditionExpression>False</bpmn:conditionExpression>"),
                     ("review", "join", ""), ("audit", "join", ""), ("join", "e", "")])


def test_an_instance_that_nothing_can_move_on_says_where_it_is_stuck(as_):
    """A parallel join after an exclusive choice waits for ever: the owner sees an incident at the
    join, in words, instead of an instance that says "running" with nothing it waits at."""
    assert as_["owner"].deploy(("deadlock.bpmn", DEADLOCK)).status_code == 201
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p"}).json
    assert instance["status"] == "running" and instance["incidents"] == []   # a person has the review
    [review] = instance["open_tasks"]
    assert as_["owner"].post(f"/api/v1/tasks/{review['id']}/complete", json={}).status_code == 200
    stuck = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert stuck["status"] == "failed" and stuck["open_tasks"] == []
    [incident] = stuck["incidents"]
    assert incident["element_id"] == "join" and incident["element_name"] == "Both done"
    assert "waits for paths that can no longer arrive" in incident["error"]
    # Nothing can bring the missing path now: the owner cancels it, and the incident ends with it.
    cancelled = as_["owner"].post(f"/api/v1/instances/{instance['id']}/cancel", json={"reason": "drawn wrong"}).json
    assert cancelled["status"] == "cancelled" and cancelled["incidents"][0]["status"] == "resolved"
