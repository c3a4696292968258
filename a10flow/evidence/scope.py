"""Which evidence: the scope an auditor asks for (control, period, instance), the instances in it,
and how each control is covered."""
import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from .. import clock
from ..deploy import definitions
from ..errors import Invalid
from ..models import Definition, DefinitionVersion, Evidence, EvidenceType, HumanTask, Instance, db
from . import access, controls


@dataclass
class Scope:
    """Which evidence: instances with a record in [start, end) for ``control`` (or all)."""
    control: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    instance_id: int | None = None

    def __post_init__(self):
        if self.control is not None:   # as the control property is read: "ISO 27001 A.5.19" is the canonical id
            try:
                named = controls.parse(self.control)
            except ValueError as exc:
                raise Invalid(f"not a control id: {exc}", [{"field": "control", "message": str(exc)}]) from None
            if len(named) != 1:
                raise Invalid("name one control", [{"field": "control", "message": f"names {len(named)} controls"}])
            self.control = named[0]
        # Records are compared as UTC ISO strings: an offset given by the caller is converted.
        self.start = self.start and self.start.astimezone(timezone.utc)
        self.end = self.end and self.end.astimezone(timezone.utc)
        if problem := unordered(self.start, self.end):
            raise Invalid(problem["message"], [problem])

    def as_dict(self):
        return {"control": self.control, "from": self.start and self.start.isoformat(),
                "to": self.end and self.end.isoformat(), "instance": self.instance_id}


def unordered(start, end):
    """Rule: a period ends after it starts. The problem, naming the field, or None."""
    if start and end and start >= end:
        return {"field": "to", "message": "the period must end after it starts"}
    return None


def known_controls():
    """Every control id some deployed process version carries, and those the access record evidences,
    grouped by framework (a10flow.evidence.controls.grouped)."""
    return controls.grouped([*access.CONTROLS, *(c for v in db.session.scalars(db.select(DefinitionVersion))
                                                 for c in definitions.controls_of(v))])


def instances(scope):
    """The instances in scope, oldest first: alive in the period, having run a version that carries
    the control (a move to a version without it does not take an instance out). Chosen from the
    instances themselves, not their evidence, so one whose records were deleted is still in scope
    and its pack shows the loss."""
    stmt = db.select(Instance)
    if scope.instance_id is not None:
        stmt = stmt.where(Instance.id == scope.instance_id)
    if scope.start is not None:
        stmt = stmt.where(Instance.updated_at >= scope.start)
    if scope.end is not None:
        stmt = stmt.where(Instance.created_at < scope.end)
    found = db.session.scalars(stmt.order_by(Instance.id)).all()
    return [i for i in found if scope.control is None or scope.control in i.controls]


def in_period(record, scope):
    return (scope.start is None or record["at"] >= scope.start.isoformat()) and \
        (scope.end is None or record["at"] < scope.end.isoformat())


def tasks_by_instance(instance_ids):
    rows = db.session.scalars(db.select(HumanTask).where(HumanTask.instance_id.in_(instance_ids))) \
        if instance_ids else []
    by_instance = {}
    for task in rows:
        by_instance.setdefault(task.instance_id, []).append(task)
    return by_instance


def is_late(task, now):
    """Open past its due date at ``now``, or done or withdrawn after it: cancelling late work does not
    make it on time. A task that came after ``now`` is not late at ``now``."""
    if task.due_at is None or task.created_at > now:
        return False
    ended = task.completed_at or task.cancelled_at
    return min(ended or now, now) > task.due_at


def controls_in_scope(instance, scope):
    return [c for c in instance.controls if scope.control is None or c == scope.control]


def coverage(scope):
    """Per control: instances in the period, cycles completed in it, completed on time, overdue, escalated.

    A cycle is completed when the instance reaches one of its process's milestones (an element
    with a ``milestone`` property; each time it does), or, for a process that declares none, when
    the instance completes. It counts in the period its milestone falls in, and on time when no task
    of the cycle (begun since the cycle before) was late when it completed. Overdue: an instance
    with a task done after its due date, or open past it, at the period's end (or now). Escalated:
    a task moved to others by the ``escalate`` operator (evidence ``task.reassigned``).
    """
    chosen = instances(scope)
    return coverage_of(scope, chosen, tasks_by_instance([i.id for i in chosen]))


_REACHED = [t.value for t in (EvidenceType.TASK_COMPLETED, EvidenceType.MESSAGE_RECEIVED, EvidenceType.SERVICE_RUN,
                              EvidenceType.SCRIPT_RUN, EvidenceType.DECISION_EVALUATED, EvidenceType.TIMER_FIRED,
                              EvidenceType.GATEWAY_PATH_TAKEN, EvidenceType.DATA_STORE_WRITTEN)]


def cycles(chosen, end=None):
    """``{instance id: [moment each cycle completed, …]}`` before ``end`` (None: to now), from the evidence: the
    records of a milestone of the version that wrote them or of the one the instance runs now, or the
    instance's completion where the version it runs declares no milestone."""
    milestones = {}   # (process key, version) -> element ids

    def of(key, number):
        if (key, number) not in milestones:
            version = db.session.scalar(db.select(DefinitionVersion).join(Definition).where(
                Definition.key == key, DefinitionVersion.version == number))
            milestones[key, number] = set(definitions.milestones_of(version)) if version else set()
        return milestones[key, number]

    now_runs = {i.id: of(i.version.definition.key, i.version.version) for i in chosen}
    declares = {i for i, marked in now_runs.items() if marked}
    found = {i.id: [] for i in chosen}
    plain = [i for i in found if i not in declares]
    for ids, types in ((plain, [EvidenceType.INSTANCE_COMPLETED.value]), (list(declares), _REACHED)):
        stmt = db.select(Evidence.instance_id, Evidence.record).where(Evidence.instance_id.in_(ids),
                                                                      Evidence.type.in_(types))
        if end is not None:
            stmt = stmt.where(Evidence.at < end.isoformat())
        rows = db.session.execute(stmt.order_by(Evidence.instance_id, Evidence.seq)) if ids else []
        for instance_id, text in rows:
            record = json.loads(text)
            # The version that wrote it, or the one the instance was moved to: moving an instance that ran
            # before its process marked milestones to a version that does counts what it did.
            if instance_id in declares and record["element"]["id"] not in \
                    of(record["process"]["key"], record["process"]["version"]) | now_runs[instance_id]:
                continue
            found[instance_id].append(datetime.fromisoformat(record["at"]))
    return found


def coverage_of(scope, chosen, tasks_of):
    now = clock.now()
    as_of = min(now, scope.end) if scope.end else now
    moved = db.select(Evidence.instance_id).where(Evidence.type == "task.reassigned",
                                                  Evidence.instance_id.in_([i.id for i in chosen]))
    if scope.end is not None:
        moved = moved.where(Evidence.at < scope.end.isoformat())
    escalated = set(db.session.scalars(moved.distinct())) if chosen else set()
    done = cycles(chosen, scope.end)
    result = {}
    for instance in chosen:
        tasks = tasks_of.get(instance.id, [])
        late = any(is_late(t, as_of) for t in tasks)
        completed = on_time = 0
        begun = None
        for end in done[instance.id]:
            if scope.start is None or end >= scope.start:
                completed += 1
                on_time += not any(is_late(t, end) for t in tasks if begun is None or t.created_at > begun)
            begun = end
        for control in controls_in_scope(instance, scope):
            row = result.setdefault(control, {"control": control, "framework": controls.framework_of(control).name,
                                              "instances": 0, "completed": 0,
                                              "completed_on_time": 0, "overdue": 0, "escalated": 0})
            row["instances"] += 1
            row["completed"] += completed
            row["completed_on_time"] += on_time
            row["overdue"] += late
            row["escalated"] += instance.id in escalated
    return [result[c] for c in sorted(result, key=controls.order)]


def by_framework(rows):
    """Coverage rows (in coverage order) as ``[(framework, [rows…]), …]``."""
    return [(framework, list(group)) for framework, group in itertools.groupby(rows, key=lambda r: r["framework"])]
