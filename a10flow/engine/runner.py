"""The engine's face: start, load, advance and complete workflows; hand out plain data.

Nothing outside ``a10flow.engine`` imports SpiffWorkflow. Callers get
dataclasses and dicts, never Spiff tasks, and errors as EngineError naming the
BPMN element at fault.
"""
import json
import time
from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import StartEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin as BusinessRuleTask
from SpiffWorkflow.util.task import TaskState

from ..limits import MAX_CALL_DEPTH, MAX_STEP_SECONDS, MAX_STEP_TASKS, MAX_TREE_DEPTH
from . import names, observed, state, stores, timers
from .errors import EngineError, element, guard
from .happenings import Happening, Kind
from .iso8601 import retry_delays
from .migration import MigrationRefused, migrate  # noqa: F401 - part of the engine's face
from .sandbox.scope import not_json
from .timers import after, catch_up, start_timers, waiting_timers  # noqa: F401 - part of the engine's face


@dataclass
class OpenTask:
    id: str
    element_id: str
    name: str
    lane: str | None
    data: dict


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
    guard(root.run, root)
    for split in [c for c in root.children if isinstance(c.task_spec, StartEventSplit)]:
        guard(split.run, split)  # several start events sit behind a split
        root = split
    events = [t for t in root.children if getattr(t.task_spec, "event_definition", None) is not None]
    on_timer = [t for t in events if isinstance(t.task_spec.event_definition, TimerEventDefinition)]
    plain = [t for t in events if t not in on_timer]
    if start_event is not None:
        chosen = [t for t in on_timer if t.task_spec.bpmn_id == start_event]
        if not chosen:
            raise EngineError(start_event, None, "no timer start event with this id")
    else:
        chosen = [t for t in plain if type(t.task_spec.event_definition).__name__ == "NoneEventDefinition"] \
            or on_timer[:1] or plain
    for task in events:
        if task in chosen and task in on_timer:
            timers.fire_now(task, now)
        elif task not in chosen and not task.has_state(TaskState.FINISHED_MASK):
            task.cancel()
    return workflow, advance(workflow, now)


def load(specs, saved):
    return guard(lambda: state.load_state(specs, saved))


def dump(workflow):
    """The workflow's state as JSON-ready data.

    :raises EngineError: naming the task whose data holds something that is not JSON
        (a date, a module, a function a script left behind).
    """
    saved = state.dump_state(workflow)
    try:
        json.dumps(saved, allow_nan=False)
    except (TypeError, ValueError):
        raise _not_json(workflow) from None
    return saved


def _not_json(workflow):
    # The earliest task holding the value is the one whose script put it there.
    for task in sorted(workflow.get_tasks(max_depth=MAX_TREE_DEPTH), key=lambda t: t.last_state_change):
        if element(task)[0] is None:
            continue
        for name, value in task.data.items():
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                return EngineError(*element(task), not_json(name, value))
    return EngineError(None, None, "the instance data cannot be stored as JSON")


def advance(workflow, now, parked=()):
    """Run every engine task that is ready, until only people, timers or messages can move it.

    Timers due at ``now`` fire once each: a cycle that missed several periods
    fires once, and its timer.fired record says how many were missed. Tasks in
    ``parked`` (ids of tasks that failed, see _attempt) wait for a person.
    """
    parked = set(parked)
    due = {t.task_id: t for t in timers.waiting_timers(workflow) if t.due_at < now}
    missed = timers.coalesce(workflow, due.values(), now)
    armed = {t.task_id: t.due_at for t in timers.waiting_timers(workflow) if t.task_id in due}
    happenings = stores.drain()   # what the step did before: a person's task, a message, a start

    began, ran = time.monotonic(), 0

    def run(task):
        nonlocal ran
        ran += 1
        if overrun := _overrun(task, ran, time.monotonic() - began):
            _attempt(workflow, lambda: _raise(overrun), task, happenings, parked)
            return
        kept = observed.before(task)
        if _attempt(workflow, lambda: (stores.read_inputs(task), task.run()), task, happenings, parked,
                    before=kept.get("data")):
            _forget_unnamed_result(task)
            happenings.extend(stores.drain(writes=False))   # it read, ran, then wrote
            happenings.extend(observed.after(task, kept, workflow.script_engine.calls))
        happenings.extend(stores.drain())

    def ready(wf):
        return [t for t in wf.get_tasks(state=TaskState.READY, max_depth=MAX_TREE_DEPTH)
                if not t.task_spec.manual and str(t.id) not in parked]

    while True:
        guard(workflow.refresh_timers)
        moved = False
        for sub in sorted(workflow.get_active_subprocesses(), key=lambda s: s.depth, reverse=True):
            while tasks := ready(sub):
                for task in tasks:
                    run(task)
                moved = True
            if sub.parent_task_id is not None:
                parent = workflow.get_task_from_id(sub.parent_task_id)
                guard(lambda: parent.task_spec._update(parent), parent)
        for task in ready(workflow):
            run(task)
            moved = True
        if not moved:
            break
    still = {t.task_id: t.due_at for t in timers.waiting_timers(workflow)}
    for timer in due.values():
        if still.get(timer.task_id) != armed[timer.task_id]:  # gone, or a cycle moved on: it fired
            happenings.insert(0, Happening(Kind.TIMER_FIRED, timer.element_id, timer.name, {
                "due_at": timer.due_at.isoformat(), "fired_at": now.isoformat(),
                "lateness_seconds": int((now - timer.due_at).total_seconds()),
                "missed_periods": missed.get(timer.task_id, 0)}))
    happenings.extend(stores.drain())
    if completed(workflow):
        happenings.append(Happening(Kind.INSTANCE_COMPLETED, None, None))
    else:
        timers.prune(workflow)
        if not parked and (where := stranded(workflow)):
            happenings.append(Happening(Kind.INSTANCE_FAILED, *where))
    return happenings


def stranded(workflow):
    """Where an unfinished instance stands when nothing can move it any more: no person's task,
    no timer, no message waits, nothing failed (a parallel join after an exclusive choice, a
    signal nothing is left to throw, a subprocess the engine did not close). Returns the
    element, its name and the failure its incident holds, else None: so that an instance always
    shows what it waits at, or is completed, or has an incident."""
    if any(t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY, max_depth=MAX_TREE_DEPTH)) or \
            timers.waiting_timers(workflow) or waiting_messages(workflow):
        return None
    held = [t for t in workflow.get_tasks(state=TaskState.WAITING, max_depth=MAX_TREE_DEPTH)
            if getattr(t.task_spec, "bpmn_id", None)]
    task = held[-1] if held else None
    if task is None:
        where = "the process stopped before its end"
    elif isinstance(task.task_spec, UnstructuredJoin):
        where = "the process cannot go on: here it waits for paths that can no longer arrive (a join after " \
                "an exclusive choice?)"
    else:
        where = "the process cannot go on: here it waits for what nothing in the instance can send any more"
    return (*(element(task) if task else (None, None)), {
        "task_id": str(task.id) if task else None, "retry_delays": [],
        "error": f"{where}, and nothing is left that a person, a timer or a message could move on. Cancel the "
                 "instance, or move it to a corrected version"})


def _forget_unnamed_result(task):
    # A service task's answer kept under the name Spiff makes up ("spiff__record_supplier_result") is
    # nobody's data: people would read it as "Spiff record supplier result". Only a resultVariable the
    # modeller names keeps it.
    name = getattr(task.task_spec, "result_variable", None)
    if isinstance(task.task_spec, ServiceTask) and isinstance(name, str) and name.startswith("spiff__"):
        for holder in (task, *task.children):   # the next tasks took a copy as the task completed
            holder.data.pop(name, None)




def _overrun(task, ran, seconds):
    """The EngineError that stops ``task`` from running when the step is past a bound, else None."""
    if ran > MAX_STEP_TASKS or seconds > MAX_STEP_SECONDS:
        done = f"{ran - 1} tasks" if ran > MAX_STEP_TASKS else f"{seconds:.0f} seconds"
        why = (f"the process ran {done} without waiting for a person, a timer or a message, and was stopped "
               f"here: a loop that never ends? Give the loop an exit, or a wait")
    elif getattr(task.workflow, "depth", 0) > MAX_CALL_DEPTH:
        why = (f"processes call each other more than {MAX_CALL_DEPTH} deep, and the run was stopped here: "
               f"does a called process call back into its caller?")
    else:
        return None
    return EngineError(*element(task), why, task.id)


def _raise(exc):
    raise exc


def _attempt(workflow, action, task, happenings, parked, running=True, person=False, before=None):
    """Run ``action`` for ``task`` (``running`` it, else readying it); True if it went through.

    When an engine task fails (a script, a condition, a service call, a timer expression)
    its own changes are dropped and it is parked: it stays READY (or, if it failed on its
    way there, as it was) and joins ``parked``, which the caller keeps (as an incident)
    so that no later step runs it until a person says so. The failure becomes a happening:
    the step keeps everything up to it, and the rest of the instance moves on. A failure
    no task can hold (nothing names one, or it had already finished) is raised, and so is the
    failure of a ``person``'s own task (completed, or answered by a message): that step is theirs.
    A script, service or decision task that fails while completing (a post-script, a data store
    it writes) goes back to READY, with the data it had ``before`` it ran.
    """
    try:
        guard(action, task)
        return True
    except EngineError as exc:
        failing = workflow.get_task_from_id(exc.task_id) if exc.task_id else None
        if failing is task and before is not None and failing.state == TaskState.COMPLETED:
            # Its completion broke off before its successors moved: it has not finished after all.
            failing._set_state(TaskState.READY)
            failing.data = before
        if failing is None or failing.has_state(TaskState.COMPLETED | TaskState.CANCELLED) or \
                (person and failing is task):
            raise
        if failing.state == TaskState.ERROR:
            # Spiff's ERROR counts as finished: joins and multi-instance tasks would go on without it.
            failing._set_state(TaskState.READY if failing is task and running else TaskState.FUTURE)
        parked.add(str(failing.id))
        happenings.extend(stores.drain())
        happenings.append(Happening(Kind.INSTANCE_FAILED, *element(failing), {
            "task_id": str(failing.id), "error": exc.message, "retry_delays": _retry_delays(failing)}))
        if failing is not task:
            _hand_on(workflow, failing, happenings, parked)
        return False


def _hand_on(workflow, failing, happenings, parked):
    """``failing`` broke off its predecessor's handing on to its successors (Spiff readies them one
    by one as it completes): ready the ones after it, or the other branches of a fork never start."""
    siblings = failing.parent.children if failing.parent is not None else []
    for later in siblings[siblings.index(failing) + 1:]:
        if not later.has_state(TaskState.FINISHED_MASK):
            _attempt(workflow, lambda t=later: t.task_spec._update(t), later, happenings, parked, running=False)


def _retry_delays(task):
    """How long to wait before each new attempt: a service task's ``retryCycle``; nothing for the rest,
    whose failures (a script, a condition) would only fail again."""
    if not isinstance(task.task_spec, ServiceTask):
        return []
    cycle = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {}).get("retryCycle")
    return retry_delays(cycle) if cycle else []


def retry(workflow, task_id, now, parked, data=None):
    """Run a parked task (see _attempt) again, with ``data`` merged into its data first, and
    run on. Its failure, if it fails again, is among the happenings."""
    task = stopped_at(workflow, task_id)
    task.data.update(data or {})
    parked, happenings = set(parked) - {task_id}, []
    if task.state != TaskState.READY:   # it failed on its way to ready (a timer expression, a pre-script)
        if not _attempt(workflow, lambda: task.task_spec._update(task), task, happenings, parked, running=False):
            return happenings
    return happenings + advance(workflow, now, parked)


SKIPPABLE = (ScriptTask, ServiceTask, BusinessRuleTask)


def cannot_skip(workflow, task_id):
    """Why the parked task cannot be completed by hand, or None. Gateways and events cannot:
    they decide where the process goes."""
    task = stopped_at(workflow, task_id)
    if not isinstance(task.task_spec, SKIPPABLE) or task.state != TaskState.READY:
        return "only a script, service or business rule task can be completed by hand: correct the cause and retry"
    return None


def skip(workflow, task_id, now, parked, data=None):
    """Complete a parked task without running it, ``data`` standing for what it would have
    given, and run on. :raises EngineError: it cannot be skipped (see cannot_skip)."""
    if why := cannot_skip(workflow, task_id):
        raise EngineError(None, None, why, task_id)
    task = stopped_at(workflow, task_id)
    task.data.update(data or {})
    guard(task.complete, task)
    return advance(workflow, now, set(parked) - {task_id})


def stopped_at(workflow, task_id):
    """The task, if the instance still waits at it. :raises EngineError: it has gone or finished
    (an instance migrated past it, a cancelled branch)."""
    task = workflow.get_task_from_id(UUID(task_id)) if task_id else None
    if task is None or task.has_state(TaskState.COMPLETED | TaskState.CANCELLED):
        raise EngineError(None, None, "the instance no longer waits at this element", task_id)
    return task


def names_used(workflow, task_id):
    """The variables the element of a parked task reads or sets (see names.of)."""
    return names.of(stopped_at(workflow, task_id).task_spec)


def waits_at(workflow, task_id):
    try:
        return stopped_at(workflow, task_id) is not None
    except EngineError:
        return False


def find_task(workflow, task_id):
    """The engine task with id ``task_id`` (text), or an EngineError saying it is not there."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None:
        raise EngineError(None, None, f"task {task_id} is not part of this instance")
    return task


def complete(workflow, task_id, data, now, parked=()):
    """Complete a READY human task with submitted ``data`` and run on."""
    task = find_task(workflow, task_id)
    if task.state != TaskState.READY:
        raise EngineError(*element(task), "the task is not waiting to be completed")
    guard(lambda: stores.read_inputs(task), task)   # as they are now, not as when the task opened
    task.data.update(data)
    parked, happenings = set(parked), []
    _attempt(workflow, task.run, task, happenings, parked, person=True)   # what comes next may fail and park
    return happenings + advance(workflow, now, parked)


def cancel(workflow):
    workflow.cancel()


def open_tasks(workflow, answered_by_message=frozenset()):
    """Tasks now waiting for a person: READY user and manual tasks, and WAITING tasks
    of the elements in ``answered_by_message``, receive tasks whose message a person sends."""
    return [OpenTask(str(t.id), *element(t), getattr(t.task_spec, "lane", None), t.data)
            for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, max_depth=MAX_TREE_DEPTH)
            if (t.task_spec.manual and t.state == TaskState.READY)
            or (t.state == TaskState.WAITING and t.task_spec.bpmn_id in answered_by_message)]


@dataclass
class MessageWait:
    task_id: str
    element_id: str
    name: str | None
    message: str


def done_elements(workflow):
    """Ids of the BPMN elements that have run, for drawing an instance's progress."""
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED, max_depth=MAX_TREE_DEPTH)
            if getattr(t.task_spec, "bpmn_id", None)}


def waiting_messages(workflow):
    """The messages the instance now waits for, each at one task."""
    waits = []
    for task in workflow.get_tasks(state=TaskState.WAITING, max_depth=MAX_TREE_DEPTH):
        definition = getattr(task.task_spec, "event_definition", None)
        inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        for index, item in enumerate(inner):
            if isinstance(item, MessageEventDefinition) and item.name:  # unnamed: nothing can send it
                # An event-based gateway waits for its events; each is caught by the element after it.
                catcher = task.task_spec.outputs[index] if isinstance(task.task_spec, EventBasedGateway) \
                    else task.task_spec
                waits.append(MessageWait(str(task.id), catcher.bpmn_id, catcher.bpmn_name, item.name))
    return waits


def _message_definition(task, message):
    definition = getattr(task.task_spec, "event_definition", None)
    inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    matching = [d for d in inner if isinstance(d, MessageEventDefinition) and d.name == message]
    if task.state != TaskState.WAITING or not matching:
        raise EngineError(*element(task), f"this task is not waiting for the message {message!r}")
    return matching[0]


def message_variable(workflow, task_id, message):
    """The variable the waiting task puts the message's data into (its ``messageVariable``), or
    None: then the data becomes instance data, field by field."""
    return getattr(_message_definition(find_task(workflow, task_id), message), "message_var", None)


def deliver(workflow, task_id, message, payload, now, parked=()):
    """Hand message ``message`` with ``payload`` to the waiting task ``task_id`` and run on.

    The task, not just the name, is the target: of several tasks waiting for the same
    message (one per customer, say), only the one it was meant for moves.
    """
    task = find_task(workflow, task_id)
    definition = _message_definition(task, message)
    if getattr(definition, "message_var", None) is None:
        task.data.update(payload)   # no messageVariable in the BPMN: the payload becomes instance data
    event = BpmnEvent(definition, payload=payload)
    parked, happenings = set(parked), []
    _attempt(workflow, lambda: (task.task_spec.catch(task, event), task.task_spec._update(task)), task,
             happenings, parked, person=True)
    received = Happening(Kind.MESSAGE_RECEIVED, *element(task), {"message": message, "payload": payload})
    return [received, *happenings, *advance(workflow, now, parked)]


def task_data(workflow, task_id):
    """``(data, item names)``: the data a task sees, a copy, and the names of the items of the
    multi-instance tasks it is one of (its customer, its action); empty for a task no longer there."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None:
        return {}, []
    return dict(task.data), _items(workflow, task)


def _items(workflow, task):
    """The names of the items of the multi-instance activities ``task`` is one of (its approver, its customer)."""
    items, step = [], task
    while step is not None:
        item = getattr(getattr(step.task_spec, "input_item", None), "bpmn_id", None)
        if item:
            items.append(item)
        parent_id = step.workflow.parent_task_id if step.parent is None else None
        step = step.parent if step.parent is not None else \
            (workflow.get_task_from_id(parent_id) if parent_id is not None else None)
    return items


def completed(workflow):
    """Whether the instance is done: it reached its end, or nothing in it is left to finish (a
    process may simply stop, with no end event: SpiffWorkflow marks only the first as complete)."""
    return workflow.is_completed()


def data(workflow):
    """The instance's current data: what the last step left, as the next task sees it."""
    if completed(workflow):
        return dict(workflow.data) | (workflow.last_task.data if workflow.last_task else {})
    open_now = open_tasks(workflow)
    if open_now:   # one item of a multi-instance task is that task's, not the instance's
        own = set(_items(workflow, workflow.get_task_from_id(UUID(open_now[0].id))))
        return {k: v for k, v in open_now[0].data.items() if k not in own}
    return dict(workflow.last_task.data) if workflow.last_task else dict(workflow.task_tree.data)
