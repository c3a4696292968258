"""BPMN Python in a process of its own.

The sandbox's guards stop what Python code does, but not one long call inside C: a regular
expression that backtracks for ever, a join or replace on huge text, a string doubled until
memory runs out. So each evaluation runs in a worker process with an address-space limit
(MEMORY_LIMIT); a worker that does not answer within the time limit is killed and replaced.

Workers are kept and reused (starting one takes a moment). A worker starts with an empty
environment (no database address, no key location), in a session of its own (no terminal to
type into) with no descriptor of the service's but its pipes; what it writes to stderr is
logged line by line under its process id, so it cannot pose as the service in the log. It
confines itself as far as the OS allows
(a10flow.engine.sandbox.confine: no network, no files but Python's, no tracing), and only data
crosses: the task's variables and the clock's time go in, the result comes out, both as
JSON with tags for dates, durations and decimals. The service never unpickles what a worker
sends (a10flow.engine.sandbox.wire). The sandbox remains the first wall. The worker's side is
a10flow.engine.sandbox.worker.
"""
import atexit
import builtins
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

from ...limits import CPU_LIMIT, MAX_ANSWER, MEMORY_LIMIT, STARTUP_LIMIT
from .. import host
from ..errors import ExpressionError
from . import restricted
from .wire import decode, encode
from .worker import main as worker_main

GRACE = 0.5                  # seconds past the time limit before a silent worker is killed
KEEP = 4                     # idle workers kept for the next evaluation
LOG_LINES = 100              # lines of a worker's stderr logged; the rest are counted

_idle, _lock = [], threading.Lock()
_warned = set()   # the confinement layers this machine lacks, each logged once
log = logging.getLogger(__name__)


def evaluate(expression, data, external, now):
    """The value of ``expression`` over ``data`` (the task's variables) and ``external`` (what the
    engine adds), ``now`` being the service's time."""
    return _ask({"kind": "eval", "source": expression, "data": data, "external": external, "now": now})


def execute(script, data, external, now):
    """Run ``script`` over ``data`` and ``external``; returns the variables it leaves."""
    return _ask({"kind": "exec", "source": script, "data": data, "external": external, "now": now})


def _ask(request):
    limit = restricted.TIME_LIMIT
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
    return restricted.SandboxError(f"the code used more than {MEMORY_LIMIT // 2**20} MB of memory")


def _take():
    """An idle worker, else a new one. A worker imports the script helpers the service lends as it
    starts: one started before the service lent others is retired."""
    lent, stale = host.references(), []
    with _lock:
        while _idle and _idle[-1].lent != lent:
            stale.append(_idle.pop())
        worker = _idle.pop() if _idle else None
    for old in stale:
        old.kill()
    return worker or _Worker()


@atexit.register
def _stop_idle():
    with _lock:
        while _idle:
            _idle.pop().kill()


def _give_back(worker):
    if worker.spent() > CPU_LIMIT / 2:   # retired well before the kernel's limit could stop it mid-evaluation
        worker.kill()
        return
    with _lock:
        if len(_idle) < KEEP:
            _idle.append(worker)
            return
    worker.kill()


class _Worker:
    def __init__(self, probe=False):
        self.lent = host.references()
        to_worker, from_worker = os.pipe(), os.pipe()
        environment = {"PATH": os.defpath, "LC_ALL": "C.UTF-8", "PYTHONPATH": os.pathsep.join(sys.path)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from {worker_main.__module__} import main; main()", str(to_worker[0]),
             str(from_worker[1]), str(MEMORY_LIMIT), str(CPU_LIMIT), json.dumps(self.lent),
             *(["--probe"] if probe else [])],
            pass_fds=(to_worker[0], from_worker[1]), env=environment, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, cwd="/")
        self.logger = threading.Thread(target=_log_stderr, args=(self.process,), daemon=True)
        self.logger.start()
        os.close(to_worker[0])
        os.close(from_worker[1])
        self.out, self.back = Connection(to_worker[1], readable=False), Connection(from_worker[0], writable=False)
        # Its start-up (imports, confinement) must not count against the first evaluation's time.
        ready = self._answer() if self.back.poll(STARTUP_LIMIT) else None
        if not isinstance(ready, dict) or "ready" not in ready:
            self.kill()
            raise RuntimeError("the process for BPMN Python did not start")
        self.confinement = ready["ready"]
        for layer, why in self.confinement.items():
            if why and layer not in _warned:
                _warned.add(layer)
                log.warning("BPMN Python workers run without one layer of confinement (%s): %s", layer, why)

    def ask(self, message, timeout):
        self.out.send_bytes(message)
        if not self.back.poll(timeout):
            raise restricted.SandboxError(f"the code ran longer than {timeout - GRACE:g} s")
        return self._answer()

    def _answer(self):
        try:
            return decode(self.back.recv_bytes(MAX_ANSWER))
        except (EOFError, OSError):   # it died: the memory limit, most likely
            raise _too_big() from None
        except ValueError:   # not what a worker writes: trust nothing more from it
            raise restricted.SandboxError("the process running the code answered nonsense") from None

    def spent(self):
        """Seconds of processor time the worker has used, as the kernel counts them."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime + stime
        except (OSError, ValueError, IndexError):
            return CPU_LIMIT

    def kill(self):
        # The whole session's group: anything the worker started, had it found a way, goes with it.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.logger.join(5)   # the last lines it wrote are in the log before it is gone
        self.out.close()
        self.back.close()


def _log_stderr(process):
    """Log what a worker writes to stderr, each line under its process id, up to LOG_LINES."""
    dropped = 0
    for number, line in enumerate(process.stderr):
        if number < LOG_LINES:
            log.warning("BPMN Python worker %s wrote: %s", process.pid, line[:1000].decode("utf-8", "replace").rstrip())
        else:
            dropped += 1
    if dropped:
        log.warning("BPMN Python worker %s wrote %s more lines, not logged", process.pid, dropped)
    process.stderr.close()


_KNOWN = {"SandboxError": restricted.SandboxError, "ExpressionError": ExpressionError}


def _exception(error):
    """The exception the worker raised, as one of the same type where that is a plain one."""
    kind = _KNOWN.get(error["type"]) or getattr(builtins, error["type"], None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(error["message"])
        except TypeError:   # e.g. UnicodeDecodeError wants more than a message
            pass
    return RuntimeError(f"{error['type']}: {error['message']}")


def probe(code):
    """Run ``code`` (plain Python, no sandbox) inside a new, confined worker: what it leaves in
    ``result`` comes back. For tests that play code which escaped the sandbox; a worker that
    serves the service never takes this request."""
    worker = _Worker(probe=True)
    try:
        answer = worker.ask(encode({"kind": "probe", "source": code, "time_limit": 10}), 30)
    finally:
        worker.kill()
    if "error" in answer:
        raise _exception(answer["error"])
    return answer["value"], worker.confinement
