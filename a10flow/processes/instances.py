"""Finding the process instances a person may see; what a task of one sees; how far one has come."""
from ..engine import runner
from ..models import Definition, DefinitionVersion, Instance, InstanceStatus, TaskStatus, Timer, db
from ..people import access
from ..step import load
from ..work import documents, human_tasks
from . import incidents


def find(user, process=None, status=None, business_key=None, limit=None):
    """The instances ``user`` may see, newest first."""
    stmt = db.select(Instance).where(access.visible_instances(user))
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


def shown_documents(task):
    """The ids of the documents ``task``'s page shows of its case (its ``show``: the matrix's PDF a party
    accepts, the updated documents a customer is told of), which its outside party may fetch too."""
    data = task_data(task)[0]
    return documents.described_ids([data.get(name) for name in task.settings.get("show") or []])


def progress(instance):
    """How far ``instance`` has come, for drawing it: ``{element id: "done" | "waiting" | "failed"}``,
    failing over waiting over done (an element run before may wait again in a loop)."""
    timers = db.session.scalars(db.select(Timer.element_id).where(Timer.instance_id == instance.id))
    try:
        done = runner.done_elements(load(instance))
    except runner.EngineError:   # a state no longer readable: what waits and failed is still known
        done = ()
    marks = dict.fromkeys(done, "done")
    marks.update(dict.fromkeys([*(t.element_id for t in human_tasks.open_tasks(instance.id)), *timers], "waiting"))
    marks.update(dict.fromkeys((i.element_id for i in incidents.of_instance(instance.id)
                                if i.status in incidents.UNRESOLVED), "failed"))
    marks.pop(None, None)
    return marks
