"""What an engine task did, observed around its run, as a happening its evidence record keeps: the
path a gateway took, a decision table's inputs, matched rules and outputs, and what a script, a
service call or a decision changed in the instance's data. An auditor asks who decided what, on which
facts, under which rule; these records answer for the steps no person took."""
import copy

from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin as BusinessRuleTask
from SpiffWorkflow.util.task import TaskState

from .errors import element
from .happenings import Happening, Kind


def before(task):
    """What to keep of ``task`` before it runs, to say afterwards what it did."""
    if isinstance(task.task_spec, (ScriptTask, ServiceTask, BusinessRuleTask)):
        return {"data": copy.deepcopy(task.data), "decision": _decision(task)}
    return {}


def after(task, kept, calls):
    """The happenings of ``task``, which just ran; ``kept`` is what ``before`` kept of it."""
    element_id, name = element(task)
    spec = task.task_spec
    if isinstance(spec, (ExclusiveGateway, InclusiveGateway)):
        taken = [c for c in task.children if c.state not in (TaskState.MAYBE, TaskState.LIKELY, TaskState.CANCELLED)]
        flows = (getattr(spec, "extensions", None) or {}).get("flows", {})   # put there at deploy
        targets = [_target(c) for c in taken]
        return [Happening(Kind.GATEWAY_PATH_TAKEN, element_id, name, {
            "to": targets, "flows": [flows[t] | {"to": t} for t in targets if t in flows]})]
    stores = {s.bpmn_id for s in (*getattr(spec, "data_input_associations", []),
                                  *getattr(spec, "data_output_associations", []))
              if isinstance(s, BpmnDataStoreSpecification)}   # what comes and goes with a store is its own record
    changes = changed(kept.get("data", {}), task.data, stores)
    if isinstance(spec, BusinessRuleTask):
        return [Happening(Kind.DECISION_EVALUATED, element_id, name,
                          kept["decision"] | {"outputs": _outputs(task), "changes": changes})]
    if isinstance(spec, ScriptTask):
        return [Happening(Kind.SCRIPT_RUN, element_id, name, {"changes": changes})]
    if isinstance(spec, ServiceTask):
        call = calls.pop()  # the one call_service just made for this task
        return [Happening(Kind.SERVICE_RUN, element_id, name,
                          {"operator": call.operator, "params": call.params, "changes": changes})]
    return []  # timers are recorded by advance(), which knows when they were due


def _outputs(task):
    """Each output of the table and the value it now has: the decision's result, also where it
    changed nothing (a re-assessment that keeps the tier)."""
    engine = getattr(task.task_spec, "dmnEngine", None)
    result = {}
    for output in engine.decision_table.outputs if engine else []:
        value = task.data
        for part in (output.name or "").split("."):   # "supplier.tier" is nested, as the engine writes it
            value = value.get(part) if isinstance(value, dict) else None
        result[output.name or output.label or output.id] = value
    return result


def changed(old, new, leave_out=()):
    """What went from ``old`` data to ``new``: variables added and removed, and changed ones with
    their old and new values (the engine's own ``_…`` variables and those in ``leave_out`` left out)."""
    def shown(data):
        return {k: v for k, v in data.items() if not str(k).startswith("_") and k not in leave_out}
    old, new = shown(old), shown(new)
    return {"added": {k: new[k] for k in new if k not in old},
            "changed": {k: {"from": old[k], "to": new[k]} for k in new if k in old and old[k] != new[k]},
            "removed": sorted(k for k in old if k not in new)}


def _target(child):
    """The BPMN element a gateway's flow leads to. A task with boundary events is entered through
    the engine's own split before it, which has no element id: its name carries the task's."""
    return element(child)[0] or child.task_spec.name.removesuffix(".BoundaryEventSplit")


def _decision(task):
    """The table a business rule task is about to evaluate: its inputs' values and the rules that
    match them. Evaluated again right after this, on the same data, by the engine itself."""
    engine = getattr(task.task_spec, "dmnEngine", None)
    if engine is None:
        return {}
    table = engine.decision_table
    evaluate = task.workflow.script_engine.evaluate
    inputs = {}
    for item in table.inputs:
        try:
            inputs[item.label or item.expression or item.id] = evaluate(task, item.expression)
        except Exception:   # the run itself fails on it, and its incident says why
            inputs[item.label or item.expression or item.id] = None
    try:
        matched = engine.decide(task)
    except Exception:
        matched = []
    ran = (getattr(task.task_spec, "extensions", None) or {}).get("table_file") or {}   # put there at deploy
    return {"table": {"id": table.id, "hit_policy": table.hit_policy} | ({"name": table.name} if table.name else {})
            | ran,
            "inputs": inputs,
            "rules": [{"row": rule.row_number, "id": rule.id, "annotation": rule.description or None}
                      for rule in matched]}
