"""Who may see which process instances; finding them; how far they have come."""
from .engine import runner
from .errors import NotFound
from .step import specs_of
from .models import Definition, DefinitionVersion, HumanTask, Instance, InstanceStatus, Role, TaskStatus, db
from .tasks import visible_filter


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
            seen, items = runner.task_data(runner.load(specs_of(task.instance.version), task.instance.state), task.id)
            if seen:
                return seen, items
        except runner.EngineError:
            pass
    return task.instance.data or {}, []


def done_elements(instance):
    """Ids of the elements of ``instance`` that have run."""
    return runner.done_elements(runner.load(specs_of(instance.version), instance.state))
