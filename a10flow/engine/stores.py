"""Data stores: what processes keep beside their instances (SpiffArena's JSON and KKV stores),
read and written through a task's data associations.

- A JSON store holds one JSON document. A task that reads it (a data input association) finds
  the document in the variable named for the store; a task that writes it (a data output
  association) sets that variable, and the store takes the document whole.
- A KKV store holds values under two keys. A script reads one with ``store(top, secondary)``
  (or all of a top key's with ``store(top)``); a task writes by setting the variable to
  ``{top: {secondary: value}}``, where a None value deletes the entry and a None top key all
  of its entries.

Every read and write is a happening, so an instance's evidence says which revision of a store
its steps saw and what they changed. The engine does not keep stores: the step runs inside
``kept_by(backend)``, and the backend (a10flow.processes.datastores) reads and writes them in the
step's own transaction. A JSON store is read right before its task runs (``read_inputs``, not
when the task became ready, which may have been steps ago), and a task's writes are held until
it has completed (``_settle``): a task that fails changes no store, and its retry reads afresh.
"""
import copy
import json
from contextlib import contextmanager
from contextvars import ContextVar

from SpiffWorkflow.bpmn.serializer.helpers.spec import BpmnDataSpecificationConverter
from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from ..limits import MAX_STORE
from .errors import element
from .happenings import Happening, Kind

_session = ContextVar("data stores", default=None)


class StoreProblem(Exception):
    """A task cannot read or write a data store as its diagram says; the message says why."""

    task = None   # the task that failed, which a10flow.engine.errors.guard names (see _failing_at)


class _Session:
    def __init__(self, backend):
        self.backend, self.happened, self.held = backend, [], []   # held: (task, store, kind, content, happening)


@contextmanager
def kept_by(backend):
    """Run the engine with ``backend`` keeping the stores: ``read(store, kind)`` gives
    ``(revision, content)`` (content None until written) and keeps the store for this step,
    ``write(store, kind, content)`` stores ``content`` and gives the new revision, and
    ``fingerprint(content)`` names a content read in the evidence (its SHA-256)."""
    token = _session.set(_Session(backend))
    try:
        yield
    finally:
        _session.reset(token)


def drain(writes=True):
    """The reads and writes since the last drain, as happenings; the writes held are made first
    (or, without ``writes``, kept for the next drain)."""
    session = _session.get()
    if session is None:
        return []
    if writes:
        _settle()
    happened, session.happened = session.happened, []
    return happened


def _settle():
    """Make the writes held for tasks that have completed; drop those of a task whose completion
    broke off (a10flow.engine.runner puts it back to READY)."""
    session = _session.get()
    held, session.held = session.held, []
    for task, store, kind, content, happening in held:
        if task.has_state(TaskState.COMPLETED):
            happening.data["revision"] = session.backend.write(store, kind, content)
            session.happened.append(happening)


def read_inputs(task):
    """Read the JSON stores ``task`` reads into its data, now, right before it runs."""
    for store in getattr(task.task_spec, "data_input_associations", []):
        if isinstance(store, JSONStore):
            store.read_into(task)


def _current():
    if (session := _session.get()) is None:
        raise StoreProblem("data stores are read and written only inside a step")
    return session


class _Store(BpmnDataStoreSpecification):
    kind = None

    def read(self, task):
        """The store's content, a copy, recording the read."""
        with _failing_at(task):
            session = _current()
            revision, content = session.backend.read(self.bpmn_id, self.kind)
        session.happened.append(Happening(Kind.DATA_STORE_READ, *element(task), {
            "store": self.bpmn_id, "kind": self.kind, "revision": revision,
            "sha256": None if content is None else session.backend.fingerprint(content)}))
        return copy.deepcopy(content)

    def set(self, my_task):
        """Hold what the task writes, checked against the store as it is now (its row locked until
        the step commits), for ``_settle`` to write once the task has completed."""
        with _failing_at(my_task):
            if self.bpmn_id not in my_task.data:
                raise StoreProblem(f"the task writes the data store {self.bpmn_id!r}, but nothing set the variable "
                                   f"{self.bpmn_id!r}: set it in a script (or a form field of that name), or remove "
                                   f"the data output association")
            value = my_task.data[self.bpmn_id]
            self._check(value)
            session = _current()
            content = _bounded(self, self._apply(session.backend.read(self.bpmn_id, self.kind)[1], value))
        del my_task.data[self.bpmn_id]   # it is the store's now, as SpiffArena has it
        session.held.append((my_task, self.bpmn_id, self.kind, content, Happening(
            Kind.DATA_STORE_WRITTEN, *element(my_task),
            {"store": self.bpmn_id, "kind": self.kind, "revision": None, self._written: value})))


@contextmanager
def _failing_at(task):
    """A StoreProblem inside names ``task``, so the incident is at the element that read or wrote."""
    try:
        yield
    except StoreProblem as exc:
        exc.task = task
        raise


class JSONStore(_Store):
    kind, _written = "json", "document"

    def get(self, my_task):
        pass   # read when the task runs (read_inputs): a task may wait steps between ready and done

    def read_into(self, my_task):
        content = self.read(my_task)
        with _failing_at(my_task):
            if content is None:
                raise StoreProblem(f"the data store {self.bpmn_id!r} holds nothing yet: a task must write it (a "
                                   f"data output association, with the variable {self.bpmn_id!r} set) before one "
                                   f"reads it")
        my_task.data[self.bpmn_id] = content

    def _check(self, value):
        if value is None:   # what a script or a form set is JSON already; None would read as never written
            raise StoreProblem(f"the variable {self.bpmn_id!r} written to the data store is None: write a document "
                               f"(an empty one is {{}} or [])")

    @staticmethod
    def _apply(content, value):
        return value


class KKVStore(_Store):
    kind, _written = "kkv", "changes"

    def get(self, my_task):
        pass   # its lookup function cannot be task data: scripts get it beside the data (see lookups)

    def _check(self, value):
        where = f"the variable {self.bpmn_id!r} written to the data store"
        if not isinstance(value, dict):
            raise StoreProblem(f"{where} must be {{top key: {{secondary key: value}}}}, not {_kind(value)}")
        for top, entries in value.items():
            if entries is not None and not isinstance(entries, dict):
                raise StoreProblem(f"{where}: {top!r} must map secondary keys to values (or be None, which "
                                   f"deletes it), not {_kind(entries)}")

    @staticmethod
    def _apply(content, changes):
        content = copy.deepcopy(content) or {}
        for top, entries in changes.items():
            if entries is None:
                content.pop(top, None)
                continue
            kept = content.setdefault(top, {})
            for secondary, value in entries.items():
                if value is None:
                    kept.pop(secondary, None)
                else:
                    kept[secondary] = value
            if not kept:
                del content[top]
        return content


def _kind(value):
    return {list: "a list", str: "text", type(None): "None", bool: "true or false", int: "a number",
            float: "a number"}.get(type(value), "something else")


def _bounded(store, content):
    if (size := len(json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode())) > MAX_STORE:
        raise StoreProblem(f"the data store {store.bpmn_id!r} would hold {size} bytes; at most {MAX_STORE}")
    return content


KINDS = {"JSONDataStore": JSONStore, "JSONFileDataStore": JSONStore, "KKVDataStore": KKVStore}
NAMED = {"json": "JSONDataStore", "kkv": "KKVDataStore"}   # how a modeller names a store of each kind


class Parser(SpiffBpmnParser):
    """SpiffWorkflow's parser, with the stores a10flow keeps: SpiffWorkflow chooses a store's class
    by the ``<dataStore>`` element's name, as SpiffArena writes it."""
    DATA_STORE_CLASSES = KINDS


CONVERTERS = {JSONStore: BpmnDataSpecificationConverter, KKVStore: BpmnDataSpecificationConverter}


def used(specs, reads=True, writes=True):
    """``{store id: kind}`` of the stores the task specs of ``specs`` (process specs) read or write."""
    return {store.bpmn_id: store.kind for spec in specs for task in spec.task_specs.values()
            for store in (*(getattr(task, "data_input_associations", []) if reads else []),
                          *(getattr(task, "data_output_associations", []) if writes else []))
            if isinstance(store, _Store)}


def lookups(task):
    """``{store id: content}`` of the KKV stores ``task`` reads, for the sandbox to offer as lookup
    functions (see lookup); each read is recorded."""
    return {store.bpmn_id: store.read(task) or {} for store in getattr(task.task_spec, "data_input_associations", [])
            if isinstance(store, KKVStore)}


def lookup(content):
    """A KKV store's lookup, as a script calls it: ``store(top)`` gives all of a top key's values,
    ``store(top, secondary)`` one value (None where nothing is kept)."""
    def store(top, secondary=None):
        entries = content.get(_key(top), {})
        return copy.deepcopy(entries if secondary is None else entries.get(_key(secondary)))
    return store


def _key(key):
    """A key as the store keeps it: JSON's object keys are text (a script's 1 was written as "1")."""
    return key if isinstance(key, str) else json.dumps(key)
