"""The worker's side of a10flow.engine.sandbox.isolated: a process of its own that confines itself
(a10flow.engine.sandbox.confine), bounds its memory, files and processor time, and then runs
BPMN Python in the sandbox (a10flow.engine.sandbox.scope) for the service until it goes away."""
import json
import resource
import sys
from multiprocessing.connection import Connection

# Imported here, before serve sets the limits: importing needs more room than running.
from .. import host
from . import confine, restricted, scope
from .wire import decode, encode


def serve(requests, answers, memory_limit, cpu_limit, probe=False):
    """Answer requests until the service goes away. ``probe``: a worker for tests of the
    confinement, which also runs code outside the sandbox (``kind`` "probe")."""
    layers = confine.confine()
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))   # no files written, whatever happens
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit))
    answers.send_bytes(encode({"ready": layers}))
    while True:
        try:
            request = requests.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            request = decode(request)
            restricted.TIME_LIMIT = request["time_limit"]
            if request["kind"] == "probe" and probe:
                found = {}
                exec(request["source"], found)   # noqa: S102 - the test's own code, as if it had escaped
                answer = {"value": found.get("result")}
            else:
                answer = {"value": scope.run_here(request["kind"], request["source"], request["data"],
                                                  request["external"], request["now"])}
            answers.send_bytes(encode(answer))
        except Exception as exc:
            answers.send_bytes(encode({"error": {"type": type(exc).__name__, "message": str(exc)}}))


def main():
    """The worker process: ``python -c '...main()' <requests fd> <answers fd> <memory limit> <cpu limit>
    <script helpers> [--probe]``, the helpers as a10flow.engine.host.references gives them, in JSON."""
    host.lend(script_helpers=host.imported(json.loads(sys.argv[5])))
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False),
          int(sys.argv[3]), int(sys.argv[4]), probe=sys.argv[6:] == ["--probe"])
