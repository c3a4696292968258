"""Which evidence: the scope an auditor asks for (control, period, instance), the instances in it,
and how each control is covered."""
import itertools
from dataclasses import dataclass
from datetime import datetime, timezone

from .. import clock, controls, definitions
from ..errors import Invalid
from ..models import DefinitionVersion, Evidence, HumanTask, Instance, InstanceStatus, TaskStatus, db


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

    def as_dict(self):
        return {"control": self.control, "from": self.start and self.start.isoformat(),
                "to": self.end and self.end.isoformat(), "instance": self.instance_id}


def known_controls():
    """Every control id some deployed process version carries, grouped by framework (a10flow.controls.grouped)."""
    return controls.grouped(c for v in db.session.scalars(db.select(DefinitionVersion))
                            for c in definitions.controls_of(v))


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
    """Open past its due date, or done or withdrawn after it: cancelling late work does not make it on time."""
    if task.due_at is None:
        return False
    ended = {TaskStatus.OPEN: now, TaskStatus.COMPLETED: task.completed_at, TaskStatus.CANCELLED: task.cancelled_at}
    return (ended[task.status] or now) > task.due_at


def controls_in_scope(instance, scope):
    return [c for c in instance.controls if scope.control is None or c == scope.control]


def coverage(scope):
    """Per control: instances in the period, completed, completed on time, overdue, escalated.

    Overdue: a task done after its due date, or open past it. Escalated: a task moved
    to others by the ``escalate`` operator (evidence ``task.reassigned``).
    """
    chosen = instances(scope)
    return coverage_of(scope, chosen, tasks_by_instance([i.id for i in chosen]))


def coverage_of(scope, chosen, tasks_of):
    now = clock.now()
    escalated = set(db.session.scalars(db.select(Evidence.instance_id).where(
        Evidence.type == "task.reassigned", Evidence.instance_id.in_([i.id for i in chosen])).distinct())) \
        if chosen else set()
    result = {}
    for instance in chosen:
        late = any(is_late(t, now) for t in tasks_of.get(instance.id, []))
        done = instance.status == InstanceStatus.COMPLETED
        for control in controls_in_scope(instance, scope):
            row = result.setdefault(control, {"control": control, "framework": controls.framework_of(control).name,
                                              "instances": 0, "completed": 0,
                                              "completed_on_time": 0, "overdue": 0, "escalated": 0})
            row["instances"] += 1
            row["completed"] += done
            row["completed_on_time"] += done and not late
            row["overdue"] += late
            row["escalated"] += instance.id in escalated
    return [result[c] for c in sorted(result, key=controls.order)]


def by_framework(rows):
    """Coverage rows (in coverage order) as ``[(framework, [rows…]), …]``."""
    return [(framework, list(group)) for framework, group in itertools.groupby(rows, key=lambda r: r["framework"])]
