"""Moving running instances to a newer version: the owner fixes a process and the instances
already under way take the fix; a change that does not fit them is refused, naming the element."""
import io
import zipfile
from datetime import datetime, timedelta, timezone

from a10flow import clock, scheduler
from helpers import DATA, form, process

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
CHASE = (DATA / "chase.bpmn").read_bytes()


def _flow(*tasks):
    """A process ``p``: start, then each (kind, id) in turn, then end."""
    ids = ["s", *(i for _, i in tasks), "e"]
    nodes = "".join(f'<bpmn:{kind} id="{i}" name="{i.title()}" camunda:candidateGroups="procurement"/>'
                    if kind == "userTask" else f'<bpmn:{kind} id="{i}"><bpmn:script>done_{i} = True</bpmn:script>'
                                               f'</bpmn:{kind}>' for kind, i in tasks)
    return process(nodes, [(a, b, "") for a, b in zip(ids, ids[1:])])


def test_a_corrected_version_fixes_the_instances_already_stopped_at_the_bug(app, as_):
    as_["owner"].deploy(("chase.bpmn", CHASE.replace(b'variable("reminders", 0) + 1', b"1 / 0")))
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "chase"}).json
    clock.set(T0 + timedelta(days=1, hours=1))
    with app.app_context():
        scheduler.sweep()
    stopped = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    [incident] = stopped["incidents"]
    assert stopped["status"] == "failed" and incident["element_id"] == "remind"

    assert as_["owner"].deploy(("chase.bpmn", CHASE)).json["processes"][0]["version"] == 2
    moved = as_["owner"].post(f"/api/v1/instances/{instance['id']}/migrate", json={})
    assert moved.status_code == 200, moved.json
    assert moved.json["process"]["version"] == 2 and moved.json["open_tasks"][0]["id"] == stopped["open_tasks"][0]["id"]
    assert moved.json["timers"] == stopped["timers"]   # the reminders keep their times
    assert as_["owner"].post(f"/api/v1/incidents/{incident['id']}/retry", json={}).status_code == 200
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "running"

    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    [migrated] = [r for r in chain if r["type"] == "instance.migrated"]
    assert migrated["actor"]["name"] == "owner"
    assert (migrated["data"]["from"]["version"], migrated["data"]["to"]["version"]) == (1, 2)
    assert chain[-1]["type"] == "script.run" and chain[-1]["element"]["id"] == "remind"   # the fixed script ran
    pack = as_["auditor"].get(f"/api/v1/evidence/export?instance={instance['id']}")
    names = zipfile.ZipFile(io.BytesIO(pack.data)).namelist()
    assert {"definitions/chase/v1/chase.bpmn", "definitions/chase/v2/chase.bpmn"} <= set(names)


def test_steps_added_ahead_are_taken_from_the_new_version(as_):
    as_["owner"].deploy(("p.bpmn", _flow(("userTask", "check"))))
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    as_["owner"].deploy(("p.bpmn", _flow(("userTask", "check"), ("scriptTask", "count"), ("userTask", "sign"))))
    assert as_["owner"].post(f"/api/v1/instances/{instance['id']}/migrate", json={"version": 2}).status_code == 200
    [check] = instance["open_tasks"]
    done = as_["alice"].post(f"/api/v1/tasks/{check['id']}/complete", json={"data": {}})
    assert done.status_code == 200
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert [t["element_id"] for t in after["open_tasks"]] == ["sign"] and after["data"]["done_count"] is True


def test_a_change_that_does_not_fit_is_refused_naming_the_element_and_changes_nothing(as_):
    as_["owner"].deploy(("p.bpmn", _flow(("userTask", "check"))))
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    as_["owner"].deploy(("p.bpmn", _flow(("userTask", "sign"))))                # v2: check is gone
    as_["owner"].deploy(("p.bpmn", _flow(("scriptTask", "check"))))             # v3: check is a script
    url = f"/api/v1/instances/{instance['id']}/migrate"
    gone = as_["owner"].post(url, json={"version": 2})
    assert gone.status_code == 409 and {"element": "check", "message": "the instance waits at 'Check', which the "
                                        "new version does not have"} in gone.json["error"]["details"]
    other_kind = as_["owner"].post(url, json={"version": 3})
    assert other_kind.status_code == 409
    assert "a user task here but a script task in the new version" in other_kind.json["error"]["message"]
    assert as_["owner"].post(url, json={"version": 1}).status_code == 409   # not newer
    assert as_["owner"].post(url, json={"version": 9}).status_code == 404
    assert as_["alice"].post(url, json={}).status_code == 403

    unchanged = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert unchanged["process"]["version"] == 1
    types = [r["type"] for r in as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]]
    assert "instance.migrated" not in types
    as_["alice"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {}})
    ended = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert ended["status"] == "completed"
    assert as_["owner"].post(url, json={"version": 3}).status_code == 409   # an ended instance stays as it ran


def _person(element_id):
    return f'<bpmn:userTask id="{element_id}" name="{element_id.title()}" camunda:candidateGroups="procurement"/>'


def _refusal(as_, first, second, start_data=None):
    """Deploy ``first``, start an instance, deploy ``second`` and try to move it: (answer, instance now)."""
    as_["owner"].deploy(("p.bpmn", first))
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": start_data or {}}).json
    as_["owner"].deploy(("p.bpmn", second))
    moved = as_["owner"].post(f"/api/v1/instances/{instance['id']}/migrate", json={})
    return moved, as_["owner"].get(f"/api/v1/instances/{instance['id']}").json


def test_changes_around_where_the_instance_stands_are_refused_too(as_):
    waiting = process(_person("check"), [("s", "check", ""), ("check", "e", "")])
    with_a_deadline = process(_person("check") + _person("chase") + """
      <bpmn:boundaryEvent id="late" name="Late" attachedToRef="check">
        <bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
      </bpmn:boundaryEvent>""", [("s", "check", ""), ("check", "e", ""), ("late", "chase", ""), ("chase", "e", "")])
    moved, now = _refusal(as_, waiting, with_a_deadline)
    assert moved.status_code == 409 and now["process"]["version"] == 1
    assert {"element": "check", "message": "the instance waits at 'Check', which the new version reaches another "
            "way (its incoming flows or boundary events changed)"} in moved.json["error"]["details"]


def test_a_branch_added_to_a_fork_already_passed_is_refused(as_):
    fork = '<bpmn:parallelGateway id="fork"/><bpmn:parallelGateway id="join"/>'
    two = process(fork + _person("a") + _person("b"), [("s", "fork", ""), ("fork", "a", ""), ("fork", "b", ""),
                                                        ("a", "join", ""), ("b", "join", ""), ("join", "e", "")])
    three = process(fork + _person("a") + _person("b") + _person("c"), [
        ("s", "fork", ""), ("fork", "a", ""), ("fork", "b", ""), ("fork", "c", ""), ("a", "join", ""),
        ("b", "join", ""), ("c", "join", ""), ("join", "e", "")])
    moved, _ = _refusal(as_, two, three)
    assert moved.status_code == 409 and {"element": "fork", "message": (
        "the instance has passed 'fork', whose outgoing flows changed in the new version: a branch it started "
        "or left out would never be joined")} in moved.json["error"]["details"]


def test_a_wait_that_changed_kind_is_refused_and_the_instance_is_left_as_it_was(as_):
    def waiting_for(timer):
        return process(f'<bpmn:intermediateCatchEvent id="pause" name="Pause"><bpmn:timerEventDefinition>{timer}'
                        f'</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>',
                        [("s", "pause", ""), ("pause", "e", "")])
    moved, now = _refusal(as_, waiting_for("<bpmn:timeDuration>P1D</bpmn:timeDuration>"),
                          waiting_for("<bpmn:timeCycle>R3/PT1H</bpmn:timeCycle>"))
    assert moved.status_code == 409
    assert "waits for a duration timer here but a cycle timer" in moved.json["error"]["message"]
    assert now["status"] == "running" and now["incidents"] == [] and now["process"]["version"] == 1


def _finish(as_, instance_id):
    """Complete every task that opens, as alice; the instance at the end."""
    for _ in range(6):
        now = as_["owner"].get(f"/api/v1/instances/{instance_id}").json
        if not now["open_tasks"]:
            return now
        as_["alice"].post(f"/api/v1/tasks/{now['open_tasks'][0]['id']}/complete", json={"data": {}})
    return as_["owner"].get(f"/api/v1/instances/{instance_id}").json


def test_changes_the_instance_cannot_feel_are_allowed(as_):
    fork = '<bpmn:parallelGateway id="fork"/><bpmn:parallelGateway id="join"/>'
    flows = [("s", "fork", ""), ("fork", "a", ""), ("fork", "b", ""), ("b", "join", ""), ("join", "e", "")]
    before = process(fork + _person("a") + _person("b"), flows + [("a", "join", "")])
    # a step added in the branch still under way, while the other one already waits at the join
    after = process(fork + _person("a") + _person("b") + '<bpmn:scriptTask id="x"><bpmn:script>x_ran = True'
                     '</bpmn:script></bpmn:scriptTask>', flows + [("a", "x", ""), ("x", "join", "")])
    as_["owner"].deploy(("p.bpmn", before))
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    [b] = [t for t in instance["open_tasks"] if t["element_id"] == "b"]
    as_["alice"].post(f"/api/v1/tasks/{b['id']}/complete", json={"data": {}})
    as_["owner"].deploy(("p.bpmn", after))
    assert as_["owner"].post(f"/api/v1/instances/{instance['id']}/migrate", json={}).status_code == 200
    assert _finish(as_, instance["id"])["status"] == "completed"

    # the branch an exclusive gateway did not take now leads elsewhere
    def choice(other):
        return process('<bpmn:exclusiveGateway id="gw"/>' + _person("a") + _person(other), [
            ("s", "gw", ""), ("gw", "a", "<bpmn:conditionExpression>go == 1</bpmn:conditionExpression>"),
            ("gw", other, "<bpmn:conditionExpression>go != 1</bpmn:conditionExpression>"),
            ("a", "e", ""), (other, "e", "")]).replace(b'id="p"', b'id="q"')
    go = form("s", go={"type": "integer"})
    as_["owner"].deploy(("q.bpmn", choice("b")), go)
    went = as_["alice"].post("/api/v1/instances", json={"process": "q", "data": {"go": 1}}).json
    as_["owner"].deploy(("q.bpmn", choice("c")), go)
    assert as_["owner"].post(f"/api/v1/instances/{went['id']}/migrate", json={}).status_code == 200
    assert _finish(as_, went["id"])["status"] == "completed"


def test_a_wait_for_another_message_is_refused(as_):
    def waiting_for(message):
        return process('<bpmn:intermediateCatchEvent id="reply" name="Reply"><bpmn:messageEventDefinition '
                        'messageRef="m"/></bpmn:intermediateCatchEvent>',
                        [("s", "reply", ""), ("reply", "e", "")]).replace(
            b"</bpmn:definitions>", f'<bpmn:message id="m" name="{message}"/></bpmn:definitions>'.encode())
    moved, now = _refusal(as_, waiting_for("supplier_reply"), waiting_for("customer_reply"))
    assert moved.status_code == 409 and "'supplier_reply'" in moved.json["error"]["message"]
    assert now["messages"][0]["message"] == "supplier_reply"
