"""What a piece of BPMN Python finds in its scope, and its run there: the task's data as variables,
``variable(name, default=None)``, the helpers a10flow promises process owners (``timer_value``,
``now``…, and those the service lends, a10flow.engine.host), and a lookup function for each KKV
store the task reads. Run inside a worker (a10flow.engine.sandbox.worker), in the sandbox
(a10flow.engine.sandbox.restricted)."""
import json
from datetime import date, datetime, timedelta, timezone

from .. import host, stores
from ..errors import ExpressionError
from ..iso8601 import iso_timer
from . import restricted


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
    "timedelta": timedelta,
    "now": host.now,   # the service's clock, which tests move; never datetime.now()
    "datetime": datetime,
    "timezone": timezone,
}
KKV = "_kkv"   # where the KKV stores a task reads cross to the worker; no script can name it


def helpers_offered():
    """The engine's helpers and the service's, by name."""
    return {**HELPERS, **host.script_helpers()}


def run_here(kind, source, data, external, now):
    """Run one piece of BPMN Python in this process (the worker's), ``now`` being the service's time;
    returns an expression's value, or the variables a script leaves."""
    external = dict(external or {})
    kkv = {name: stores.lookup(content) for name, content in external.pop(KKV, {}).items()}
    helpers = {**helpers_offered(), "now": lambda: now, **external, **kkv, "variable": _variable(data),
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
