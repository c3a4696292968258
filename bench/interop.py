"""The interop corpus (../shared/corpus/interop) through the service, counted: how many files
deploy, are refused, start, complete, fail; the figures go in bench/README.md. Run by hand:

    .venv/bin/python bench/interop.py            # counts
    .venv/bin/python bench/interop.py --list     # and one line per file that did not run to a rest
"""
import collections
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from helpers import speakers  # noqa: E402
from interop_run import entries, run  # noqa: E402

os.environ["A10FLOW_INSTANCE_PATH"] = tempfile.mkdtemp()
from a10flow import create_app  # noqa: E402
from a10flow.database import upgrade_schema  # noqa: E402
from a10flow.models import db  # noqa: E402


def fresh(template, workdir):
    """An app on a copy of the migrated template database, and clients speaking as its users."""
    copy = Path(tempfile.mkdtemp(dir=workdir)) / "db.sqlite"
    shutil.copy(template, copy)
    app = create_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{copy}", TESTING=True,
                     A10FLOW_WORKFLOWS_DIR=str(copy.parent / "workflows"), A10FLOW_FORMS_DIR=str(copy.parent / "forms"))
    found = speakers(app)
    with app.app_context():
        db.engine.dispose()
    return app, found


def main():
    workdir = Path(tempfile.mkdtemp())
    template = workdir / "template.sqlite"
    app = create_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{template}", TESTING=True)
    with app.app_context():
        upgrade_schema()
        db.engine.dispose()
    counts, kinds, began = collections.Counter(), collections.Counter(), time.monotonic()
    for name, files in entries():
        app, as_ = fresh(template, workdir)
        with app.app_context():
            outcome = run(as_, files)
            db.engine.dispose()
        shutil.rmtree(Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]).parent)
        counts["files"] += 1
        counts["deployed" if outcome.deploy == 201 else f"refused ({outcome.deploy})"] += 1
        if outcome.deploy != 201:
            kinds[outcome.details[0]["message"][:60] if outcome.details else "?"] += 1
        for start in outcome.starts:
            counts["started"] += 1
            state = (f"http {start.http}" if start.http != 201 else
                     "completed" if start.status == "completed" else
                     "failed" if start.status == "failed" or start.incident else
                     "waiting" if start.waits else f"{start.status}, nothing to wait for")
            counts[state] += 1
            if "--list" in sys.argv and state not in ("completed", "waiting"):
                print(f"{name}\t{start.process}\t{state}\t{str(start.body)[:200]}")
        if "--list" in sys.argv and outcome.deploy != 201:
            print(f"{name}\trefused\t{[d['message'][:120] for d in outcome.details][:2]}")
    for key, n in counts.items():
        print(f"{key:40} {n}")
    print(f"{'seconds':40} {time.monotonic() - began:.0f}")
    if "--list" in sys.argv:
        for kind, n in kinds.most_common():
            print(f"{n:4} {kind}")


if __name__ == "__main__":
    main()
