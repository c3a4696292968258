"""Timer benchmarks, run by hand (figures go in the README).

    .venv/bin/python bench/timers.py year                 # a year of daily reminders (SQLite)
    .venv/bin/python bench/timers.py burst [N] [PG_URL]   # N timers due at once, 1 and 2 workers (PostgreSQL)
    .venv/bin/python bench/timers.py idle [N] [PG_URL]    # worker CPU while N timers wait and none is due
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).parents[1]
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/a10flow_bench"
WAIT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="wait" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="pause"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>{}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="pause"/>
    <bpmn:sequenceFlow id="b" sourceRef="pause" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def app_for(url):
    os.environ["A10FLOW_INSTANCE_PATH"] = tempfile.mkdtemp()
    from a10flow import create_app
    from a10flow.database import upgrade_schema
    from a10flow.models import db
    if url.startswith("postgresql"):
        engine = sa.create_engine(url.replace("/a10flow_bench", "/postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS a10flow_bench WITH (FORCE)"))
            conn.execute(sa.text("CREATE DATABASE a10flow_bench"))
        engine.dispose()
    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade_schema()
        db.session.commit()
    return app


def _owner():
    """The process owner who starts the benchmark's instances."""
    from a10flow.database import write
    from a10flow.models import Role
    from a10flow.people import directory
    with write():
        return directory.create_user(directory.CLI, "bench", Role.OWNER, [])


def year():
    from a10flow import clock, scheduler
    from a10flow.deploy import definitions
    from a10flow.models import Instance, db
    from a10flow.step import start_instance
    app = app_for(f"sqlite:///{tempfile.mkdtemp()}/year.sqlite")
    bpmn = (ROOT / "tests/data/chase.bpmn").read_bytes().replace(b"P7D", b"P400D")
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with app.app_context():
        clock.set(t0)
        definitions.deploy([("chase.bpmn", bpmn)], None)
        version = definitions.version_of(definitions.find("chase"))
        instance_id = start_instance(version, _owner()).id
        times, sizes = [], {}
        for day in range(1, 366):
            clock.set(t0 + timedelta(days=day, minutes=1))
            began = time.perf_counter()
            assert scheduler.sweep() == 1
            times.append((time.perf_counter() - began) * 1000)
            if day in (1, 100, 365):
                sizes[day] = len(json.dumps(db.session.get(Instance, instance_id).state))
    print(json.dumps({"fires": 365, "step_ms_median": round(statistics.median(times), 1),
                      "step_ms_first_30": round(statistics.median(times[:30]), 1),
                      "step_ms_last_30": round(statistics.median(times[-30:]), 1),
                      "state_bytes_day_1_100_365": [sizes[1], sizes[100], sizes[365]]}))


def _fill(url, n, due_in):
    """n instances, each waiting on a timer due ``due_in`` from now (real time)."""
    from a10flow import clock
    from a10flow.deploy import definitions
    from a10flow.step import start_instance
    app = app_for(url)
    due = datetime.now(timezone.utc) + due_in
    with app.app_context():
        definitions.deploy([("wait.bpmn", WAIT.format("PT1H").encode())], None)
        version = definitions.version_of(definitions.find("wait"))
        clock.set(due - timedelta(hours=1))   # every timer falls due at the same moment
        owner = _owner()
        for _ in range(n):
            start_instance(version, owner)
        clock.set(None)
    return app, due


def _workers(url, count, *args):
    env = {**os.environ, "A10FLOW_DATABASE_URL": url}
    return [subprocess.Popen([Path(sys.executable).parent / "a10flow", "worker", *args], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(count)]


def burst(n, url):
    for count in (1, 2):
        app, due = _fill(url, n, timedelta(seconds=5))
        time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()) + 0.05)
        began, started = time.perf_counter(), datetime.now(timezone.utc)
        for worker in _workers(url, count, "--once"):
            worker.communicate()
        elapsed = time.perf_counter() - began
        # Lateness counted from when the timers were due, or from when the workers started if
        # filling the table took longer than that.
        since = max(due, started)
        with sa.create_engine(url).connect() as conn:
            late = sorted((datetime.fromisoformat(json.loads(r)["data"]["fired_at"]) - since).total_seconds()
                          for r in conn.execute(sa.text("SELECT record FROM evidence WHERE type = 'timer.fired'"))
                          .scalars())
        print(json.dumps({"timers": n, "workers": count, "seconds_to_fire_all": round(elapsed, 1),
                          "fired": len(late), "lateness_s_p50": round(late[len(late) // 2], 1),
                          "lateness_s_p99": round(late[int(len(late) * 0.99) - 1], 1)}))


def idle(n, url, seconds=30):
    _fill(url, n, timedelta(days=1))
    [worker] = _workers(url, 1)
    time.sleep(5)   # start-up and the first sweep
    def cpu():
        fields = Path(f"/proc/{worker.pid}/stat").read_text().split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    before = cpu()
    time.sleep(seconds)
    used = cpu() - before
    worker.kill()
    print(json.dumps({"waiting_timers": n, "seconds": seconds, "worker_cpu_seconds": round(used, 2),
                      "cpu_percent": round(100 * used / seconds, 2)}))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "year"
    if what == "year":
        year()
    else:
        count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
        target = sys.argv[3] if len(sys.argv) > 3 else PG
        (burst if what == "burst" else idle)(count, target)
