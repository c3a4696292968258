"""BPMN Python in a process of its own.

The sandbox's guards stop what Python code does, but not one long call inside C: a regular
expression that backtracks for ever, a join or replace on huge text, a string doubled until
memory runs out. So each evaluation runs in a worker process with an address-space limit
(MEMORY_LIMIT); a worker that does not answer within the time limit is killed and replaced.

Workers are kept and reused (starting one takes a moment). Only data crosses: the task's
variables and the clock's time go in, the result comes out, both as JSON with tags for
dates, durations and decimals. The service never unpickles what a worker sends, so even a
worker taken over by an escape could not reach the service.
"""
import builtins
import json
import multiprocessing
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from . import sandbox
from .normalize import ExpressionError

MEMORY_LIMIT = 512 * 2**20   # bytes of address space one worker may use
GRACE = 0.5                  # seconds past the time limit before a silent worker is killed
MAX_ANSWER = 64 * 2**20      # the largest answer read from a worker
KEEP = 4                     # idle workers kept for the next evaluation
STARTUP_LIMIT = 60           # seconds a new worker may take to start

_idle, _lock = [], threading.Lock()


def evaluate(expression, data, external, now):
    """The value of ``expression`` over ``data`` (the task's variables) and ``external`` (what the
    engine adds), ``now`` being the service's time."""
    return _ask({"kind": "eval", "source": expression, "data": data, "external": external, "now": now})


def execute(script, data, external, now):
    """Run ``script`` over ``data`` and ``external``; returns the variables it leaves."""
    return _ask({"kind": "exec", "source": script, "data": data, "external": external, "now": now})


def _ask(request):
    limit = sandbox.TIME_LIMIT
    message = encode({**request, "time_limit": limit})
    worker = _take()
    try:
        answer = worker.ask(message, limit + GRACE)
    except BaseException:
        worker.kill()
        raise
    if "error" in answer and answer["error"]["type"] == "MemoryError":
        worker.kill()   # its heap may be in pieces: start afresh
        raise _too_big()
    _give_back(worker)
    if "error" in answer:
        raise _exception(answer["error"])
    return answer["value"]


def _too_big():
    return sandbox.SandboxError(f"the code used more than {MEMORY_LIMIT // 2**20} MB of memory")


def _take():
    with _lock:
        if _idle:
            return _idle.pop()
    return _Worker()


def _give_back(worker):
    with _lock:
        if len(_idle) < KEEP:
            _idle.append(worker)
            return
    worker.kill()


class _Worker:
    def __init__(self):
        context = multiprocessing.get_context("spawn")   # never fork a threaded server
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(theirs, MEMORY_LIMIT), daemon=True,
                                       name="a10flow BPMN Python")
        self.process.start()
        theirs.close()
        # Its start-up (imports) must not count against the first evaluation's time.
        if not self.conn.poll(STARTUP_LIMIT) or decode(self.conn.recv_bytes(MAX_ANSWER)) != "ready":
            self.kill()
            raise RuntimeError("the process for BPMN Python did not start")

    def ask(self, message, timeout):
        self.conn.send_bytes(message)
        if not self.conn.poll(timeout):
            raise sandbox.SandboxError(f"the code ran longer than {timeout - GRACE:g} s")
        try:
            return decode(self.conn.recv_bytes(MAX_ANSWER))
        except (EOFError, OSError):   # it died: the memory limit, most likely
            raise _too_big() from None

    def kill(self):
        self.process.kill()
        self.process.join()
        self.conn.close()


_KNOWN = {"SandboxError": sandbox.SandboxError, "ExpressionError": ExpressionError}


def _exception(error):
    """The exception the worker raised, as one of the same type where that is a plain one."""
    kind = _KNOWN.get(error["type"]) or getattr(builtins, error["type"], None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(error["message"])
        except TypeError:   # e.g. UnicodeDecodeError wants more than a message
            pass
    return RuntimeError(f"{error['type']}: {error['message']}")


# The worker's side.

def serve(conn, memory_limit):
    """Answer requests on ``conn`` until the service goes away."""
    import resource
    from . import scripting   # before the limit: importing needs more room than running
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))   # no files written, whatever happens
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    conn.send_bytes(encode("ready"))
    while True:
        try:
            request = decode(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            sandbox.TIME_LIMIT = request["time_limit"]
            answer = {"value": scripting.run_here(request["kind"], request["source"], request["data"],
                                                  request["external"], request["now"])}
            conn.send_bytes(encode(answer))
        except Exception as exc:
            conn.send_bytes(encode({"error": {"type": type(exc).__name__, "message": str(exc)}}))


# JSON with tags: what BPMN Python commonly hands back besides plain data.

_TAG = "$a10flow"
_TYPES = {"datetime": datetime.fromisoformat, "date": date.fromisoformat, "time": time.fromisoformat,
          "timedelta": lambda v: timedelta(seconds=v), "decimal": Decimal, "set": set}


def _tagged(value):
    if isinstance(value, (datetime, date, time)):
        return {_TAG: type(value).__name__, "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {_TAG: "timedelta", "v": value.total_seconds()}
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, (set, frozenset)):
        return {_TAG: "set", "v": list(value)}
    raise TypeError(f"a {type(value).__name__} cannot leave BPMN Python")


def _untagged(obj):
    if len(obj) == 2 and obj.get(_TAG) in _TYPES and "v" in obj:
        return _TYPES[obj[_TAG]](obj["v"])
    return obj


def encode(value):
    return json.dumps(value, default=_tagged).encode()


def decode(data):
    return json.loads(data, object_hook=_untagged)
