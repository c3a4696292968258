"""BPMN Python runs in a sandbox: the known escapes are refused at deploy naming the element, or
fail the step at run time naming it; nothing reaches the service, and the process goes on
being correct. (A stray script ran as plain exec before: this is what it may no longer do.)"""
import logging
import os
import re
import time

import pytest
from helpers import CORPUS, form, probe

from a10flow.engine.sandbox import isolated, restricted

REFUSED_AT_DEPLOY = {
    "import through the builtin": "os = __import__('os')",
    "subclasses walk": "found = ().__class__.__base__.__subclasses__()",
    "f-string attribute walk": "found = f'{().__class__}'",
    "exec": "exec('import os')",
    "eval": "found = eval('1')",
    "private names": "_secret = 1",
    "generator frame walk": "found = (x for x in [1]).gi_frame.f_back.f_globals",
    "catching everything": "try:\n    x = 1\nexcept:\n    pass",
    "catching BaseException": "try:\n    x = 1\nexcept BaseException:\n    pass",
}


@pytest.mark.parametrize("script", REFUSED_AT_DEPLOY.values(), ids=REFUSED_AT_DEPLOY.keys())
def test_escapes_are_refused_at_deploy_naming_the_element(as_, script):
    refused = as_["owner"].deploy(("probe.bpmn", probe(script)))
    assert refused.status_code == 422, refused.json
    [detail] = refused.json["error"]["details"]
    assert detail["element"] == "probe" and "not allowed in BPMN Python" in detail["message"]


FAILING_AT_RUN_TIME = {
    "getattr on a dunder": ("found = getattr(variable, '__globals__')", "__globals__"),
    "format-string attribute walk": ("found = '{0.__class__}'.format(1)", "format"),
    "str.format on the type": ("found = str.format('{0.__class__}', 1)", "format"),
    "frame walk by getattr": ("found = getattr((x for x in [1]), 'gi_frame')", "gi_frame"),
    "open": ("found = open('/etc/passwd').read()", "open"),
    "globals": ("found = globals()", "globals"),
    "import os": ("import os", "import 'os' is not allowed"),
    "a module's own imports": ("import json\nfound = json.codecs", "codecs"),
    "changing a shared module": ("import json\njson.loads = len", "not allowed"),
    "a huge string": ("found = 'x' * 10 ** 9", "too large"),
    "a huge power": ("found = 7 ** 10 ** 8", "too large"),
    "a huge range": ("found = list(range(10 ** 10))", "too large"),
    "a huge shift": ("found = 1 << 10 ** 9", "too large"),
    "an endless C loop": ("found = list(iter(int, 1))", "1 positional argument"),
    "pow around the guard": ("found = pow(7, 10 ** 8)", "pow"),
    "minutes inside math": ("import math\nfound = math.factorial(10 ** 7)", "factorial"),
    "code handed to a helper as text": (
        "found = timer_value(\"int(getattr(timer_value, '_'+'_builtins__'))\")", "not an ISO 8601"),
}


@pytest.mark.parametrize("script, reason", FAILING_AT_RUN_TIME.values(), ids=FAILING_AT_RUN_TIME.keys())
def test_escapes_fail_at_run_time_as_an_incident_naming_the_element(as_, script, reason):
    incident = _incident(as_, script)
    assert incident["element_id"] == "probe" and reason in incident["error"], incident


def _incident(as_, script):
    """Run ``script`` as the probe; the one incident it leaves on the instance, which failed."""
    assert as_["owner"].deploy(("probe.bpmn", probe(script))).status_code == 201
    started = as_["owner"].post("/api/v1/instances", json={"process": "probe_process"})
    assert started.status_code == 201 and started.json["status"] == "failed", started.json
    [incident] = started.json["incidents"]
    return incident


LOOPS = {
    "a loop": "n = 0\nwhile True:\n    n = n + 1",
    "a loop on one line": "while True: pass",
    "a loop that catches the stop": "n = 0\ntry:\n    while True: n += 1\nexcept Exception:\n    pass\n"
                                    "while n > 0:\n    n += 1",
}


@pytest.mark.parametrize("script", LOOPS.values(), ids=LOOPS.keys())
def test_code_that_runs_too_long_is_stopped(as_, monkeypatch, script):
    monkeypatch.setattr(restricted, "TIME_LIMIT", 0.2)
    assert "ran longer than 0.2 s" in _incident(as_, script)["error"]


# Single calls inside C that no guard in Python sees: bounded by the worker's own process.
BEYOND_THE_GUARDS = {
    "a regular expression that backtracks for ever": (
        'import re\nfound = re.match("(a+)+$", "a" * 64 + "b")', "ran longer than 0.5 s"),
    "text doubled until memory runs out": ('s = "x" * 1000000\nwhile True:\n    s = s + s', "MB of memory"),
    "a huge join": ('found = "".join(["x" * 1000000] * 1000)', "MB of memory"),
    "a huge replace": ('found = ("x" * 1000000).replace("x", "xxxxxxxxxx" * 100)', "MB of memory"),
    "a huge ljust": ('found = "".ljust(10 ** 9)', "MB of memory"),
}


@pytest.mark.parametrize("script, reason", BEYOND_THE_GUARDS.values(), ids=BEYOND_THE_GUARDS.keys())
def test_long_calls_inside_c_are_bounded_in_time_and_memory(as_, monkeypatch, script, reason):
    # Where memory is what must stop it, the time limit is far: a busy machine copies slowly.
    monkeypatch.setattr(restricted, "TIME_LIMIT", 0.5 if "longer" in reason else 5.0)
    started = time.monotonic()
    assert reason in _incident(as_, script)["error"]
    assert time.monotonic() - started < 10
    # and the next piece of BPMN Python runs as usual, in a fresh worker if the last one was killed
    assert as_["owner"].post("/api/v1/instances", json={"process": "probe_process"}).json["status"] == "failed"
    assert as_["owner"].deploy(("ok.bpmn", probe("found = 40 + 2").replace(b"probe_process", b"fine"))) \
        .status_code == 201
    fine = as_["owner"].post("/api/v1/instances", json={"process": "fine"}).json
    assert fine["data"].get("found") == 42, fine


def test_what_process_owners_need_still_works(as_):
    script = """import datetime, math, decimal, re, json
total = sum([x * 2 for x in range(5)]) + math.floor(2.5)
due = (now() + timedelta(days=3)).date().isoformat()
price = str(decimal.Decimal("12.50") * 2)
code = re.sub("[^A-Z]", "", "ab-CD-ef")
parsed = json.loads('{"a": [1, 2]}')["a"]
pairs = {k: v for k, v in zip(["a", "b"], [1, 2])}
first, *rest = [1, 2, 3]
label = "%s-%d" % ("x", 3)
made = datetime.date(2026, 1, 2).isoformat()
parsed[0] = 9
def spread(*items, **named):
    return len(items) + len(named)
counted = spread(*[1, 2], **{"three": 3}) + max(*[1, 4])
"""
    assert as_["owner"].deploy(("probe.bpmn", probe(script))).status_code == 201
    done = as_["owner"].post("/api/v1/instances", json={"process": "probe_process"}).json
    assert done["status"] == "completed"
    data = done["data"]
    assert (data["total"], data["price"], data["code"], data["parsed"], data["pairs"], data["rest"], data["label"],
            data["made"], data["counted"]) == (22, "25.00", "CD", [9, 2], {"a": 1, "b": 2}, [2, 3], "x-3", "2026-01-02",
                                               7)


@pytest.mark.skipif(not (CORPUS / "spiff-arena/read_etc_passwd.bpmn").exists(), reason="no corpus")
def test_the_hostile_corpus_script_cannot_read_the_password_file(as_):
    deployed = as_["owner"].deploy(CORPUS / "spiff-arena/read_etc_passwd.bpmn")
    assert deployed.status_code == 201, deployed.json
    key = deployed.json["processes"][0]["key"]
    started = as_["owner"].post("/api/v1/instances", json={"process": key}).json
    assert started["incidents"][0]["element_id"] == "read_etc_passwd"
    assert "root:" not in str(started)


def test_data_that_looks_like_the_workers_tags_stays_data(as_):
    tagged = {"when": {"$a10flow": "datetime", "v": "not a date"}, "amount": {"$a10flow": "decimal", "v": "1.5"}}
    assert as_["owner"].deploy(("probe.bpmn", probe("copy = amount\nkeys = sorted(when)")),
                               form("s", when={"type": "object"}, amount={"type": "object"})).status_code == 201
    done = as_["owner"].post("/api/v1/instances", json={"process": "probe_process", "data": tagged}).json
    assert done["status"] == "completed", done["incidents"]
    assert done["data"]["copy"] == tagged["amount"] and done["data"]["keys"] == ["$a10flow", "v"]


def test_the_worker_gets_none_of_the_services_secrets(monkeypatch):
    monkeypatch.setenv("A10FLOW_SIGNING_KEY", "/secret/signing.key")
    monkeypatch.setenv("A10FLOW_DATABASE_URL", "postgresql://a10flow:db-password@db/a10flow")
    worker = isolated._Worker()
    try:
        with open(f"/proc/{worker.process.pid}/environ", "rb") as f:
            environment = f.read()
    finally:
        worker.kill()
    assert b"signing.key" not in environment and b"db-password" not in environment


def test_killed_workers_leave_no_processes_behind(monkeypatch):
    def workers():
        return {pid for pid in os.listdir("/proc") if pid.isdigit() and _parent(pid) == os.getpid()}
    monkeypatch.setattr(restricted, "TIME_LIMIT", 0.2)
    before = workers()
    for _ in range(5):
        with pytest.raises(restricted.SandboxError, match="ran longer"):
            isolated.execute('import re\nfound = re.match("(a+)+$", "a" * 64 + "b")', {}, None, None)
    assert len(workers() - before) <= isolated.KEEP


def _parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def test_a_script_keeps_the_data_it_cannot_name(as_):
    data = {"_source": "crm", "variable": 3}
    assert as_["owner"].deploy(("probe.bpmn", probe("found = 1")),
                               form("s", _source={"type": "string"}, variable={"type": "integer"})).status_code == 201
    done = as_["owner"].post("/api/v1/instances", json={"process": "probe_process", "data": data}).json
    assert done["status"] == "completed", done["incidents"]
    assert {k: done["data"].get(k) for k in data} == data


def test_numbers_json_has_not_are_refused_not_stored(as_, purchase):
    incident = _incident(as_, "ratio = float('nan')")
    assert "'ratio' holds a value JSON has not (NaN" in incident["error"]
    refused = as_["alice"].post("/api/v1/instances", data='{"process": "purchase", "data": {"x": NaN}}',
                                content_type="application/json")
    assert refused.status_code == 400 and "NaN, which is not JSON" in refused.json["error"]["message"]


def test_a_module_or_function_left_in_the_data_is_an_incident(as_):
    # Names an import or a def binds are the script's scratch and stay behind; put into data, they are refused.
    for script in ("import json\nkept = [json]", "def twice(x):\n    return 2 * x\nkept = {'f': twice}"):
        incident = _incident(as_, script)
        assert incident["element_id"] == "probe" and "'kept' holds" in incident["error"], incident
    assert as_["owner"].deploy(("probe.bpmn", probe("import json\ndef twice(x):\n    return 2 * x\n"
                                                    "found = twice(json.loads('2'))"))).status_code == 201
    done = as_["owner"].post("/api/v1/instances", json={"process": "probe_process"}).json
    assert done["status"] == "completed" and done["data"]["found"] == 4 and "json" not in done["data"]


ESCAPED = '''
import os, socket, subprocess
result = {}
def attempt(reach, action):
    try:
        action()
        result[reach] = "reached"
    except Exception as exc:
        result[reach] = type(exc).__name__
def unix(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
attempt("the service's secret key", lambda: open(SECRET).read())
attempt("the evidence signing key", lambda: open(SIGNING).read())
attempt("the database", lambda: open(DATABASE, "rb").read(16))
attempt("the service's environment", lambda: open(f"/proc/{os.getppid()}/environ").read())
attempt("PostgreSQL over TCP", lambda: socket.create_connection(("127.0.0.1", 5432), timeout=2).close())
attempt("PostgreSQL's Unix socket", lambda: unix("/var/run/postgresql/.s.PGSQL.5432"))
attempt("deleting a file", lambda: os.remove(VICTIM))
attempt("writing a file", lambda: open(os.path.join(os.path.dirname(VICTIM), "planted"), "w").close())
attempt("signalling the service", lambda: os.kill(os.getppid(), 0))
attempt("another worker's memory", lambda: open(f"/proc/{SIBLING}/mem", "rb").read(1))
attempt("running a program", lambda: subprocess.run(["/bin/true"], check=True))
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
class timeval(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("usec", ctypes.c_long)]
def call(function, *args):
    if function(*args) < 0:
        raise OSError(ctypes.get_errno(), function.__name__)
def shared_memory():
    segment = libc.shmget(0, 4096, 0o1600)   # IPC_PRIVATE, IPC_CREAT | 0600
    if segment < 0:
        raise OSError(ctypes.get_errno(), "shmget")
    libc.shmctl(segment, 0, None)   # IPC_RMID: leave nothing behind
attempt("setting the machine's clock", lambda: call(libc.settimeofday, ctypes.byref(timeval(int(time.time()), 0)), None))
attempt("renaming the machine", lambda: socket.sethostname(socket.gethostname()))
attempt("System V shared memory", shared_memory)
attempt("changing its root", lambda: os.chroot("/"))
'''


def test_code_that_escaped_the_sandbox_reaches_nothing_of_the_service(app, tmp_path):
    from a10flow.evidence import checkpoints
    with app.app_context():
        checkpoints.public_key_pem(app.config["A10FLOW_SIGNING_KEY"])   # the key file exists
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    sibling = isolated._Worker()
    try:
        paths = {"SECRET": os.path.join(app.instance_path, "secret-key"), "SIGNING": app.config["A10FLOW_SIGNING_KEY"],
                 "DATABASE": database, "VICTIM": str(victim), "SIBLING": sibling.process.pid}
        found, layers = isolated.probe("".join(f"{k} = {v!r}\n" for k, v in paths.items()) + ESCAPED)
    finally:
        sibling.kill()
    assert layers == {"namespaces": None, "not dumpable": None, "files": None, "system calls": None}
    reached = {reach for reach, outcome in found.items() if outcome == "reached"}
    if not database.startswith("/"):   # on PostgreSQL there is no database file to try
        reached.discard("the database")
    assert reached == set(), found
    assert victim.read_text() == "precious" and not (tmp_path / "planted").exists()


def test_a_worker_of_the_service_runs_nothing_outside_the_sandbox_whatever_it_is_asked():
    worker = isolated._Worker()
    try:
        answer = worker.ask(isolated.encode({"kind": "probe", "source": "import os\nresult = os.getcwd()",
                                             "data": {}, "external": None, "now": None, "time_limit": 2}), 10)
    finally:
        worker.kill()
    assert answer["error"]["type"] == "SandboxError" and "import 'os' is not allowed" in answer["error"]["message"]


CORNERED = '''
import errno, fcntl, os, resource, sys, termios, threading
result = {"session leader": os.getsid(0) == os.getpid(), "group leader": os.getpgid(0) == os.getpid(),
          "stderr is a terminal": os.isatty(2), "cpu limit": resource.getrlimit(resource.RLIMIT_CPU)}
def refusal(action):
    try:
        action()
        return "done"
    except OSError as exc:
        return errno.errorcode[exc.errno]
# Descriptors beyond its pipes and /dev/null: none of the service's files, sockets or terminal.
result["open descriptors"] = sum(1 for fd in range(3, 1024) if refusal(lambda: os.fstat(fd)) == "done")
# On /dev/null an ioctl is "not a terminal"; typing into a terminal is refused before it is tried.
result["typing into a terminal"] = refusal(lambda: fcntl.ioctl(0, termios.TIOCSTI, b"x"))
result["asking a terminal its size"] = refusal(lambda: fcntl.ioctl(0, termios.TIOCGWINSZ, b"\\0" * 8))
result["starting a process"] = refusal(os.fork)
thread = threading.Thread(target=lambda: None)
thread.start()
thread.join()
result["threads"] = "work"
sys.stderr.write("INFO a10flow: all is well, nothing to see\\n")
sys.stderr.flush()
'''


def test_code_that_escaped_the_sandbox_has_no_terminal_no_children_and_no_voice_of_the_service(caplog):
    # As an escaped script would try: type a command into the operator's shell, fork a process
    # that outlives the worker, forge a line of the service's log.
    with caplog.at_level(logging.WARNING, logger="a10flow.engine.sandbox.isolated"):
        found, layers = isolated.probe(CORNERED)
    assert layers["system calls"] is None
    assert found == {"session leader": True, "group leader": True, "stderr is a terminal": False,
                     "cpu limit": [isolated.CPU_LIMIT, isolated.CPU_LIMIT], "open descriptors": 2,
                     "typing into a terminal": "EPERM", "asking a terminal its size": "ENOTTY",
                     "starting a process": "EPERM", "threads": "work"}
    [said] = [r.getMessage() for r in caplog.records if "all is well" in r.getMessage()]
    assert re.fullmatch(r"BPMN Python worker \d+ wrote: INFO a10flow: all is well, nothing to see", said)
