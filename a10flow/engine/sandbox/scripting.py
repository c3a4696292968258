"""The environment every piece of BPMN Python runs in: scripts, conditions, timers.

SpiffWorkflow evaluates with plain exec/eval over task data; this environment runs
everything in a10flow.engine.sandbox.restricted instead, and adds the helpers a10flow
promises to process owners (``variable``, ``timer_value``, ``now``…).
"""
import json
from datetime import date, datetime, timedelta, timezone

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from ... import clock
from ...evidence import canonical
from ...work import responsibilities
from .. import services, stores
from ..errors import ExpressionError
from ..iso8601 import iso_timer
from . import isolated, restricted


def timer_value(value, kind="timeDuration"):
    """Accept what a timer expression may return and give Spiff an ISO string."""
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        iso = f"P{seconds // 86400}D" if seconds % 86400 == 0 else f"PT{seconds}S"
        return f"R/{iso}" if kind == "timeCycle" else iso
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ExpressionError(f"timer date-time {value.isoformat()} has no time zone")
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        raise ExpressionError(f"timer value {value.isoformat()} is a date without a time and zone")
    if isinstance(value, str):
        return iso_timer(value, kind)   # text is read as ISO 8601, never run
    if value is None:
        raise ExpressionError("the timer's expression gave no value: is the variable it reads set?")
    raise ExpressionError(f"a timer expression returned {type(value).__name__}, not a duration or date-time")


HELPERS = {
    "timer_value": timer_value,
    # A.10.2: check a responsibility matrix; fingerprint the exact version a party accepts.
    "matrix_problems": responsibilities.problems,
    "sha256": canonical.sha256,
    "timedelta": timedelta,
    "now": clock.now,   # the service's clock, which tests move; never datetime.now()
    "datetime": datetime,
    "timezone": timezone,
}


class Environment(TaskDataEnvironment):
    """Task data as variables, plus ``variable(name, default=None)`` and the helpers; all of it
    run in the sandbox (a10flow.engine.sandbox.restricted), in a process of its own (a10flow.engine.sandbox.isolated),
    never with plain exec or eval."""

    def __init__(self):
        super().__init__(dict(HELPERS))   # kept here only so check_for_overwrite knows their names

    def evaluate(self, expression, context, external_context=None):
        return isolated.evaluate(expression, context, external_context, clock.now())

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        left = isolated.execute(script, context, external_context, clock.now())
        for name in [n for n in context if n not in left]:   # what the script deleted
            del context[name]
        context.update(left)
        return True


def run_here(kind, source, data, external, now):
    """Run one piece of BPMN Python in this process: the worker's side of a10flow.engine.sandbox.isolated."""
    external = dict(external or {})
    kkv = {name: stores.lookup(content) for name, content in external.pop(KKV, {}).items()}
    helpers = {**HELPERS, "now": lambda: now, **external, **kkv, "variable": _variable(data),
               "time": restricted.time_module(now), "random": restricted.RANDOM,
               "get_current_task_data": lambda: dict(data)}   # as SpiffArena's scripts call it
    if kind == "eval":
        return restricted.evaluate(source, {**helpers, **data})
    left = {k: v for k, v in restricted.execute(source, {**helpers, **data}).items()
            if not (k in helpers and v is helpers[k])}   # data named like a helper is data
    left.update({k: v for k, v in data.items() if k.startswith("_")})   # scripts cannot name these: kept
    for name, value in left.items():   # what the script set must be JSON: the failure is the script's
        if name not in data or value != data[name]:
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                raise TypeError(not_json(name, value)) from None
    return left


def not_json(name, value):
    """Why the variable ``name`` cannot be kept in instance data."""
    what = f"a {type(value).__name__}" if not isinstance(value, (float, list, dict)) else "a value JSON has not " \
        "(NaN or infinity, or something inside it)"
    return (f"the variable {name!r} holds {what}; instance data must be JSON (text, finite numbers, "
            f"true/false, lists, objects): convert it, e.g. with .isoformat(), or del it at the end of the script")


def _variable(context):
    def variable(name, default=None):
        return context.get(name, default)
    return variable


KKV = "_kkv"   # where the KKV stores a task reads cross to the worker; no script can name it


class ScriptEngine(PythonScriptEngine):
    """Spiff's engine, with service tasks handed back to the step as plain calls, and the KKV
    stores a task reads offered to its scripts as lookup functions (a10flow.engine.stores).

    SpiffWorkflow's own call_service hides errors behind a NameError; here a bad
    call fails the task with its own message.
    """

    def __init__(self):
        super().__init__(environment=Environment())
        self.calls = []

    def evaluate(self, task, expression, external_context=None):
        return super().evaluate(task, expression, _with_stores(task, external_context))

    def execute(self, task, script, external_context=None):
        return super().execute(task, script, _with_stores(task, external_context))

    def call_service(self, task, operation_name=None, operation_params=None, **_):
        self.calls.append(services.call(operation_name, operation_params or {}))
        return json.dumps({"status": "done"})


def _with_stores(task, external):
    found = stores.lookups(task)
    return {**(external or {}), KKV: found} if found else external


def script_engine():
    return ScriptEngine()
