"""What the service lends the engine as the app starts (a10flow.create_app): its clock, and the
functions its processes' scripts may call besides the engine's own. The engine imports nothing
of the service; it asks here.

A worker process (a10flow.engine.sandbox.worker) is lent the same functions by reference: each
crosses as its module and qualified name, as pickle sends a function, and the worker imports it
before it confines itself.
"""
import importlib
from datetime import datetime, timezone

_now = None
_script_helpers = {}


def lend(now=None, script_helpers=None):
    """Read the time with ``now()``; offer ``script_helpers`` ({name: function}) to BPMN Python.

    :raises ValueError: a helper is no module-level function, which a worker could not import.
    """
    global _now, _script_helpers
    for name, function in (script_helpers or {}).items():
        if "<" in getattr(function, "__qualname__", "<"):
            raise ValueError(f"the script helper {name!r} must be a module-level function: a worker imports it")
    if now is not None:
        _now = now
    if script_helpers is not None:
        _script_helpers = dict(script_helpers)


def now():
    """The service's time, aware UTC (the system's until the service lends its clock)."""
    return _now() if _now is not None else datetime.now(timezone.utc)


def script_helpers():
    """``{name: function}``: what the service offers BPMN Python."""
    return dict(_script_helpers)


def references():
    """The script helpers as a worker imports them: ``{name: "module:qualified name"}``."""
    return {name: f"{f.__module__}:{f.__qualname__}" for name, f in _script_helpers.items()}


def imported(references):
    """The functions ``references`` (as ``references()`` gives them) name, imported."""
    found = {}
    for name, reference in references.items():
        module, _, path = reference.partition(":")
        found[name] = importlib.import_module(module)
        for part in path.split("."):
            found[name] = getattr(found[name], part)
    return found
