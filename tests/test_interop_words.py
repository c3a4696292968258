"""Diagrams from elsewhere (issue 23): what other tools write that a10flow refused wrongly now
deploys, and what it must refuse is said in words a modeller can act on, naming the element."""
import pytest

from helpers import CAMUNDA, bpmn, flow, form, wait_process

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


# A decision table as Trisotech writes it: DMN under the prefix semantic:, another default
# namespace, and a rule annotation column.
TRISOTECH = ('<?xml version="1.0" encoding="UTF-8"?><semantic:definitions xmlns:semantic="{ns}" '
             'xmlns="http://www.trisotech.com/definitions/_1" id="defs" name="d" namespace="x">'
             '<semantic:decision id="tier" name="Tier"><semantic:decisionTable id="t" hitPolicy="UNIQUE">'
             '<semantic:input id="i1" label="Spend"><semantic:inputExpression typeRef="number"><semantic:text>{input}'
             '</semantic:text></semantic:inputExpression></semantic:input>'
             '<semantic:output id="o1" label="Tier" name="tier" typeRef="string"/><semantic:annotation/>'
             '<semantic:rule id="r1"><semantic:inputEntry id="e1"><semantic:text>{cell}</semantic:text>'
             '</semantic:inputEntry><semantic:outputEntry id="x1"><semantic:text>{out}</semantic:text>'
             '</semantic:outputEntry><semantic:annotationEntry><semantic:text/></semantic:annotationEntry>'
             '</semantic:rule></semantic:decisionTable></semantic:decision></semantic:definitions>')
DMN13, DMN11 = "https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd"


def _rate(decision="tier"):
    return bpmn('<bpmn:startEvent id="s"/>' + flow("s", "rate", 1) +
                f'<bpmn:businessRuleTask id="rate" name="Rate" camunda:decisionRef="{decision}"/>' +
                flow("rate", "e", 2) +
                '<bpmn:endEvent id="e"/>', ns=CAMUNDA)


@pytest.mark.parametrize("ns", [DMN13, DMN11], ids=["dmn-1.3", "dmn-1.1"])
def test_a_decision_table_written_under_another_prefix_deploys_and_decides(as_, ns):
    # The engine looked for DMN under the default namespace and said "list index out of range".
    table = TRISOTECH.format(ns=ns, input="spend", cell="&gt; 1000", out='"high"')
    response = as_["owner"].deploy(_rate(), ("tier.dmn", table.encode()), form("s", spend={"type": "integer"}))
    assert response.status_code == 201, response.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"spend": 5000}}).json
    assert instance["status"] == "completed" and instance["data"]["tier"] == "high"


@pytest.mark.parametrize("input, cell, out, refused, says", [
    ("Total spend", "&gt; 1000", '"high"', False,
     "decision 'Tier': the expression 'Total spend' of input 'Spend' is not Python (invalid syntax): write the "
     "variable it reads, e.g. total_spend (until then the decision fails when an instance reaches it)"),
    ("spend", "[1000..5000]", '"high"', False,
     "decision 'Tier', rule 1, input 'Spend': the cell '[1000..5000]' is not a Python test"),
    ("spend", "&gt; 1000", '"high" risk', True,
     "decision 'Tier', rule 1, output 'Tier': the cell '\"high\" risk' is not a Python value"),
], ids=["input-expression", "input-cell", "output-cell"])
def test_a_decision_table_cell_the_engine_cannot_read_is_named_by_decision_rule_and_column(as_, input, cell, out,
                                                                                          refused, says):
    # What the engine refuses (an output cell) is refused; what it would fail on when an instance
    # reaches it (FEEL where Python is read) deploys with a warning saying so.
    response = as_["owner"].deploy(("tier.dmn", TRISOTECH.format(ns=DMN13, input=input, cell=cell, out=out)
                                    .encode()))
    assert response.status_code == (422 if refused else 201), response.json
    said = response.json["error"]["details"] if refused else response.json["warnings"]
    [message] = [d["message"] for d in said if d["element"] == "tier"]
    assert says in message
    assert "<unknown>" not in message and "Error" not in message


def test_a_business_rule_task_calling_a_decision_nowhere_says_which_decisions_there_are(as_):
    problems = _refused(as_, _rate("awesome"))
    assert problems["rate"].startswith("the business rule task calls decision 'awesome', which is neither in this "
                                       "upload nor deployed: upload the DMN file that defines it with the diagram "
                                       "(this upload has no decision table)")
    table = TRISOTECH.format(ns=DMN13, input="spend", cell="&gt; 1000", out='"high"')
    problems = _refused(as_, _rate("awesome"), ("tier.dmn", table.encode()))
    assert "or call one the upload has: 'tier'" in problems["rate"]


TNS = ' xmlns:tns="x"'   # the file's targetNamespace (helpers' bpmn() writes targetNamespace="x")


def test_references_written_as_prefixed_names_are_read_as_the_ids_they_name(as_):
    # Eclipse BPMN2 Modeler, Signavio and others write references as QNames: tns:Message_1.
    body = ('<bpmn:startEvent id="s"/>' + '<bpmn:sequenceFlow id="f1" sourceRef="tns:s" targetRef="tns:wait"/>'
            '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="tns:someMessage"/>'
            '</bpmn:intermediateCatchEvent>' + flow("wait", "review", 2) + '<bpmn:userTask id="review"/>'
            '<bpmn:boundaryEvent id="stop" attachedToRef="tns:review"><bpmn:signalEventDefinition '
            'signalRef="tns:halt"/></bpmn:boundaryEvent>' + flow("review", "halt_all", 3) +
            '<bpmn:endEvent id="halt_all"><bpmn:signalEventDefinition signalRef="tns:halt"/></bpmn:endEvent>'
            '<bpmn:boundaryEvent id="broken" attachedToRef="review"><bpmn:errorEventDefinition errorRef="tns:oops"/>'
            '</bpmn:boundaryEvent>')
    extra = ('<bpmn:message id="someMessage" name="invoice received"/><bpmn:signal id="halt" name="halt"/>'
             '<bpmn:error id="oops" errorCode="OOPS"/>')
    response = as_["owner"].deploy(bpmn(body, extra=extra, ns=TNS))
    assert response.status_code == 201, response.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert [m["message"] for m in instance["messages"]] == ["invoice received"]
    # A prefix that names no element of the file is still refused, naming the bare id.
    problems = _refused(as_, bpmn(body.replace("tns:someMessage", "tns:otherMessage"), extra=extra, ns=TNS))
    assert problems["wait"] == "the message event names message 'otherMessage', which the file does not define"


@pytest.mark.parametrize("language, code", [
    ("groovy", 'def total = price * 2\nexecution.setVariable("total", total)'),
    ("javascript", 'var total = price * 2; execution.setVariable("total", total);'),
])
def test_a_script_in_another_language_is_told_its_language_first_not_a_python_syntax_error(as_, language, code):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "work", 1) +
            f'<bpmn:scriptTask id="work" scriptFormat="{language}"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>')
    response = as_["owner"].deploy(bpmn(body))
    assert response.status_code == 422
    [said] = [d["message"] for d in response.json["error"]["details"] if d["element"] == "work"]
    assert said.startswith(f"scriptFormat '{language}' is not supported: a10flow runs Python scripts")
    assert "syntax" not in said


def test_camundas_other_spelling_of_an_expression_hash_brace_is_read_as_dollar_brace_is(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "each", 1) + '<bpmn:userTask id="each" name="Review" '
            'camunda:candidateGroups="#{reviewers}"><bpmn:multiInstanceLoopCharacteristics '
            'camunda:collection="#{suppliers}" camunda:elementVariable="supplier"/></bpmn:userTask>')
    response = as_["owner"].deploy(bpmn(body, ns=CAMUNDA),
                                   form("s", suppliers={"type": "array"}, reviewers={"type": "string"}))
    assert response.status_code == 201, response.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {
        "suppliers": ["a", "b"], "reviewers": "procurement"}}).json
    assert len(instance["open_tasks"]) == 2


def test_a_camunda_form_field_named_like_a_task_is_a_variable_not_a_clashing_id(as_):
    # Camunda Modeler: the task "approve" asks for the variable "approve"; its choice "review" is
    # named like the next task.
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "approve", 1) + '<bpmn:userTask id="approve" name="Approve">'
            '<bpmn:extensionElements><camunda:formData><camunda:formField id="approve" label="Approve?" '
            'type="boolean"/><camunda:formField id="next" type="enum"><camunda:value id="review" name="Review"/>'
            '<camunda:value id="done" name="Done"/></camunda:formField></camunda:formData></bpmn:extensionElements>'
            '</bpmn:userTask>' + flow("approve", "review", 2) + '<bpmn:userTask id="review"/>')
    response = as_["owner"].deploy(bpmn(body, ns=CAMUNDA))
    assert response.status_code == 201, response.json
    [task] = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["open_tasks"]
    done = as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approve": True, "next": "review"}})
    assert done.status_code == 200, done.json
    [task] = as_["alice"].get(f"/api/v1/instances/{task['instance_id']}").json["open_tasks"]
    assert task["element_id"] == "review"


def test_a_did_you_mean_hint_names_the_variables_in_words_not_a_python_list(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "work", 1) +
            '<bpmn:scriptTask id="work"><bpmn:script>total = amont * 2</bpmn:script></bpmn:scriptTask>')
    assert as_["owner"].deploy(bpmn(body), form("s", amount={"type": "integer"}, amounts={"type": "array"}))\
        .status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"amount": 1, "amounts": [1]}}).json
    message = instance["error"]["message"]
    assert message.startswith("the script failed: the variable 'amont' is not set")
    assert message.endswith("Did you mean 'amount' or 'amounts'?"), message
    assert "[" not in message


@pytest.mark.parametrize("definition", [
    '<bpmn:conditionalEventDefinition/>',
    '<bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression"/>'
    '</bpmn:conditionalEventDefinition>',
], ids=["no-condition", "empty-condition"])
def test_a_conditional_event_without_a_condition_is_refused_at_deploy_as_an_empty_timer_is(as_, definition):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "when", 1) +
            f'<bpmn:intermediateCatchEvent id="when">{definition}</bpmn:intermediateCatchEvent>' +
            flow("when", "review", 2) + '<bpmn:userTask id="review"/>')
    problems = _refused(as_, bpmn(body, ns=' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'))
    assert problems["when"].startswith("the conditional event has no condition: write the condition it waits for")


def test_a_start_event_in_a_pool_not_marked_executable_is_named_with_how_to_tick_it(as_):
    # Two pools: the drawn one left unticked, an empty one beside it ticked.
    drawn = ('<bpmn:process id="supplier_check" isExecutable="false"><bpmn:startEvent id="begin" name="Request in"/>'
             + flow("begin", "review", 1) + '<bpmn:userTask id="review"/></bpmn:process>')
    pools = ('<bpmn:collaboration id="c"><bpmn:participant id="pool_a" name="Procurement" processRef="supplier_check"/>'
             '<bpmn:participant id="pool_b" name="Supplier" processRef="p"/></bpmn:collaboration>')
    problems = _refused(as_, bpmn('<bpmn:userTask id="answer"/>', extra=pools + drawn))
    assert problems["p"] == ("process 'p' is executable but has no start event; the start event 'Request in' is in "
                             "pool 'Procurement' (process 'supplier_check'), which is not executable: select that "
                             "pool, tick 'Executable' in the modeller's properties panel, and untick it here")


def test_a_compensation_event_is_refused_naming_it_not_with_the_engines_xml(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "book", 1) + '<bpmn:userTask id="book" name="Book"/>'
            '<bpmn:boundaryEvent id="undo_book" name="Undo" attachedToRef="book"><bpmn:compensateEventDefinition/>'
            '</bpmn:boundaryEvent><bpmn:userTask id="cancel" isForCompensation="true"/>'
            '<bpmn:association id="a1" sourceRef="undo_book" targetRef="cancel"/>' + flow("book", "e", 2) +
            '<bpmn:endEvent id="e"/>')
    problems = _refused(as_, bpmn(body))
    assert problems["undo_book"].startswith("compensation is not run here: this event undoes finished work")
    assert "<bpmn" not in str(problems) and "NotImplemented" not in str(problems)


@pytest.mark.parametrize("kind", ["error", "escalation", "signal"])
def test_an_event_naming_an_error_the_file_does_not_define_says_so(as_, kind):
    # The engine stopped with "TypeError(... unexpected keyword argument 'node')".
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "book", 1) + '<bpmn:userTask id="book" name="Book"/>'
            f'<bpmn:boundaryEvent id="failed" attachedToRef="book"><bpmn:{kind}EventDefinition {kind}Ref="x"/>'
            '</bpmn:boundaryEvent>' + flow("failed", "e", 2) + '<bpmn:endEvent id="e"/>')
    problems = _refused(as_, bpmn(body))
    assert problems["failed"] == (f"the {kind} event names {kind} 'x', which the file does not define: choose or "
                                  f"create one under '{kind.capitalize()}' in the modeller's properties panel")


def test_a_timer_whose_variable_is_unset_names_the_variable_not_a10flows_rewritten_expression(as_):
    response = as_["owner"].deploy(("wait.bpmn", wait_process("<bpmn:timeDuration>${duration}</bpmn:timeDuration>")))
    assert response.status_code == 201, response.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "wait"}).json
    assert instance["error"]["element"] == "pause"
    message = instance["error"]["message"]
    assert message.startswith("the expression 'duration' failed: the variable 'duration' is not set"), message
    assert "timer_value" not in message and "variable(" not in message


@pytest.mark.parametrize("loop, says", [
    ('<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>${reviewers}</bpmn:loopCardinality>'
     '</bpmn:multiInstanceLoopCharacteristics>',
     "the variable 'reviewers' is not set: no form, start data or earlier step gave it a value (it is the loop "
     "cardinality: how many times this task runs)"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="${suppliers}" camunda:elementVariable="supplier"/>',
     "the variable 'suppliers' is not set: no form, start data or earlier step gave it a value (it is the "
     "collection this multi-instance task runs over)"),
], ids=["cardinality", "collection"])
def test_a_multi_instance_loop_over_an_unset_variable_names_the_task_and_the_variable(as_, loop, says):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "each", 1) +
            f'<bpmn:userTask id="each" name="Review">{loop}</bpmn:userTask>')
    assert as_["owner"].deploy(bpmn(body, ns=CAMUNDA)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    assert instance["status"] == "failed", instance
    assert (instance["error"]["element"], instance["error"]["message"]) == ("each", says)


@pytest.mark.parametrize("drawn", [
    '<bpmn:boundaryEvent id="cancelled" attachedToRef="review" cancelActivity="false">'
    '<bpmn:signalEventDefinition signalRef="stop"/></bpmn:boundaryEvent>',
    '<bpmn:subProcess id="on_cancel" triggeredByEvent="true"><bpmn:startEvent id="cancelled" isInterrupting="false">'
    '<bpmn:signalEventDefinition signalRef="stop"/></bpmn:startEvent>' + flow("cancelled", "note", 9) +
    '<bpmn:scriptTask id="note"><bpmn:script>noted = True</bpmn:script></bpmn:scriptTask>' + flow("note", "noted", 8) +
    '<bpmn:endEvent id="noted"/></bpmn:subProcess>',
], ids=["boundary-event", "event-subprocess"])
def test_a_signal_nothing_throws_beside_the_flow_is_a_warning_whether_boundary_or_event_subprocess(as_, drawn):
    # Both complete without the signal: neither waits for it for ever.
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "review", 1) + '<bpmn:userTask id="review"/>' +
            flow("review", "e", 2) + '<bpmn:endEvent id="e"/>' + drawn)
    response = as_["owner"].deploy(bpmn(body, extra='<bpmn:signal id="stop" name="stop"/>'))
    assert response.status_code == 201, response.json
    warned = {w["element"]: w["message"] for w in response.json["warnings"]}
    assert "never fires" in warned["cancelled"]
    [task] = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={}).status_code == 200
    assert as_["owner"].get(f"/api/v1/instances/{task['instance_id']}").json["status"] == "completed"


@pytest.mark.parametrize("inside", [
    '<bpmn:startEvent id="sub_start"/>' + flow("sub_start", "check", 11) + '<bpmn:userTask id="check"/>',
    '<bpmn:startEvent id="sub_start"/><bpmn:parallelGateway id="both"/>' + flow("sub_start", "both", 11) +
    flow("both", "check", 12) + flow("both", "note", 13) + '<bpmn:userTask id="check"/>'
    '<bpmn:scriptTask id="note"><bpmn:script>noted = True</bpmn:script></bpmn:scriptTask>',
], ids=["one-path", "two-paths"])
def test_a_subprocess_without_an_end_event_ends_where_nothing_follows_as_a_process_does(as_, inside):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "sub", 1) + f'<bpmn:subProcess id="sub">{inside}</bpmn:subProcess>'
            + flow("sub", "after", 2) + '<bpmn:userTask id="after"/>' + flow("after", "e", 3) +
            '<bpmn:endEvent id="e"/>')
    response = as_["owner"].deploy(bpmn(body))
    assert response.status_code == 201, response.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json
    for element in ("check", "after"):
        [task] = as_["alice"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
        assert task["element_id"] == element
        assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={}).status_code == 200
    done = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert done["status"] == "completed"


def test_an_event_subprocess_without_an_end_event_runs_and_the_process_completes(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "halt", 1) + '<bpmn:intermediateThrowEvent id="halt">'
            '<bpmn:signalEventDefinition signalRef="stop"/></bpmn:intermediateThrowEvent>' + flow("halt", "review", 2) +
            '<bpmn:userTask id="review"/><bpmn:subProcess id="on_stop" triggeredByEvent="true">'
            '<bpmn:startEvent id="stopped" '
            'isInterrupting="false"><bpmn:signalEventDefinition signalRef="stop"/></bpmn:startEvent>' +
            flow("stopped", "note", 9) + '<bpmn:scriptTask id="note"><bpmn:script>noted = True</bpmn:script>'
            '</bpmn:scriptTask></bpmn:subProcess>')
    response = as_["owner"].deploy(bpmn(body, extra='<bpmn:signal id="stop" name="stop"/>'))
    assert response.status_code == 201, response.json
    [task] = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={}).status_code == 200
    done = as_["owner"].get(f"/api/v1/instances/{task['instance_id']}").json
    assert done["status"] == "completed", done
