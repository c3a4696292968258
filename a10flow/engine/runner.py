"""The engine's face: start, load, advance and complete workflows; hand out plain data.

Nothing outside ``a10flow.engine`` imports SpiffWorkflow. Callers get
dataclasses and dicts, never Spiff tasks, and errors as EngineError naming the
BPMN element at fault.
"""
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, StartEventSplit
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin as BusinessRuleTask
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimerEventDefinition)
from SpiffWorkflow.util.task import TaskState

from ..models import EvidenceType
from . import clock as _engine_clock  # noqa: F401 - makes Spiff's timers read the service clock
from . import scripting, state
from .normalize import ExpressionError

# Deep enough for long-running loops (the library's default of 1000 silently stops them).
MAX_DEPTH = 1_000_000


class EngineError(Exception):
    """The process failed at a BPMN element (a script, condition, expression…)."""

    def __init__(self, element_id, element_name, message):
        super().__init__(message)
        self.element_id, self.element_name, self.message = element_id, element_name, message


@dataclass
class OpenTask:
    id: str
    element_id: str
    name: str
    lane: str | None
    data: dict


@dataclass
class WaitingTimer:
    task_id: str
    element_id: str
    name: str | None
    due_at: datetime
    cycle: bool


@dataclass
class Happening:
    """Something the engine did that the evidence must show."""
    type: str
    element_id: str | None
    element_name: str | None
    data: dict = field(default_factory=dict)


def _element(task):
    spec = task.task_spec
    return getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None)


def _guard(action, task=None):
    try:
        return action()
    except EngineError:
        raise
    except Exception as exc:  # Spiff's own errors, ours, and whatever a BPMN script raised
        failing = getattr(exc, "task", None) or task
        spec = getattr(exc, "task_spec", None)
        if failing is not None:
            element_id, name = _element(failing)
        elif spec is not None:
            element_id, name = getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None)
        else:
            element_id = name = None
        raise EngineError(element_id, name, str(exc)) from exc


def start(specs, data, now, start_event=None):
    """A new workflow with ``data`` as its start data, run until it waits.

    Timer start events belong to the scheduler, which passes the one that fell
    due as ``start_event``: it fires at once and the other start events are
    withdrawn. A start without one takes the plain start events, or, in a
    process that starts only on timers, the first timer (a manual run now).
    """
    workflow = state.new_workflow(specs)
    workflow.task_tree.data.update(data or {})  # the start task's children inherit it
    root = workflow.task_tree
    _guard(root.run, root)
    for split in [c for c in root.children if isinstance(c.task_spec, StartEventSplit)]:
        _guard(split.run, split)  # several start events sit behind a split
        root = split
    events = [t for t in root.children if getattr(t.task_spec, "event_definition", None) is not None]
    timers = [t for t in events if isinstance(t.task_spec.event_definition, TimerEventDefinition)]
    plain = [t for t in events if t not in timers]
    if start_event is not None:
        chosen = [t for t in timers if t.task_spec.bpmn_id == start_event]
        if not chosen:
            raise EngineError(start_event, None, "no timer start event with this id")
    else:
        chosen = [t for t in plain if type(t.task_spec.event_definition).__name__ == "NoneEventDefinition"] \
            or timers[:1] or plain
    for task in events:
        if task in chosen and task in timers:
            _fire_now(task, now)
        elif task not in chosen and not task.has_state(TaskState.FINISHED_MASK):
            task.cancel()
    return workflow, advance(workflow, now)


def _fire_now(task, now):
    definition = task.task_spec.event_definition
    if isinstance(definition, CycleTimerEventDefinition):
        # One repetition, due a moment ago: the cycle's schedule is the scheduler's.
        task.internal_data["event_value"] = {"cycles": 1, "next": (now - timedelta(seconds=1)).isoformat(),
                                             "duration": 0}
    else:
        task.internal_data["event_value"] = now.isoformat()
        task.internal_data["event_fired"] = True
    _guard(lambda: task.task_spec._update(task), task)


@dataclass
class StartTimer:
    """When a timer start event first falls due, and how it repeats."""
    element_id: str
    name: str | None
    due_at: datetime
    period: str | None             # ISO 8601 duration; None: fires once
    remaining: int                 # repetitions left; -1 for ever


def catch_up(due, period, now):
    """For a repeating timer due at ``due``: the latest period start before ``now``,
    how many earlier ones were missed, and the next one after. Months are calendar months."""
    def after(moment):
        return moment + TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(period), moment)
    fired, missed, following = due, 0, after(due)
    while following < now:
        fired, missed, following = following, missed + 1, after(following)
    return fired, missed, following


def start_timers(specs, now):
    """The schedule of a process's timer start events, evaluated at deploy time.

    :raises EngineError: for a timer expression that needs instance data or is no timer.
    """
    spec = specs[0]
    found = []
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if type(task_spec).__name__ != "StartEvent" or not isinstance(definition, TimerEventDefinition):
            continue
        try:
            value = scripting.Environment().evaluate(definition.expression, {})
            if isinstance(definition, CycleTimerEventDefinition):
                cycles, first, _ = TimerEventDefinition.parse_iso_recurring_interval(value)
                period = next(p for p in value.split("/") if p.upper().startswith("P"))
                found.append(StartTimer(task_spec.bpmn_id, task_spec.bpmn_name, first.astimezone(timezone.utc),
                                        period, cycles))
            elif isinstance(definition, DurationTimerEventDefinition):
                parsed = TimerEventDefinition.parse_iso_duration(value)
                found.append(StartTimer(task_spec.bpmn_id, task_spec.bpmn_name,
                                        now + TimerEventDefinition.get_timedelta_from_start(parsed, now), None, 1))
            else:
                found.append(StartTimer(task_spec.bpmn_id, task_spec.bpmn_name, _utc(value), None, 1))
        except Exception as exc:  # NameError for instance data, bad ISO text, ...
            raise EngineError(task_spec.bpmn_id, task_spec.bpmn_name,
                              f"a timer start event is evaluated when it is deployed, without instance "
                              f"data: {exc}") from exc
    return found


def load(specs, saved):
    return _guard(lambda: state.load_state(specs, saved))


def dump(workflow):
    return state.dump_state(workflow)


def advance(workflow, now):
    """Run every engine task that is ready, until only people, timers or messages can move it.

    Timers due at ``now`` fire once each: a cycle that missed several periods
    fires once, and its timer.fired record says how many were missed.
    """
    due = {t.task_id: t for t in waiting_timers(workflow) if t.due_at < now}
    missed = _coalesce(workflow, due.values(), now)
    armed = {t.task_id: t.due_at for t in waiting_timers(workflow) if t.task_id in due}
    happenings = []

    def run(task):
        _guard(task.run, task)
        happenings.extend(_happened(task, workflow.script_engine.calls))

    def ready(wf):
        return [t for t in wf.get_tasks(state=TaskState.READY, max_depth=MAX_DEPTH) if not t.task_spec.manual]

    while True:
        _guard(workflow.refresh_timers)
        moved = False
        for sub in sorted(workflow.get_active_subprocesses(), key=lambda s: s.depth, reverse=True):
            while tasks := ready(sub):
                for task in tasks:
                    run(task)
                moved = True
            if sub.parent_task_id is not None:
                parent = workflow.get_task_from_id(sub.parent_task_id)
                _guard(lambda: parent.task_spec._update(parent), parent)
        for task in ready(workflow):
            run(task)
            moved = True
        if not moved:
            break
    still = {t.task_id: t.due_at for t in waiting_timers(workflow)}
    for timer in due.values():
        if still.get(timer.task_id) != armed[timer.task_id]:  # gone, or a cycle moved on: it fired
            happenings.insert(0, Happening(EvidenceType.TIMER_FIRED, timer.element_id, timer.name, {
                "due_at": timer.due_at.isoformat(), "fired_at": now.isoformat(),
                "lateness_seconds": int((now - timer.due_at).total_seconds()),
                "missed_periods": missed.get(timer.task_id, 0)}))
    if workflow.completed:
        happenings.append(Happening(EvidenceType.INSTANCE_COMPLETED, None, None))
    else:
        _prune(workflow)
    return happenings


def _prune(workflow):
    """Drop what a repeating timer leaves behind, so a daily reminder kept for years
    does not grow the state and slow every step.

    Each firing of a waiting cycle adds a branch and another waiting join. A branch
    that has finished throughout is history (the evidence keeps it); of the
    waiting joins one is enough, since they all wait for the same activity.
    """
    for timer in workflow.get_tasks(state=TaskState.WAITING, max_depth=MAX_DEPTH):
        if not isinstance(getattr(timer.task_spec, "event_definition", None), CycleTimerEventDefinition):
            continue
        waiting_joins = set()
        for child in list(timer.children):
            finished = all(t.has_state(TaskState.FINISHED_MASK) for t in child)
            duplicate_join = isinstance(child.task_spec, BoundaryEventJoin) and child.state == TaskState.WAITING \
                and child.task_spec in waiting_joins
            if child.state == TaskState.WAITING:
                waiting_joins.add(child.task_spec)
            if finished or duplicate_join:
                child.workflow._remove_task(child.id)


def _happened(task, calls):
    element_id, name = _element(task)
    spec = task.task_spec
    if isinstance(spec, (ExclusiveGateway, InclusiveGateway)):
        taken = [_element(c)[0] for c in task.children if c.state not in (TaskState.MAYBE, TaskState.LIKELY,
                                                                          TaskState.CANCELLED)]
        return [Happening(EvidenceType.GATEWAY_PATH_TAKEN, element_id, name, {"to": taken})]
    if isinstance(spec, BusinessRuleTask):
        return [Happening(EvidenceType.DECISION_EVALUATED, element_id, name)]
    if isinstance(spec, ScriptTask):
        return [Happening(EvidenceType.SCRIPT_RUN, element_id, name)]
    if isinstance(spec, ServiceTask):
        call = calls.pop()  # the one call_service just made for this task
        return [Happening(EvidenceType.SERVICE_RUN, element_id, name,
                          {"operator": call.operator, "params": call.params})]
    return []  # timers are recorded by advance(), which knows when they were due


def _coalesce(workflow, due, now):
    """Move each overdue cycle to its latest period, so it fires once; return periods skipped."""
    missed = {}
    for timer in due:
        if not timer.cycle:
            continue
        task = workflow.get_task_from_id(UUID(timer.task_id))
        value = dict(task.internal_data["event_value"])
        period = timedelta(seconds=value["duration"])
        # Periods that ended before the latest one due; Spiff fires when next < now.
        skipped = max(0, math.ceil((now - timer.due_at) / period) - 1) if period.total_seconds() > 0 else 0
        if value["cycles"] > 0:
            skipped = min(skipped, value["cycles"] - 1)
        if skipped > 0:
            value["next"] = (timer.due_at + skipped * period).isoformat()
            if value["cycles"] > 0:
                value["cycles"] -= skipped
            task.internal_data["event_value"] = value
            missed[timer.task_id] = skipped
    return missed


def _task(workflow, task_id):
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None:
        raise EngineError(None, None, f"task {task_id} is not part of this instance")
    return task


def complete(workflow, task_id, data, now):
    """Complete a READY human task with submitted ``data`` and run on."""
    task = _task(workflow, task_id)
    if task.state != TaskState.READY:
        raise EngineError(*_element(task), "the task is not waiting to be completed")
    task.data.update(data)
    _guard(task.run, task)
    return advance(workflow, now)


def cancel(workflow):
    workflow.cancel()


def open_tasks(workflow):
    """Human tasks now waiting for a person."""
    return [OpenTask(str(t.id), *_element(t), getattr(t.task_spec, "lane", None), t.data)
            for t in workflow.get_tasks(state=TaskState.READY, max_depth=MAX_DEPTH) if t.task_spec.manual]


def waiting_timers(workflow):
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING, max_depth=MAX_DEPTH):
        definition, element = _timer_of(task)
        value = task.internal_data.get("event_value")
        if definition is None or value is None:
            continue
        if isinstance(value, dict) and value["cycles"] == 0:
            continue  # a cycle that has run all its repetitions waits for nothing
        due = value["next"] if isinstance(value, dict) else value
        timers.append(WaitingTimer(str(task.id), *element, _utc(due),
                                   isinstance(definition, CycleTimerEventDefinition)))
    return timers


def _timer_of(task):
    """The timer a waiting task waits for, and the element to name: the task itself, or
    for an event-based gateway the timer event behind it."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return definition, _element(task)
    if isinstance(definition, MultipleEventDefinition):
        for inner in definition.event_definitions:
            if isinstance(inner, TimerEventDefinition):
                # The gateway holds the catch events' definitions; they keep only the name.
                named = [o for o in task.task_spec.outputs if o.bpmn_name and o.bpmn_name == inner.name]
                return inner, ((named[0].bpmn_id, named[0].bpmn_name) if named else _element(task))
    return None, None


@dataclass
class MessageWait:
    task_id: str
    element_id: str
    name: str | None
    message: str


def waiting_messages(workflow):
    """The messages the instance now waits for, each at one task."""
    waits = []
    for task in workflow.get_tasks(state=TaskState.WAITING, max_depth=MAX_DEPTH):
        definition = getattr(task.task_spec, "event_definition", None)
        inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        for item in inner:
            if isinstance(item, MessageEventDefinition):
                waits.append(MessageWait(str(task.id), *_element(task), item.name))
    return waits


def deliver(workflow, task_id, message, payload, now):
    """Hand message ``message`` with ``payload`` to the waiting task ``task_id`` and run on.

    The task, not just the name, is the target: of several tasks waiting for the same
    message (one per customer, say), only the one it was meant for moves.
    """
    task = _task(workflow, task_id)
    definition = task.task_spec.event_definition
    inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    matching = [d for d in inner if isinstance(d, MessageEventDefinition) and d.name == message]
    if task.state != TaskState.WAITING or not matching:
        raise EngineError(*_element(task), f"this task is not waiting for the message {message!r}")
    if getattr(matching[0], "message_var", None) is None:
        task.data.update(payload)   # no messageVariable in the BPMN: the payload becomes instance data
    event = BpmnEvent(matching[0], payload=payload)
    _guard(lambda: (task.task_spec.catch(task, event), task.task_spec._update(task)), task)
    received = Happening(EvidenceType.MESSAGE_RECEIVED, *_element(task), {"message": message, "payload": payload})
    return [received, *advance(workflow, now)]


def _utc(iso):
    return TimerEventDefinition.get_datetime(iso).astimezone(timezone.utc)


def completed(workflow):
    return workflow.completed


def data(workflow):
    """The instance's current data: what the last step left, as the next task sees it."""
    if workflow.completed:
        return dict(workflow.data) | (workflow.last_task.data if workflow.last_task else {})
    open_now = open_tasks(workflow)
    if open_now:
        return dict(open_now[0].data)
    return dict(workflow.last_task.data) if workflow.last_task else dict(workflow.task_tree.data)


@dataclass
class Assignment:
    """Who a human task is offered to and when it is due, evaluated on its data."""
    groups: list
    users: list
    assignee: str | None
    due_at: datetime | None


def assign(workflow, task, settings, now):
    """Evaluate a task's deployed settings (see specs._task_settings) for one open task.

    The lane is the candidate group unless candidateGroups says otherwise.
    """
    spiff_task = _task(workflow, task.id)

    def evaluate(expression):
        return _guard(lambda: workflow.script_engine.evaluate(spiff_task, expression), spiff_task)

    def names(setting):
        if not isinstance(setting, dict):
            return list(setting or [])
        result = evaluate(setting["expr"])
        if result is None:
            return []
        if isinstance(result, (list, tuple)):
            return [str(v) for v in result]
        return [v.strip() for v in str(result).split(",") if v.strip()]

    groups = names(settings.get("candidate_groups")) or ([task.lane] if task.lane else [])
    assignee = names(settings.get("assignee"))
    try:
        due_at = _due(settings.get("due"), evaluate, now)
    except EngineError:
        raise
    except Exception as exc:  # a due expression returning nonsense, or a bad ISO value
        raise EngineError(task.element_id, task.name, f"due date: {exc}") from exc
    return Assignment(list(dict.fromkeys(groups)), list(dict.fromkeys(names(settings.get("candidate_users")))),
                      assignee[0] if assignee else None, due_at)


def _due(settings, evaluate, now):
    if not settings:
        return None
    if "duration" in settings:
        parsed = TimerEventDefinition.parse_iso_duration(settings["duration"])
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    if "date" in settings:
        return _utc(settings["date"])
    value = evaluate(settings["expr"])
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ExpressionError("the due date expression returned a date-time without a time zone")
        return value.astimezone(timezone.utc)
    if isinstance(value, str):
        return _due({"duration": value} if value.startswith("P") else {"date": value}, None, now)
    raise ExpressionError(f"the due date expression returned {type(value).__name__}")
