"""The environment every piece of BPMN Python runs in: scripts, conditions, timers.

SpiffWorkflow evaluates with plain exec/eval over task data; this environment runs
everything in a worker process (a10flow.engine.sandbox.isolated), in the sandbox, with the
helpers a10flow promises to process owners (a10flow.engine.sandbox.scope).
"""
import json

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from .. import host, services, stores
from . import isolated
from .scope import KKV, helpers_offered


class Environment(TaskDataEnvironment):
    """Task data as variables, plus ``variable(name, default=None)`` and the helpers; all of it
    run in the sandbox (a10flow.engine.sandbox.restricted), in a process of its own (a10flow.engine.sandbox.isolated),
    never with plain exec or eval."""

    def __init__(self):
        super().__init__(helpers_offered())   # kept here only so check_for_overwrite knows their names

    def evaluate(self, expression, context, external_context=None):
        return isolated.evaluate(expression, context, external_context, host.now())

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        left = isolated.execute(script, context, external_context, host.now())
        for name in [n for n in context if n not in left]:   # what the script deleted
            del context[name]
        context.update(left)
        return True


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
