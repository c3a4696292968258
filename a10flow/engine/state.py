"""Workflow specs and instance state to and from JSON-ready dicts.

The serialized instance embeds its whole spec, about half its bytes. Specs are
stored once per definition version and kept restored in memory; an instance's
state is stored without them and re-attached on load.
"""
from collections import OrderedDict
from threading import Lock

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from .sandbox.scripting import ScriptEngine
from .stores import CONVERTERS as STORE_CONVERTERS


ESCAPED = "a10flow:dict"


class DataRegistry(DefaultRegistry):
    """Spiff's registry, except that data stays data.

    Spiff revives every dict holding a ``typename`` key as the object it names, so a person
    who typed ``{"typename": …}`` into a form would break the instance (or build an object).
    Such a dict, wherever it sits, is written wrapped as ``{"typename": ESCAPED, "items": …}``
    and read back as the same dict.
    """

    def __init__(self):
        super().__init__()
        self.typenames[_Escaped] = ESCAPED
        self.convert_from_dict[ESCAPED] = lambda dct, **kw: {k: self.restore(v, **kw) for k, v in dct["items"]}

    def convert(self, obj, **kwargs):
        if type(obj) is dict and "typename" in obj:
            return {"typename": ESCAPED, "items": [[k, self.convert(v, **kwargs)] for k, v in obj.items()]}
        return super().convert(obj, **kwargs)


class _Escaped:
    """Stands for the wrapped dicts in the registry's tables; never made."""


class DataTaskConverter(TaskConverter):
    """Spiff's task converter (data kept as changes from the parent's), with the data passed
    through the registry on the way out too, as it is on the way in: so it is escaped."""

    def to_dict(self, task):
        dct = super().to_dict(task)
        dct["data"] = self.registry.convert(dct["data"])
        if dct["delta"]:
            dct["delta"]["updates"] = self.registry.convert(dct["delta"]["updates"])
        return dct


_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(
    SPIFF_CONFIG | STORE_CONVERTERS | {Task: DataTaskConverter}, DataRegistry()))
_cache = OrderedDict()
_cache_lock = Lock()
CACHE_SIZE = 128


def dump_spec(spec, subprocess_specs):
    return {
        "spec": _serializer.to_dict(spec),
        "subprocess_specs": {k: _serializer.to_dict(v) for k, v in subprocess_specs.items()},
        "serializer_version": _serializer.VERSION,
    }


def _restore_spec(spec_dict):
    spec = _serializer.from_dict(spec_dict["spec"])
    subs = {k: _serializer.from_dict(v) for k, v in spec_dict["subprocess_specs"].items()}
    return spec, subs


def specs_for(version_id, load_spec):
    """Restored (spec, subprocess_specs) of a definition version, cached by ``version_id``.

    ``load_spec()`` returns the stored spec dict; it is called only on a cache miss.
    """
    with _cache_lock:
        if version_id in _cache:
            _cache.move_to_end(version_id)
            return _cache[version_id]
    restored = _restore_spec(load_spec())
    with _cache_lock:
        _cache[version_id] = restored
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return restored


def new_workflow(specs):
    spec, subs = specs
    return BpmnWorkflow(spec, subs, script_engine=ScriptEngine())


def dump_state(workflow):
    """The instance's state without its specs."""
    dct = _serializer.to_dict(workflow)
    dct.pop("spec")
    dct.pop("subprocess_specs")
    dct[_serializer.VERSION_KEY] = _serializer.VERSION
    return dct


def load_state(specs, state):
    spec, subs = specs
    dct = dict(state)
    # Already-restored spec objects pass through the registry untouched.
    dct["spec"], dct["subprocess_specs"] = spec, subs
    _serializer.migrate(dct)
    workflow = _serializer.from_dict(dct)
    workflow.script_engine = ScriptEngine()
    return workflow
