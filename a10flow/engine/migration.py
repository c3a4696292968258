"""Moving a running instance to another version of its process.

An instance's state names each task by its element. The move is allowed when every element
the instance has passed or waits at is still there in the new version, as the same kind of
element; what lies ahead is predicted again from the new version. Anything else is refused
with the elements at fault, and nothing changes.
"""
import copy
import re
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.util.task import TaskState

from . import state
from .errors import EngineError, guard

_AHEAD = TaskState.PREDICTED_MASK | TaskState.FUTURE   # not reached yet: predicted from the spec
_JOINS = (ExclusiveGateway, InclusiveGateway, ParallelGateway)
_AT = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class MigrationRefused(Exception):
    """The new version does not fit the instance; ``problems`` are (element id, message)."""

    def __init__(self, problems):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def migrate(old_specs, new_specs, saved):
    """The instance in ``saved`` (state of ``old_specs``) as a workflow of ``new_specs``.

    :raises MigrationRefused: naming each element that stands in the way.
    """
    saved = copy.deepcopy(saved)
    problems, regrow = [], []
    parts = [(saved["tasks"], old_specs[0], new_specs[0])]
    for sub in saved["subprocesses"].values():
        if sub["spec"] not in new_specs[1]:
            problems.append((sub["spec"], f"the instance is inside {sub['spec']!r}, which the new version "
                                          f"does not have"))
            continue
        parts.append((sub["tasks"], old_specs[1].get(sub["spec"]), new_specs[1][sub["spec"]]))
    for tasks, old, new in parts:
        for task in list(tasks.values()):
            if task["id"] in tasks and task["state"] & _AT:
                regrow.append(task["id"])
                _drop_ahead(tasks, task)
        for task in tasks.values():
            problems.extend(_misfit(task, old, new))
    if problems:
        raise MigrationRefused(problems)
    try:
        workflow = guard(lambda: state.load_state(new_specs, saved))
        for task_id in regrow:
            task = guard(lambda i=task_id: workflow.get_task_from_id(UUID(i)))
            guard(lambda t=task: t.task_spec._predict(t, mask=_AHEAD | t.state), task)
    except EngineError as exc:
        raise MigrationRefused([(exc.element_id, f"the engine cannot continue it there: {exc.message}")]) from exc
    return workflow


def _drop_ahead(tasks, task):
    """Remove what was predicted after ``task``; the new version predicts it again."""
    keep = []
    for child_id in task["children"]:
        child = tasks.get(child_id)
        if child is not None and child["state"] & _AHEAD:
            _drop_ahead(tasks, child)
            del tasks[child_id]
        else:
            keep.append(child_id)
    task["children"] = keep


def _misfit(task, old, new):
    name, now = task["task_spec"], task["state"]
    old_spec = old.task_specs.get(name) if old is not None else None
    element = getattr(old_spec, "bpmn_id", None) or name.split(".")[0]   # "check.BoundaryEventSplit": check
    label = getattr(old_spec, "bpmn_name", None) or element
    if name not in new.task_specs:
        where = "waits at" if now & _AT else "expects to reach" if now & _AHEAD else "has passed"
        return [(element, f"the instance {where} {label!r}, which the new version does not have")]
    new_spec = new.task_specs[name]
    if old_spec is None or now & _AHEAD:
        return []   # predicted again from the new version
    if now & _AT and type(new_spec) is not type(old_spec):
        return [(element, f"the instance waits at {label!r}, a {_kind(old_spec)} here but a {_kind(new_spec)} "
                          f"in the new version")]
    # A join may be reached another way (a step added in a branch still under way); a task may not
    # (a boundary event added to it would find no split behind it).
    if now & _AT and not isinstance(old_spec, _JOINS) and _names(old_spec.inputs) != _names(new_spec.inputs):
        return [(element, f"the instance waits at {label!r}, which the new version reaches another way "
                          f"(its incoming flows or boundary events changed)")]
    if now & _AT and _event(old_spec) != _event(new_spec):
        return [(element, f"the instance waits at {label!r}, which waits for a {_event(old_spec)} here but a "
                          f"{_event(new_spec)} in the new version")]
    # An exclusive gateway passed sent the instance one way: where the others lead does not matter to it.
    if not now & _AT and not isinstance(old_spec, ExclusiveGateway) and \
            _names(old_spec.outputs) != _names(new_spec.outputs):
        return [(element, f"the instance has passed {label!r}, whose outgoing flows changed in the new version: "
                          f"a branch it started or left out would never be joined")]
    return []


def _names(specs):
    return sorted(s.name for s in specs)


def _event(spec):
    definition = getattr(spec, "event_definition", None)
    if definition is None:
        return None
    kind = _kind(definition).replace(" event definition", "")
    return f"{kind} {definition.name!r}" if isinstance(definition, MessageEventDefinition) else kind


def _kind(spec):
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type(spec).__name__).lower()   # UserTask -> user task
