"""Diagrams people bring from elsewhere: what SpiffWorkflow would run wrongly or for ever is
refused at deploy in words a modeller can act on, and an instance that has nothing left to do
is completed, end event or not."""
import json

import pytest

from helpers import CAMUNDA, HEAD, bpmn, flow, form, signed_in


@pytest.mark.parametrize("body", [
    # A task nothing follows: the process simply stops there.
    '<bpmn:startEvent id="s"/>' + flow("s", "review", 1) + '<bpmn:userTask id="review" name="Review"/>',
    # Two branches that each just stop.
    '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="split"/>' + flow("s", "split", 1) +
    flow("split", "review", 2) + flow("split", "note", 3) +
    '<bpmn:userTask id="review" name="Review"/><bpmn:scriptTask id="note"><bpmn:script>noted = 1</bpmn:script>'
    '</bpmn:scriptTask>',
], ids=["task-without-end", "branches-without-end"])
def test_a_process_without_an_end_event_completes_when_nothing_is_left(as_, body):
    assert as_["owner"].deploy(bpmn(body)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    [task] = instance["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={}).status_code == 200
    done = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert done["status"] == "completed" and done["open_tasks"] == []
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert chain[-1]["type"] == "instance.completed"


def test_a_diagram_that_is_only_a_start_event_completes_at_once(as_):
    assert as_["owner"].deploy(bpmn('<bpmn:startEvent id="s"/>')).status_code == 201
    assert as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["status"] == "completed"


def _refused(as_, *files):
    response = as_["owner"].deploy(*files)
    assert response.status_code == 422, response.json
    return {d["element"]: d["message"] for d in response.json["error"]["details"]}


def test_a_process_that_calls_itself_is_refused_at_deploy(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "again", 1) +
            '<bpmn:callActivity id="again" name="call myself" calledElement="p"/>')
    assert "calls itself" in _refused(as_, bpmn(body))["again"]
    # Through another process, too: a calls b, b calls a.
    a = bpmn('<bpmn:startEvent id="s"/>' + flow("s", "to_b", 1) +
              '<bpmn:callActivity id="to_b" calledElement="b"/>', process="a")
    b = bpmn('<bpmn:startEvent id="s"/>' + flow("s", "to_a", 1) +
              '<bpmn:callActivity id="to_a" calledElement="a"/>', process="b")
    problems = _refused(as_, a, b)
    assert "'b', which calls back into 'a'" in problems["to_b"]


@pytest.mark.parametrize("event, messages, why", [
    ('<bpmn:messageEventDefinition/>', "", "names no message"),
    ('<bpmn:messageEventDefinition messageRef="m"/>', "", "does not define"),
    ('<bpmn:messageEventDefinition messageRef="m"/>', '<bpmn:message id="m"/>', "has no name"),
])
def test_a_message_nobody_could_send_is_refused_at_deploy(as_, event, messages, why):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "wait", 1) +
            f'<bpmn:intermediateCatchEvent id="wait">{event}</bpmn:intermediateCatchEvent>')
    assert why in _refused(as_, bpmn(body, extra=messages))["wait"]


@pytest.mark.parametrize("reserved", ["Start", "End"])
def test_an_element_with_an_id_the_engine_keeps_for_itself_is_refused_at_deploy(as_, reserved):
    body = (f'<bpmn:startEvent id="{reserved}"/>' + flow(reserved, "review", 1) +
            '<bpmn:userTask id="review"/>')
    assert "give the element another id" in _refused(as_, bpmn(body))[reserved]


def test_a_message_that_could_only_be_missed_deploys_with_a_warning(as_):
    # A boundary event nobody can trigger, and a receive task naming no message (the engine goes
    # straight past it): the process still runs, so the modeller is told rather than refused.
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "receive", 1) + '<bpmn:receiveTask id="receive"/>' +
            flow("receive", "review", 2) + '<bpmn:userTask id="review"/>'
            '<bpmn:boundaryEvent id="chased" attachedToRef="review" cancelActivity="false">'
            '<bpmn:messageEventDefinition/></bpmn:boundaryEvent>')
    response = as_["owner"].deploy(bpmn(body))
    assert response.status_code == 201, response.json
    warned = {w["element"]: w["message"] for w in response.json["warnings"]}
    assert "can never be triggered" in warned["chased"] and "goes straight on" in warned["receive"]
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert [t["element_id"] for t in instance["open_tasks"]] == ["review"]


def _script(code, name="work"):
    code = code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ('<bpmn:startEvent id="s"/>' + flow("s", name, 1) +
            f'<bpmn:scriptTask id="{name}"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>')


def _failure(as_, body):
    response = as_["owner"].deploy(bpmn(body))
    assert response.status_code == 201, response.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert instance["status"] == "failed"
    return instance["error"]["message"], {w["element"]: w["message"] for w in response.json["warnings"]}


@pytest.mark.parametrize("code, says", [
    ("total = price * 2", "the script failed: the variable 'price' is not set: no form, start data or earlier "
                          "step gave it a value."),
    ("x = 1 + 'a'", "the script failed: a value does not fit: unsupported operand type(s) for +: 'int' and 'str'."),
    ("x = 1 / 0", "the script failed: division by zero."),
    ("x = {}['tier']", "the script failed: the data has no entry 'tier'."),
])
def test_a_failing_script_says_why_in_words_not_in_python_exceptions(as_, code, says):
    message, _ = _failure(as_, _script(code))
    assert message == says


def test_a_failing_condition_names_the_expression_and_the_missing_variable(as_):
    body = ('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/>' + flow("s", "g", 1) +
            '<bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e"><bpmn:conditionExpression>tier == "high"'
            '</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:endEvent id="e"/>')
    response = as_["owner"].deploy(bpmn(body))
    assert response.status_code == 201, response.json
    message = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["error"]["message"]
    assert message.startswith("the expression 'tier == \"high\"' failed: the variable 'tier' is not set")


def test_a_spiffarena_script_gets_time_and_random_and_is_told_of_what_a10flow_lacks(as_):
    ok = _script("import random\nstarted = time.time()\nn = random.randint(1, 3)\ndata = get_current_task_data()")
    assert as_["owner"].deploy(bpmn(ok)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert instance["status"] == "completed" and 1 <= instance["data"]["n"] <= 3
    assert float(instance["data"]["started"]) > 0

    message, warned = _failure(as_, _script("key = get_secret('API_KEY')"))
    assert "get_secret() is one of SpiffArena's script functions, which a10flow does not offer" in warned["work"]
    assert message == "the script failed: get_secret() is one of SpiffArena's script functions, which a10flow " \
                      "does not offer."
    message, warned = _failure(as_, _script("time.sleep(5)"))
    assert "Draw a timer event" in warned["work"] and "Draw a timer event" in message


def test_what_camunda_7_runs_and_a10flow_does_not_is_a_warning_naming_the_element(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "review", 1) + '<bpmn:userTask id="review">'
            '<bpmn:extensionElements><camunda:taskListener event="create" class="x.Y"/>'
            '<camunda:inputOutput><camunda:inputParameter name="a">1</camunda:inputParameter></camunda:inputOutput>'
            '</bpmn:extensionElements></bpmn:userTask>')
    response = as_["owner"].deploy(bpmn(body, ns=CAMUNDA))
    assert response.status_code == 201, response.json
    said = [w["message"] for w in response.json["warnings"] if w["element"] == "review"]
    assert any("task listener" in m for m in said) and any("input/output mappings" in m for m in said)


def test_a_camunda_8_model_is_refused_once_saying_what_it_is(as_):
    body = ('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/>' + flow("s", "g", 1) +
            ''.join(f'<bpmn:sequenceFlow id="c{n}" sourceRef="g" targetRef="e"><bpmn:conditionExpression>'
                    f'= amount &gt; {n}</bpmn:conditionExpression></bpmn:sequenceFlow>' for n in range(3)) +
            '<bpmn:endEvent id="e"/>')
    [(element, message)] = _refused(as_, bpmn(body, ns=' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'))\
        .items()
    assert element == "p" and "Camunda 8 (Zeebe) model" in message and "3 FEEL condition(s)" in message


def test_a_data_store_drawn_for_documentation_deploys_and_runs(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "review", 1) + '<bpmn:userTask id="review">'
            '<bpmn:dataOutputAssociation id="da"><bpmn:targetRef>ledger</bpmn:targetRef></bpmn:dataOutputAssociation>'
            '</bpmn:userTask><bpmn:dataStoreReference id="ledger" name="Supplier ledger" dataStoreRef="store"/>')
    response = as_["owner"].deploy(bpmn(body, extra='<bpmn:dataStore id="store" name="Ledger"/>'))
    assert response.status_code == 201, response.json
    assert "drawn for documentation" in {w["element"]: w["message"] for w in response.json["warnings"]}["ledger"]
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert [t["element_id"] for t in instance["open_tasks"]] == ["review"]


def test_a_spiffarena_store_whose_class_the_engine_cannot_tell_is_refused_in_words(as_):
    # SpiffArena knows a store's kind by its dataStore's name; the reference's type is only a hint.
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "work", 1) + '<bpmn:scriptTask id="work">'
            '<bpmn:dataInputAssociation id="da"><bpmn:sourceRef>kkv</bpmn:sourceRef></bpmn:dataInputAssociation>'
            '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
            '<bpmn:dataStoreReference id="kkv" name="settings" dataStoreRef="store" type="kkv"/>')
    problems = _refused(as_, bpmn(body, extra='<bpmn:dataStore id="store" name="Settings"/>'))
    assert "is not named KKVDataStore" in problems["kkv"]


DMN = ('<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
       'id="defs" name="d" namespace="x"><decision id="tier" name="Tier">{}</decision></definitions>')


def test_a_decision_table_whose_inputs_have_no_ids_deploys(as_):
    table = ('<decisionTable><input label="Spend"><inputExpression typeRef="number"><text>spend</text>'
             '</inputExpression></input><output name="tier" typeRef="string"/><rule><inputEntry><text>&gt; 100'
             '</text></inputEntry><outputEntry><text>"high"</text></outputEntry></rule></decisionTable>')
    response = as_["owner"].deploy(("tier.dmn", DMN.format(table).encode()))
    assert response.status_code == 201, response.json


def test_a_decision_that_is_not_a_table_is_refused_saying_what_it_is(as_):
    literal = '<literalExpression><text>spend * 2</text></literalExpression>'
    problems = _refused(as_, ("tier.dmn", DMN.format(literal).encode()))
    assert "decision 'Tier' is a literal expression, which a10flow does not evaluate" in problems["tier"]


def test_broken_xml_is_refused_with_its_line_and_no_python(as_):
    response = as_["owner"].deploy(("p.bpmn", HEAD.encode() + b"<bpmn:process></bpmn:definitions>"))
    [detail] = response.json["error"]["details"]
    assert detail["message"].startswith("not well-formed XML") and "line 2" in detail["message"]
    assert "<string>" not in detail["message"]


def test_a_decision_requirements_diagram_deploys_its_tables_and_says_what_it_left_out(as_):
    table = ('<decisionTable><input label="Spend"><inputExpression typeRef="number"><text>spend</text>'
             '</inputExpression></input><output name="tier" typeRef="string"/></decisionTable>')
    both = DMN.format(table).replace('</definitions>', '<decision id="note" name="Note"><literalExpression>'
                                     '<text>1</text></literalExpression></decision></definitions>')
    response = as_["owner"].deploy(("tier.dmn", both.encode()))
    assert response.status_code == 201, response.json
    assert [d["key"] for d in response.json["decisions"]] == ["tier"]
    assert "left out" in {w["element"]: w["message"] for w in response.json["warnings"]}["note"]


def test_a_quartz_cron_timer_is_refused_saying_what_to_write_instead(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "daily", 1) + '<bpmn:intermediateCatchEvent id="daily">'
            '<bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 * * ?</bpmn:timeCycle></bpmn:timerEventDefinition>'
            '</bpmn:intermediateCatchEvent>')
    assert "is a Quartz cron expression" in _refused(as_, bpmn(body))["daily"]


def test_a_loop_that_never_waits_is_stopped_as_an_incident_not_a_hang(as_, monkeypatch):
    from a10flow.engine import runner
    monkeypatch.setattr(runner, "MAX_STEP_TASKS", 40)
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "count", 1) +
            '<bpmn:scriptTask id="count" name="Count"><bpmn:script>n = variable("n", 0) + 1</bpmn:script>'
            '</bpmn:scriptTask>' + flow("count", "again", 2) + '<bpmn:exclusiveGateway id="again" default="back"/>'
            '<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="count"/>'
            '<bpmn:sequenceFlow id="out" sourceRef="again" targetRef="e"><bpmn:conditionExpression>n &lt; 0'
            '</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:endEvent id="e"/>')
    assert as_["owner"].deploy(bpmn(body)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert instance["status"] == "failed"
    assert "ran 40 tasks without waiting for a person, a timer or a message" in instance["error"]["message"]
    assert as_["owner"].post(f"/api/v1/instances/{instance['id']}/cancel", json={"reason": "loops"}).status_code == 200


def test_processes_that_come_to_call_each_other_are_refused_and_nesting_is_bounded(as_, monkeypatch):
    # b is deployed first; a calls b; then a new b would call a: deploy follows the deployed a.
    def calling(process, called):
        return bpmn('<bpmn:startEvent id="s"/>' + flow("s", "call", 1) +
                     (f'<bpmn:callActivity id="call" calledElement="{called}"/>' if called else
                      '<bpmn:userTask id="call"/>'), process=process)
    assert as_["owner"].deploy(calling("b", None)).status_code == 201
    assert as_["owner"].deploy(calling("a", "b")).status_code == 201
    assert "which calls back into" in _refused(as_, calling("b", "a"))["call"]
    # Should anything get past deploy, the run stops at a depth (here 0: a's call of b is one too many).
    from a10flow.engine import runner
    monkeypatch.setattr(runner, "MAX_CALL_DEPTH", 0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "a"}).json
    assert instance["status"] == "failed"
    assert "processes call each other more than 0 deep" in instance["error"]["message"]


SIGNAL = '<bpmn:signal id="go" name="Go"/>'


def test_a_signal_nothing_can_send_is_refused_and_one_the_process_throws_runs(as_):
    wait = ('<bpmn:startEvent id="s"/>' + flow("s", "wait", 1) + '<bpmn:intermediateCatchEvent id="wait">'
            '<bpmn:signalEventDefinition signalRef="go"/></bpmn:intermediateCatchEvent>')
    assert "nothing in this file throws the signal 'Go'" in _refused(as_, bpmn(wait, extra=SIGNAL))["wait"]

    both = ('<bpmn:startEvent id="s"/><bpmn:parallelGateway id="split"/><bpmn:parallelGateway id="join"/>' +
            flow("s", "split", 1) + flow("split", "wait", 2) + flow("split", "review", 3) +
            '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="go"/>'
            '</bpmn:intermediateCatchEvent><bpmn:userTask id="review"/>' + flow("review", "send", 4) +
            '<bpmn:intermediateThrowEvent id="send"><bpmn:signalEventDefinition signalRef="go"/>'
            '</bpmn:intermediateThrowEvent>' + flow("send", "join", 5) + flow("wait", "join", 6) +
            '<bpmn:endEvent id="e"/>' + flow("join", "e", 7))
    assert as_["owner"].deploy(bpmn(both, extra=SIGNAL)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    [task] = instance["open_tasks"]
    as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={})
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


def test_a_signal_start_beside_a_plain_start_deploys_with_a_warning(as_):
    body = ('<bpmn:startEvent id="s"/><bpmn:startEvent id="on_go"><bpmn:signalEventDefinition signalRef="go"/>'
            '</bpmn:startEvent>' + flow("s", "review", 1) + flow("on_go", "review", 2) + '<bpmn:userTask id="review"/>')
    response = as_["owner"].deploy(bpmn(body, extra=SIGNAL))
    assert response.status_code == 201, response.json
    assert "never fires" in {w["element"]: w["message"] for w in response.json["warnings"]}["on_go"]


def test_a_task_with_several_outgoing_flows_splits_as_bpmn_says(as_):
    # No conditions: every flow is taken (an implicit parallel split), as the MIWG A.4.0 exports draw it.
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "triage", 1) + '<bpmn:userTask id="triage"/>' +
            flow("triage", "legal", 2) + flow("triage", "security", 3) +
            '<bpmn:userTask id="legal"/><bpmn:userTask id="security"/>')
    assert as_["owner"].deploy(bpmn(body)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    [task] = instance["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={}).status_code == 200
    opened = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
    assert sorted(t["element_id"] for t in opened) == ["legal", "security"]


def test_a_process_deployed_earlier_splits_as_bpmn_says_when_another_calls_it(as_):
    # The called process is read again from the file as uploaded: deploy's rewrites are made again.
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "triage", 1) +
            '<bpmn:scriptTask id="triage"><bpmn:script>triaged = True</bpmn:script></bpmn:scriptTask>' +
            flow("triage", "legal", 2) + flow("triage", "security", 3) +
            '<bpmn:userTask id="legal"/><bpmn:userTask id="security"/>')
    assert as_["owner"].deploy(bpmn(body, process="review")).status_code == 201
    caller = bpmn('<bpmn:startEvent id="s"/>' + flow("s", "call", 1) + '<bpmn:callActivity id="call" '
                  'calledElement="review"/>', process="caller")
    assert as_["owner"].deploy(caller).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "caller"}).json
    assert sorted(t["element_id"] for t in instance["open_tasks"]) == ["legal", "security"]


def test_conditional_flows_out_of_a_task_take_each_whose_condition_holds(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "rate", 1) +
            '<bpmn:scriptTask id="rate"><bpmn:script>tier = "high"</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="high" sourceRef="rate" targetRef="audit"><bpmn:conditionExpression>'
            'tier == "high"</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="low" sourceRef="rate" targetRef="skip"><bpmn:conditionExpression>'
            'tier == "low"</bpmn:conditionExpression></bpmn:sequenceFlow>' + flow("rate", "file", 9) +
            '<bpmn:userTask id="audit"/><bpmn:userTask id="skip"/><bpmn:userTask id="file"/>')
    assert as_["owner"].deploy(bpmn(body)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert sorted(t["element_id"] for t in instance["open_tasks"]) == ["audit", "file"]


def test_a_boundary_event_that_catches_nothing_is_refused_by_name(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "review", 1) + '<bpmn:userTask id="review"/>'
            '<bpmn:boundaryEvent id="b" name="Late" attachedToRef="review"/>')
    assert "boundary event 'Late' catches nothing" in _refused(as_, bpmn(body))["b"]


def test_a_camunda_generated_form_becomes_the_task_form(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "review", 1) + '<bpmn:userTask id="review" name="Review">'
            '<bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="supplier" label="Supplier name" type="string">'
            '<camunda:validation><camunda:constraint name="required"/><camunda:constraint name="maxlength" '
            'config="80"/></camunda:validation></camunda:formField>'
            '<camunda:formField id="seats" label="Seats" type="long" defaultValue="5"/>'
            '<camunda:formField id="tier" label="Tier" type="enum" defaultValue="low">'
            '<camunda:value id="low" name="Low risk"/><camunda:value id="high" name="High risk"/></camunda:formField>'
            '<camunda:formField id="signed" label="Contract signed" type="boolean"/>'
            '</camunda:formData></bpmn:extensionElements></bpmn:userTask>')
    response = as_["owner"].deploy(bpmn(body, ns=CAMUNDA))
    assert response.status_code == 201, response.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    [task] = instance["open_tasks"]
    form = as_["alice"].get(f"/api/v1/tasks/{task['id']}").json["form"]["schema"]
    print("FORM", form)
    assert form["required"] == ["supplier"]
    assert form["properties"]["supplier"] == {"type": "string", "title": "Supplier name", "maxLength": 80}
    assert form["properties"]["seats"] == {"type": "integer", "title": "Seats", "default": 5}
    assert form["properties"]["tier"]["enum"] == ["low", "high"]
    assert form["properties"]["signed"]["type"] == "boolean"
    refused = as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"seats": 2}})
    assert refused.status_code == 422 and "supplier" in str(refused.json)
    done = as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete",
                             json={"data": {"supplier": "Acme", "seats": 2, "tier": "high", "signed": True}})
    assert done.status_code == 200, done.json


def test_a_spiffarena_multi_instance_whose_input_and_output_items_share_an_id_runs(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "each", 1) + '<bpmn:userTask id="each" name="Review">'
            '<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopDataInputRef>suppliers'
            '</bpmn:loopDataInputRef><bpmn:loopDataOutputRef>suppliers</bpmn:loopDataOutputRef>'
            '<bpmn:inputDataItem id="supplier" name="supplier"/><bpmn:outputDataItem id="supplier" name="supplier"/>'
            '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>')
    assert as_["owner"].deploy(bpmn(body), form("s", suppliers={"type": "array"})).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"suppliers": ["a", "b"]}}).json
    assert [t["element_id"] for t in instance["open_tasks"]] == ["each"]


def test_a_spiffarena_form_takes_its_choices_from_the_task_data(app, as_):
    schema = {"type": "object", "required": ["currency"], "properties": {"currency": {
        "title": "Currency", "type": "string", "anyOf": ["options_from_task_data_var:currencies"]}}}
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "pick", 1) + '<bpmn:userTask id="pick" name="Pick">'
            '<bpmn:extensionElements><spiffworkflow:preScript>currencies = [{"value": "EUR", "label": "Euro"}, '
            '"GBP"]</spiffworkflow:preScript></bpmn:extensionElements></bpmn:userTask>')
    spiff = ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
    response = as_["owner"].deploy(bpmn(body, ns=spiff), ("pick.schema.json", json.dumps(schema).encode()))
    assert response.status_code == 201, response.json
    [task] = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["open_tasks"]
    refused = as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"currency": "USD"}})
    assert refused.status_code == 422 and "choose one of EUR, GBP" in str(refused.json)
    page = signed_in(app, "alice").get(f"/tasks/{task['id']}").text
    assert '<option value="EUR"' in page and '<option value="GBP"' in page
    done = as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"currency": "EUR"}})
    assert done.status_code == 200, done.json

def test_the_other_side_of_a_collaboration_drawn_only_to_show_it_does_not_need_named_messages(as_):
    theirs = ('<bpmn:process id="supplier_side" isExecutable="false"><bpmn:startEvent id="their_start">'
              '<bpmn:messageEventDefinition/></bpmn:startEvent></bpmn:process>')
    body = '<bpmn:startEvent id="s"/>' + flow("s", "review", 1) + '<bpmn:userTask id="review"/>'
    assert as_["owner"].deploy(bpmn(body, extra=theirs)).status_code == 201


def test_a_camunda_multi_instance_over_a_collection_runs_once_per_item(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "each", 1) + '<bpmn:userTask id="each" name="Review">'
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${suppliers}" '
            'camunda:elementVariable="supplier"/></bpmn:userTask>')
    assert as_["owner"].deploy(bpmn(body, ns=CAMUNDA), form("s", suppliers={"type": "array"})).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"suppliers": ["a", "b"]}}).json
    assert len(instance["open_tasks"]) == 2
    for task in instance["open_tasks"]:
        assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={}).status_code == 200
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


def test_juel_in_a_loop_cardinality_is_read_like_a_condition_and_refused_where_it_cannot_run(as_):
    def loop(cardinality):
        return bpmn('<bpmn:startEvent id="s"/>' + flow("s", "each", 1) + '<bpmn:userTask id="each">'
                     f'<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{cardinality}'
                     '</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>')
    assert as_["owner"].deploy(loop("${reviewers}"), form("s", reviewers={"type": "integer"})).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"reviewers": 3}}).json
    assert len(instance["open_tasks"]) == 3
    assert "cannot run in a10flow" in _refused(as_, loop("${reviewers.size()}"))["each"]


def test_juel_in_a_conditional_event_is_read_like_a_condition(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "when", 1) + '<bpmn:intermediateCatchEvent id="when">'
            '<bpmn:conditionalEventDefinition><bpmn:condition>${ready}</bpmn:condition>'
            '</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>' + flow("when", "review", 2) +
            '<bpmn:userTask id="review"/>')
    assert as_["owner"].deploy(bpmn(body), form("s", ready={"type": "boolean"})).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"ready": True}}).json
    assert [t["element_id"] for t in instance["open_tasks"]] == ["review"]


def test_a_refusal_names_the_element_by_its_name_as_well_as_its_id(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "again", 1) +
            '<bpmn:callActivity id="again" name="Call myself" calledElement="p"/>')
    [detail] = as_["owner"].deploy(bpmn(body)).json["error"]["details"]
    assert (detail["element"], detail["name"]) == ("again", "Call myself")
    warned = as_["owner"].deploy(bpmn('<bpmn:startEvent id="s"/>' + flow("s", "late", 1) +
                                       '<bpmn:receiveTask id="late" name="Wait for the invoice"/>')).json
    assert {(w["element"], w["name"]) for w in warned["warnings"]} == {("late", "Wait for the invoice")}


@pytest.mark.parametrize("body, says", [
    ('<bpmn:userTask id="review"/>', "the process has no start event: draw one where it begins"),
    ('<bpmn:startEvent id="s"/>' + flow("s", "g", 1) + '<bpmn:exclusiveGateway id="g"/>' + flow("g", "a", 2) +
     flow("g", "b", 3) + '<bpmn:userTask id="a"/><bpmn:userTask id="b"/>',
     "a flow out of this exclusive gateway has neither a condition nor is it the default"),
], ids=["no-start-event", "gateway-flow-without-condition"])
def test_what_the_engine_refuses_is_said_in_a_modellers_words(as_, body, says):
    problems = _refused(as_, bpmn(body))
    assert any(says in message for message in problems.values()), problems


def test_an_id_with_quotes_and_brackets_is_an_id_not_a_path(as_):
    # A modeller may type any character into an id; deploy compares ids, it never builds a query of them.
    tier = (DMN.format('<decisionTable><input label="Spend"><inputExpression typeRef="number"><text>spend</text>'
                       '</inputExpression></input><output name="tier" typeRef="string"/></decisionTable>'))
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "rate&apos;]", 1) +
            '<bpmn:businessRuleTask id="rate&apos;]" camunda:decisionRef="tier"/>')
    response = as_["owner"].deploy(bpmn(body, ns=CAMUNDA), ("tier.dmn", tier.encode()))
    assert response.status_code == 201, response.json
