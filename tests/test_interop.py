"""Diagrams people bring from elsewhere: what SpiffWorkflow would run wrongly or for ever is
refused at deploy in words a modeller can act on, and an instance that has nothing left to do
is completed, end event or not."""
import pytest

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
        '20100524/MODEL" id="d" targetNamespace="x">')


def _bpmn(body, process="p", extra=""):
    return (f"{process}.bpmn", f'{HEAD}{extra}<bpmn:process id="{process}" isExecutable="true">{body}'
                               f'</bpmn:process></bpmn:definitions>'.encode())


def _flow(a, b, n):
    return f'<bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}"/>'


@pytest.mark.parametrize("body", [
    # A task nothing follows: the process simply stops there.
    '<bpmn:startEvent id="s"/>' + _flow("s", "review", 1) + '<bpmn:userTask id="review" name="Review"/>',
    # Two branches that each just stop.
    '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="split"/>' + _flow("s", "split", 1) +
    _flow("split", "review", 2) + _flow("split", "note", 3) +
    '<bpmn:userTask id="review" name="Review"/><bpmn:scriptTask id="note"><bpmn:script>noted = 1</bpmn:script>'
    '</bpmn:scriptTask>',
], ids=["task-without-end", "branches-without-end"])
def test_a_process_without_an_end_event_completes_when_nothing_is_left(as_, body):
    assert as_["owner"].deploy(_bpmn(body)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    [task] = instance["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={}).status_code == 200
    done = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert done["status"] == "completed" and done["open_tasks"] == []
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert chain[-1]["type"] == "instance.completed"


def test_a_diagram_that_is_only_a_start_event_completes_at_once(as_):
    assert as_["owner"].deploy(_bpmn('<bpmn:startEvent id="s"/>')).status_code == 201
    assert as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["status"] == "completed"


def _refused(as_, *files):
    response = as_["owner"].deploy(*files)
    assert response.status_code == 422, response.json
    return {d["element"]: d["message"] for d in response.json["error"]["details"]}


def test_a_process_that_calls_itself_is_refused_at_deploy(as_):
    body = ('<bpmn:startEvent id="s"/>' + _flow("s", "again", 1) +
            '<bpmn:callActivity id="again" name="call myself" calledElement="p"/>')
    assert "calls itself" in _refused(as_, _bpmn(body))["again"]
    # Through another process, too: a calls b, b calls a.
    a = _bpmn('<bpmn:startEvent id="s"/>' + _flow("s", "to_b", 1) +
              '<bpmn:callActivity id="to_b" calledElement="b"/>', process="a")
    b = _bpmn('<bpmn:startEvent id="s"/>' + _flow("s", "to_a", 1) +
              '<bpmn:callActivity id="to_a" calledElement="a"/>', process="b")
    problems = _refused(as_, a, b)
    assert "'b', which calls back into 'a'" in problems["to_b"]


@pytest.mark.parametrize("event, messages, why", [
    ('<bpmn:messageEventDefinition/>', "", "names no message"),
    ('<bpmn:messageEventDefinition messageRef="m"/>', "", "does not define"),
    ('<bpmn:messageEventDefinition messageRef="m"/>', '<bpmn:message id="m"/>', "has no name"),
])
def test_a_message_nobody_could_send_is_refused_at_deploy(as_, event, messages, why):
    body = ('<bpmn:startEvent id="s"/>' + _flow("s", "wait", 1) +
            f'<bpmn:intermediateCatchEvent id="wait">{event}</bpmn:intermediateCatchEvent>')
    assert why in _refused(as_, _bpmn(body, extra=messages))["wait"]


@pytest.mark.parametrize("reserved", ["Start", "End"])
def test_an_element_with_an_id_the_engine_keeps_for_itself_is_refused_at_deploy(as_, reserved):
    body = (f'<bpmn:startEvent id="{reserved}"/>' + _flow(reserved, "review", 1) +
            '<bpmn:userTask id="review"/>')
    assert "give the element another id" in _refused(as_, _bpmn(body))[reserved]


def test_a_message_that_could_only_be_missed_deploys_with_a_warning(as_):
    # A boundary event nobody can trigger, and a receive task naming no message (the engine goes
    # straight past it): the process still runs, so the modeller is told rather than refused.
    body = ('<bpmn:startEvent id="s"/>' + _flow("s", "receive", 1) + '<bpmn:receiveTask id="receive"/>' +
            _flow("receive", "review", 2) + '<bpmn:userTask id="review"/>'
            '<bpmn:boundaryEvent id="chased" attachedToRef="review" cancelActivity="false">'
            '<bpmn:messageEventDefinition/></bpmn:boundaryEvent>')
    response = as_["owner"].deploy(_bpmn(body))
    assert response.status_code == 201, response.json
    warned = {w["element"]: w["message"] for w in response.json["warnings"]}
    assert "can never be triggered" in warned["chased"] and "goes straight on" in warned["receive"]
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert [t["element_id"] for t in instance["open_tasks"]] == ["review"]
