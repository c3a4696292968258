"""The sandbox every piece of BPMN Python runs in: scripts, conditions, timer, assignment and
DMN expressions. Process owners upload it; it must not reach the service.

- Compiled by RestrictedPython: no names or attributes starting with ``_``, no exec/eval/
  compile/open/globals; refused at deploy, naming the element (``problem``).
- At run time: attribute access (``x.y`` and ``getattr``) refuses, besides ``_…``, the frame
  and code walks (``gi_frame``, ``f_back``, ``f_globals``…), ``format``/``format_map`` (whose
  fields walk attributes), and anything of a module; ``import`` gives only vetted parts of
  datetime, math, decimal, re, json, time (the service's clock) and random, never the modules
  themselves; shared objects cannot be changed.
- Bounded: a wall-clock budget per evaluation (a watchdog throws into code past it, and
  scripts cannot catch that), and ``*``, ``**``, ``<<`` and ``range`` that refuse to build
  anything huge. One long call inside C (a catastrophic regular expression, a huge str.join)
  is beyond these guards: a10flow.engine.sandbox.isolated runs all of this in a process of its own,
  with a memory limit, and kills it past its time.
"""
import ast
import ctypes
import datetime as _datetime
import decimal as _decimal
import functools
import json as _json
import math as _math
import operator
import random as _random
import re as _re
import threading
import warnings
from types import ModuleType, SimpleNamespace

from RestrictedPython import RestrictingNodeTransformer, compile_restricted, safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.PrintCollector import PrintCollector

from ...limits import MAX_EXPONENT_BITS, MAX_ITEMS, TIME_LIMIT

# Attributes that lead from a value to frames, code or globals without a leading underscore.
DENIED_ATTRIBUTES = {"gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code",
                     "ag_await", "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "tb_frame",
                     "tb_next", "co_code", "co_consts", "func_globals", "func_code", "format", "format_map", "mro"}


class SandboxError(Exception):
    """BPMN Python tried something the sandbox does not allow."""


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's rules, and ``*`` / ``**`` routed through the size guards."""

    def visit_ExceptHandler(self, node):
        # Catching everything would catch the out-of-time signal: name what you expect instead.
        caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        if node.type is None or any(isinstance(t, ast.Name) and t.id == "BaseException" for t in caught):
            self.error(node, "catch specific exceptions (e.g. except ValueError:), not everything")
        return self.node_contents_visit(node)

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        name = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_"}.get(type(node.op))
        if name is None:
            return node
        call = ast.copy_location(ast.Call(func=ast.Name(name, ast.Load()), args=[node.left, node.right],
                                          keywords=[]), node)
        return ast.fix_missing_locations(call)


_MISSING = object()


def _getattr(obj, name, default=_MISSING):
    if not isinstance(name, str) or name.startswith("_") or name in DENIED_ATTRIBUTES or isinstance(obj, ModuleType):
        raise SandboxError(f"access to {name!r} is not allowed in BPMN Python")
    return getattr(obj, name) if default is _MISSING else getattr(obj, name, default)


def _write(obj):
    # Item assignment on the script's own lists and dicts; never changing shared objects' attributes.
    if isinstance(obj, (dict, list)):
        return obj
    raise SandboxError(f"changing a {type(obj).__name__} is not allowed in BPMN Python")


def _mul(a, b):
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_ITEMS:
            raise SandboxError(f"a sequence of {len(seq) * n} items is too large")
    return a * b


def _pow(a, b):
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1 and \
            abs(a).bit_length() * b > MAX_EXPONENT_BITS:
        raise SandboxError("the power is too large to compute")
    return a ** b


def _lshift(a, b):
    if isinstance(a, int) and isinstance(b, int) and b > MAX_EXPONENT_BITS:
        raise SandboxError("the shift is too large to compute")
    return a << b


def _apply(function, *args, **kwargs):
    # RestrictedPython routes calls with *args / **kwargs through here; the call itself is checked
    # by the same guards as any other.
    return function(*args, **kwargs)


def _iter(value):
    return iter(value)   # one argument only: iter(callable, sentinel) makes endless C-level loops


def _range(*args):
    made = range(*args)
    if len(made) > MAX_ITEMS:
        raise SandboxError(f"a range of {len(made)} numbers is too large")
    return made


def _namespace(module, names):
    return SimpleNamespace(**{n: getattr(module, n) for n in names})


# What ``import`` gives: vetted names, never the module (whose imports lead anywhere).
MODULES = {
    "datetime": _namespace(_datetime, ["date", "datetime", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR"]),
    # Not factorial, comb, perm, prod, lcm: one call of them can run for minutes in C.
    "math": _namespace(_math, [n for n in dir(_math) if not n.startswith("_")
                               and n not in ("factorial", "comb", "perm", "prod", "lcm")]),
    "decimal": _namespace(_decimal, ["Decimal", "ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_DOWN", "ROUND_UP",
                                     "ROUND_FLOOR", "ROUND_CEILING", "InvalidOperation"]),
    "re": _namespace(_re, ["compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer",
                           "escape", "IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "ASCII"]),
    "json": _namespace(_json, ["loads", "dumps"]),
}


RANDOM = _namespace(_random.SystemRandom(), ["random", "randint", "randrange", "uniform", "choice", "choices",
                                             "sample", "shuffle"])
SLEEP = ("time.sleep() does not pause a10flow: a step never waits. Draw a timer event where the process "
         "should wait")


def time_module(now):
    """What ``time`` gives BPMN Python (SpiffArena scripts use it without an import): the
    service's clock, which tests move, and no sleep."""
    def sleep(seconds):
        raise SandboxError(SLEEP)
    return SimpleNamespace(time=lambda: now.timestamp(), time_ns=lambda: int(now.timestamp() * 10**9), sleep=sleep)


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if not level and name == "time" and isinstance((globals or {}).get("time"), SimpleNamespace):
        return globals["time"]   # the environment's clock (a10flow.engine.sandbox.scope)
    if not level and name == "random":
        return RANDOM
    if level or name not in MODULES:
        allowed = ", ".join(sorted([*MODULES, "random", "time"]))
        raise SandboxError(f"import {name!r} is not allowed in BPMN Python (allowed: {allowed})")
    return MODULES[name]


# Not: classes, setattr/delattr, id, BaseException (see visit_ExceptHandler), and pow (which would
# skip the ** guard).
_BUILTINS = {k: v for k, v in safe_builtins.items()
             if k not in ("__build_class__", "setattr", "delattr", "id", "BaseException", "pow")}
_BUILTINS.update({
    "__import__": _import, "range": _range, "getattr": _getattr,
    "list": list, "dict": dict, "tuple": tuple, "set": set, "frozenset": frozenset, "sorted": sorted,
    "min": min, "max": max, "sum": sum, "any": any, "all": all, "enumerate": enumerate, "zip": zip,
    "map": map, "filter": filter, "reversed": reversed, "iter": _iter, "next": next,
})
_GUARDS = {
    "__builtins__": _BUILTINS, "_getattr_": _getattr, "_getitem_": operator.getitem, "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _write, "_print_": PrintCollector, "_apply_": _apply, "_mul_": _mul, "_pow_": _pow, "_lshift_": _lshift,
    "_inplacevar_": lambda op, a, b: {"+=": operator.add, "-=": operator.sub, "*=": _mul, "/=": operator.truediv,
                                      "//=": operator.floordiv, "%=": operator.mod, "**=": _pow, "<<=": _lshift}[op](a, b),
}


def _compile(source, mode):
    with warnings.catch_warnings():   # e.g. "prints, but never reads 'printed'": print output is dropped
        warnings.simplefilter("ignore")
        return compile_restricted(source, filename="<bpmn>", mode=mode, policy=_Policy)


@functools.lru_cache(maxsize=4096)
def _compiled(source, mode):
    return _compile(source, mode)


def problem(source, mode="eval"):
    """Why ``source`` may not run in the sandbox (the first reason), or None. For deploy checks."""
    try:
        _compile(source, mode)
    except SyntaxError as exc:
        errors = exc.args[0] if exc.args and isinstance(exc.args[0], tuple) else (exc.msg or str(exc),)
        return str(errors[0]).replace(" in RestrictedPython", "")
    return None


class _OutOfTime(BaseException):
    """Thrown into code past its time; scripts cannot catch it (see _Policy.visit_ExceptHandler)."""


def _run(code, scope, how):
    """Run ``code``; past TIME_LIMIT a watchdog throws _OutOfTime into it, again and again until
    it stops (a trace hook would miss one-line loops and could be caught and switched off)."""
    thread = threading.get_ident()
    done = threading.Event()

    def watchdog():
        if done.wait(TIME_LIMIT):
            return
        while not done.is_set():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(_OutOfTime))
            done.wait(0.05)

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    try:
        return how(code, scope)
    except _OutOfTime:
        raise SandboxError(f"the code ran longer than {TIME_LIMIT:g} s") from None
    finally:
        done.set()
        guard.join()
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), None)   # none left pending


def evaluate(expression, names):
    """The value of ``expression`` with ``names`` as its variables."""
    code = _compiled(expression, "eval")
    return _run(code, {**names, **_GUARDS}, eval)


def execute(script, names):
    """Run ``script`` with ``names`` as its variables; returns the variables it leaves
    (plain values: helpers, functions and modules are left behind)."""
    code = _compiled(script, "exec")
    scope = {**names, **_GUARDS}
    _run(code, scope, exec)
    return {k: v for k, v in scope.items()
            if k not in _GUARDS and not k.startswith("_") and not callable(v) and not isinstance(v, SimpleNamespace)}
