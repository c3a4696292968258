"""The environment every piece of BPMN Python runs in: scripts, conditions, timers.

SpiffWorkflow evaluates with plain exec/eval over task data. This environment
adds the helpers a10flow promises to process owners (``variable``,
``timer_value``); the sandbox that keeps process owners' Python away from the
service itself belongs here too.
"""
import json
from datetime import date, datetime, timedelta, timezone

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from .. import canonical, clock, responsibilities
from . import services
from .normalize import ExpressionError, timer_to_python


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
        return eval(timer_to_python(value, kind), {"timer_value": timer_value})  # noqa: S307 - literal only
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
    """Task data as variables, plus ``variable(name, default=None)`` and the helpers."""

    def __init__(self):
        super().__init__(dict(HELPERS))

    def evaluate(self, expression, context, external_context=None):
        extra = dict(external_context or {})
        extra["variable"] = _variable(context)
        return super().evaluate(expression, context, extra)

    def execute(self, script, context, external_context=None):
        extra = dict(external_context or {})
        extra["variable"] = _variable(context)
        return super().execute(script, context, extra)


def _variable(context):
    def variable(name, default=None):
        return context.get(name, default)
    return variable


class ScriptEngine(PythonScriptEngine):
    """Spiff's engine, with service tasks handed back to the step as plain calls.

    SpiffWorkflow's own call_service hides errors behind a NameError; here a bad
    call fails the task with its own message.
    """

    def __init__(self):
        super().__init__(environment=Environment())
        self.calls = []

    def call_service(self, task, operation_name=None, operation_params=None, **_):
        self.calls.append(services.call(operation_name, operation_params or {}))
        return json.dumps({"status": "done"})


def script_engine():
    return ScriptEngine()
