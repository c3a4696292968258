"""Who may see which process instances; finding them; how far they have come."""
from ..engine import runner
from ..errors import NotFound
from ..models import Definition, DefinitionVersion, HumanTask, Instance, InstanceStatus, Role, TaskStatus, Timer, db
from ..step import load
from ..work.human_tasks import visible_filter
from . import incidents


def _visible(stmt, user):
    # Staff see instances they started or hold a task in; other roles see all.
    if user.role != Role.STAFF:
        return stmt
    return stmt.where((Instance.started_by == user.id) | db.exists().where(
        (HumanTask.instance_id == Instance.id) & visible_filter(user)))


def visible(instance_id, user):
    """The instance, if ``user`` may see it. :raises NotFound: also when they may not."""
    instance = db.session.scalar(_visible(db.select(Instance).where(Instance.id == instance_id), user))
    if instance is None:
        raise NotFound(f"instance {instance_id} not found")
    return instance


def find(user, process=None, status=None, business_key=None, limit=None):
    """The instances ``user`` may see, newest first."""
    stmt = _visible(db.select(Instance), user)
    if process:
        stmt = stmt.join(DefinitionVersion).join(Definition).where(Definition.key == process)
    if status:
        stmt = stmt.where(Instance.status == InstanceStatus(status))
    if business_key:
        stmt = stmt.where(Instance.business_key == business_key)
    return db.session.scalars(stmt.order_by(Instance.id.desc()).limit(limit)).all()


def task_data(task):
    """``(data, item names)``: the data ``task`` sees while open, with the names of its own items
    (one of a multi-instance task's: the customer, the action); once done, or when the state does
    not load, the instance's data and no item."""
    if task.status == TaskStatus.OPEN:
        try:
            seen, items = runner.task_data(load(task.instance), task.id)
            if seen:
                return seen, items
        except runner.EngineError:
            pass
    return task.instance.data or {}, []


def progress(instance):
    """How far ``instance`` has come, for drawing it: ``{element id: "done" | "waiting" | "failed"}``,
    failing over waiting over done (an element run before may wait again in a loop)."""
    open_tasks = db.session.scalars(db.select(HumanTask.element_id).where(
        HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN))
    timers = db.session.scalars(db.select(Timer.element_id).where(Timer.instance_id == instance.id))
    try:
        done = runner.done_elements(load(instance))
    except runner.EngineError:   # a state no longer readable: what waits and failed is still known
        done = ()
    marks = dict.fromkeys(done, "done")
    marks.update(dict.fromkeys([*open_tasks, *timers], "waiting"))
    marks.update(dict.fromkeys((i.element_id for i in incidents.of_instance(instance.id)
                                if i.status in incidents.UNRESOLVED), "failed"))
    marks.pop(None, None)
    return marks
