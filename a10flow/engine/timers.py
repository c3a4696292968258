"""Timers in a workflow: which wait and when they are due, firing due ones once,
keeping repeating ones small, and the schedule of timer start events."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from ..limits import MAX_TREE_DEPTH
from . import host
from .errors import EngineError, element, guard
from .sandbox import scripting


class _ServiceClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        moment = host.now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone(timezone.utc).replace(tzinfo=None)


# SpiffWorkflow reads the time itself (``datetime.now`` in its timer module): it reads the clock the
# service lends the engine instead, so that a test that moves the service's clock moves the
# engine's timers too, and every process agrees on "now".
_spiff_timer.datetime = _ServiceClockDatetime


@dataclass
class WaitingTimer:
    task_id: str
    element_id: str
    name: str | None
    due_at: datetime
    cycle: bool


def fire_now(task, now):
    """Make a waiting timer start event fire now: the scheduler (or a person) decided it is due."""
    definition = task.task_spec.event_definition
    if isinstance(definition, CycleTimerEventDefinition):
        # One repetition, due a moment ago: the cycle's schedule is the scheduler's.
        task.internal_data["event_value"] = {"cycles": 1, "next": (now - timedelta(seconds=1)).isoformat(),
                                             "duration": 0}
    else:
        task.internal_data["event_value"] = now.isoformat()
        task.internal_data["event_fired"] = True
    guard(lambda: task.task_spec._update(task), task)


@dataclass
class StartTimer:
    """When a timer start event first falls due, and how it repeats."""
    element_id: str
    name: str | None
    due_at: datetime
    period: str | None             # ISO 8601 duration; None: fires once
    remaining: int                 # repetitions left; -1 for ever


def after(duration, moment):
    """``moment`` plus the ISO 8601 ``duration`` (months are calendar months)."""
    return moment + TimerEventDefinition.get_timedelta_from_start(
        TimerEventDefinition.parse_iso_duration(duration), moment)


def catch_up(due, period, now):
    """For a repeating timer due at ``due``: the latest period start before ``now``,
    how many earlier ones were missed, and the next one after. Months are calendar months."""
    fired, missed, following = due, 0, after(period, due)
    while following < now:
        fired, missed, following = following, missed + 1, after(period, following)
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
                found.append(StartTimer(task_spec.bpmn_id, task_spec.bpmn_name, utc(value), None, 1))
        except Exception as exc:  # NameError for instance data, bad ISO text, ...
            raise EngineError(task_spec.bpmn_id, task_spec.bpmn_name,
                              f"a timer start event is evaluated when it is deployed, without instance "
                              f"data: {exc}") from exc
    return found


def prune(workflow):
    """Drop what a repeating timer leaves behind, so a daily reminder kept for years
    does not grow the state and slow every step.

    Each firing of a waiting cycle adds a branch and another waiting join. A branch
    that has finished throughout is history (the evidence keeps it); of the
    waiting joins one is enough, since they all wait for the same activity.
    """
    for timer in workflow.get_tasks(state=TaskState.WAITING, max_depth=MAX_TREE_DEPTH):
        if not isinstance(getattr(timer.task_spec, "event_definition", None), CycleTimerEventDefinition):
            continue
        waiting_joins = set()
        for child in list(timer.children):
            finished = all(t.has_state(TaskState.COMPLETED | TaskState.CANCELLED) for t in child)   # not ERROR: parked
            duplicate_join = isinstance(child.task_spec, BoundaryEventJoin) and child.state == TaskState.WAITING \
                and child.task_spec in waiting_joins
            if child.state == TaskState.WAITING:
                waiting_joins.add(child.task_spec)
            if finished or duplicate_join:
                child.workflow._remove_task(child.id)


def coalesce(workflow, due, now):
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


def waiting_timers(workflow):
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING, max_depth=MAX_TREE_DEPTH):
        definition, element = timer_of(task)
        value = task.internal_data.get("event_value")
        if definition is None or value is None:
            continue
        if isinstance(value, dict) and value["cycles"] == 0:
            continue  # a cycle that has run all its repetitions waits for nothing
        due = value["next"] if isinstance(value, dict) else value
        timers.append(WaitingTimer(str(task.id), *element, utc(due),
                                   isinstance(definition, CycleTimerEventDefinition)))
    return timers


def timer_of(task):
    """The timer a waiting task waits for, and the element to name: the task itself, or
    for an event-based gateway the timer event behind it."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return definition, element(task)
    if isinstance(definition, MultipleEventDefinition):
        for inner in definition.event_definitions:
            if isinstance(inner, TimerEventDefinition):
                # The gateway holds the catch events' definitions; they keep only the name.
                named = [o for o in task.task_spec.outputs if o.bpmn_name and o.bpmn_name == inner.name]
                return inner, ((named[0].bpmn_id, named[0].bpmn_name) if named else element(task))
    return None, None


def utc(iso):
    return TimerEventDefinition.get_datetime(iso).astimezone(timezone.utc)
