"""The frame every step runs in: its own transaction, the instance row locked, the workflow
loaded from it; a failure at an element rolls all of it back and is kept as an incident."""
from contextlib import contextmanager

from sqlalchemy.orm import joinedload

from .. import evidence
from ..evidence import actor_of  # noqa: F401 (the steps take it from here, with the rest of the frame)
from ..database import end_read, write
from ..engine import runner, stores
from ..engine.state import specs_for
from ..errors import NotFound, StepFailed
from ..models import DefinitionVersion, EvidenceType, Instance, InstanceStatus, User, db
from ..people import access
from ..processes import datastores, incidents

LIVE = (InstanceStatus.RUNNING, InstanceStatus.FAILED)   # a failed instance moves on, but for its incidents
ENGINE_ACTOR = {"id": "system:engine", "name": "a10flow engine"}
TIMER_ACTOR = {"id": "system:timer", "name": "a10flow scheduler"}


class StepError(Exception):
    """A failure of the step's own at an element, not the engine's: the instance's data grown too
    large, an address that is none. Like the engine's, it names the element and says why."""

    def __init__(self, element_id, element_name, message):
        super().__init__(message)
        self.element_id, self.element_name, self.message = element_id, element_name, message


# What stops a step at an element, naming it and saying why: the engine failing there, the
# evidence refusing a record of it too large to keep, or the step's own bounds.
AT_ELEMENT = (runner.EngineError, evidence.RecordTooLarge, StepError)


@contextmanager
def transaction():
    """The step's own transaction, in which the engine's data stores are read and written too.
    A request may have read (auth) before the step: that read ends first, so that the row lock
    is the first statement of the step's transaction."""
    end_read()
    with write(), stores.kept_by(datastores.Backend()):
        yield


@contextmanager
def locked(instance_id, actor, skip_locked=False):
    """One step on an instance: its own transaction, the instance row locked (see lock). A
    failure that no element can hold rolls all of it back and is kept as an incident.

    :raises StepFailed: naming the element at fault.
    """
    try:
        with transaction():
            yield lock(instance_id, skip_locked, actor if isinstance(actor, User) else None)
    except AT_ELEMENT as exc:
        _record_failure(instance_id, exc, actor)
        raise step_failed(exc) from exc


def lock(instance_id, skip_locked=False, user=None):
    """The instance row, locked until the step commits; with ``user``, one they may see.

    With ``skip_locked`` an instance another process is stepping gives None
    instead of a wait (PostgreSQL; SQLite runs one writer at a time anyway).
    :raises NotFound: no such instance, or ``user`` may not see it.
    """
    if user is not None:
        access.instance(instance_id, user)
    instance = db.session.execute(
        db.select(Instance).where(Instance.id == instance_id).with_for_update(of=Instance, skip_locked=skip_locked)
        .options(joinedload(Instance.version).joinedload(DefinitionVersion.definition))
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if instance is None and not skip_locked:
        raise NotFound(f"instance {instance_id} not found")
    return instance


def specs_of(version):
    """The engine's specs of a deployed version, cached.
    Keyed by content, not row id: ids are reused when a database is recreated."""
    return specs_for((version.definition.key, version.content_hash), lambda: version.spec)


def load(instance):
    """The instance's workflow, from its stored state, on its version's specs."""
    return runner.load(specs_of(instance.version), instance.state)


def step_failed(exc):
    where = exc.element_name or exc.element_id or "the process"
    return StepFailed(f"the process failed at {where}: {exc.message}",
                      [{"element": exc.element_id, "message": exc.message}])


def _record_failure(instance_id, exc, user):
    """Keep a failure whose step was rolled back as an incident (in its own transaction)."""
    with transaction():
        instance = lock(instance_id)
        failure = {"task_id": None, "error": exc.message, "by_timer": user is TIMER_ACTOR}
        counted = incidents.failed(instance, exc.element_id, exc.element_name, failure)
        if counted["attempt"] == 1:   # the same step failing again is counted on its incident, not
            # recorded again: whoever can send it again and again must not be able to fill the chain
            evidence.append(instance, EvidenceType.INSTANCE_FAILED, actor_of(user),
                            (exc.element_id, exc.element_name), counted)
        incidents.settle(instance, lambda task_id: True)   # the stored state did not change
