"""Verify a million evidence records: time and memory, run by hand (figures go in the README).

    .venv/bin/python bench/verify.py [RECORDS] [CHAIN] [DATABASE_URL]

Fills a fresh database with RECORDS (default 1,000,000) records in chains of CHAIN (10),
signs a checkpoint, then runs ``a10flow evidence verify`` in a fresh process and
reports its wall time and peak memory (max RSS). Records are written straight to
the table with real hashes (the step would take hours to make so many).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import sqlalchemy as sa

def fill(url, records, chain, instance_path):
    os.environ["A10FLOW_INSTANCE_PATH"] = instance_path
    from a10flow import clock, create_app, evidence
    from a10flow.evidence import checkpoints
    from a10flow.database import upgrade_schema
    from a10flow.models import Definition, DefinitionKind, DefinitionVersion, Instance, InstanceStatus, db
    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade_schema()
        definition = Definition(key="bench", kind=DefinitionKind.PROCESS, name="bench")
        version = DefinitionVersion(definition=definition, version=1, name="bench", filename="bench.bpmn",
                                    xml="<x/>", xml_sha256="0" * 64, content_hash="0" * 64, controls={})
        db.session.add(version)
        db.session.commit()
        started = time.perf_counter()
        for first in range(0, records // chain, 1000):
            batch = [Instance(version=version, status=InstanceStatus.COMPLETED, state={}, data={},
                              created_at=clock.now(), updated_at=clock.now())
                     for _ in range(min(1000, records // chain - first))]
            db.session.add_all(batch)
            db.session.flush()
            for instance in batch:
                for n in range(chain):
                    evidence.append(instance, "task.completed", {"id": 1, "name": "alice"}, ("task", "A task"),
                                    {"submitted": {"answer": n, "comment": "x" * 40}})
            db.session.commit()
            db.session.expunge_all()
        print(f"filled {records:,} records in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        made = checkpoints.make(app.config["A10FLOW_SIGNING_KEY"])
        print(f"checkpoint {made.seq} signed over {len(json.loads(made.record)['chains']):,} chains", file=sys.stderr)


def main():
    if sys.argv[1:2] == ["--fill"]:   # in a process of its own, so the parent stays small
        url, records, chain, instance_path = sys.argv[2:6]
        fill(url, int(records), int(chain), instance_path)
        return
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    chain = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    instance_path = tempfile.mkdtemp()
    url = sys.argv[3] if len(sys.argv) > 3 else f"sqlite:///{instance_path}/bench.sqlite"
    if url.startswith("postgresql"):
        base, name = url.rsplit("/", 1)
        engine = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        engine.dispose()
    subprocess.run([sys.executable, __file__, "--fill", url, str(records), str(chain), instance_path], check=True)
    env = dict(os.environ, A10FLOW_INSTANCE_PATH=instance_path, A10FLOW_DATABASE_URL=url)
    a10flow = os.path.join(os.path.dirname(sys.executable), "a10flow")
    started = time.perf_counter()
    child = subprocess.Popen([a10flow, "evidence", "verify"], env=env, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, _, usage = os.wait4(child.pid, 0)   # this child's own peak, not the largest of all children
    seconds = time.perf_counter() - started
    report = json.loads(output)
    baseline = subprocess.Popen([a10flow, "--help"], env=env, stdout=subprocess.DEVNULL)
    _, _, idle = os.wait4(baseline.pid, 0)
    print(json.dumps({"database": url.split(":")[0], "records": report["records"], "chains": report["instances"],
                      "ok": report["ok"], "seconds": round(seconds, 1),
                      "records_per_second": int(report["records"] / seconds),
                      "peak_rss_mb": round(usage.ru_maxrss / 1024),
                      "rss_of_the_command_doing_nothing_mb": round(idle.ru_maxrss / 1024)}, indent=2))


if __name__ == "__main__":
    main()
