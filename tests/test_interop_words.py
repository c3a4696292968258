"""Diagrams from elsewhere (issue 23): what other tools write that a10flow refused wrongly now
deploys, and what it must refuse is said in words a modeller can act on, naming the element."""
import pytest

from conftest import CAMUNDA, bpmn, flow, form

ZEEBE = ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'


def _refused(as_, *files):
    response = as_["owner"].deploy(*files)
    assert response.status_code == 422, response.json
    return {d["element"]: d["message"] for d in response.json["error"]["details"]}


def _service(attributes="", extension=""):
    return ('<bpmn:startEvent id="s"/>' + flow("s", "check", 1) +
            f'<bpmn:serviceTask id="check" name="Check" {attributes}>'
            f'<bpmn:extensionElements>{extension}</bpmn:extensionElements></bpmn:serviceTask>')


@pytest.mark.parametrize("attributes, extension, ns, says", [
    ('flowable:class="org.acme.Check"', "", ' xmlns:flowable="http://flowable.org/bpmn"',
     "uses flowable:class='org.acme.Check', Java code that runs inside Flowable"),
    ('activiti:class="org.acme.Check"', "", ' xmlns:activiti="http://activiti.org/bpmn"',
     "uses activiti:class='org.acme.Check', Java code that runs inside Activiti"),
    ('camunda:type="external" camunda:topic="check-order"', "", CAMUNDA,
     "is a Camunda external task (topic 'check-order'), which a worker program fetches from Camunda"),
    ("", '<camunda:connector><camunda:connectorId>http-connector</camunda:connectorId></camunda:connector>', CAMUNDA,
     "calls the Camunda Connect connector 'http-connector' (camunda:connector), which Camunda itself runs"),
    ("", '<zeebe:taskDefinition type="check-order"/>', ZEEBE,
     "is a Camunda 8 job worker (zeebe:taskDefinition type 'check-order'), which a worker program fetches"),
], ids=["flowable-class", "activiti-class", "camunda-external", "camunda-connector", "zeebe-job-worker"])
def test_a_service_task_for_another_engine_is_refused_naming_what_it_runs(as_, attributes, extension, ns, says):
    # Not "the service task names no operator": the modeller did name something, for another engine.
    problems = _refused(as_, bpmn(_service(attributes, extension), ns=ns))
    assert says in problems["check"] and "a10flow cannot run it" in problems["check"]
    assert "script task" in problems["check"]


def test_a_camunda_8_model_refused_for_something_else_is_still_told_it_is_one(as_):
    # No start event: the engine refuses it, after the Camunda 8 word was only a warning.
    response = as_["owner"].deploy(bpmn('<bpmn:userTask id="review" name="Review"/>', ns=ZEEBE))
    assert response.status_code == 422
    said = [d["message"] for d in response.json["error"]["details"]]
    assert "Camunda 8 (Zeebe) model" in said[0] and "no start event" in said[1]
    # A job worker: both words, the model's and the task's, not one hiding the other.
    problems = _refused(as_, bpmn(_service("", '<zeebe:taskDefinition type="check"/>'), ns=ZEEBE))
    assert "Camunda 8 (Zeebe) model" in problems["p"] and "job worker" in problems["check"]
