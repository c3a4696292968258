"""The `a10flow` command: init, users add, deploy, serve."""
import os
import select
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from helpers import DATA

from a10flow.cli import main


def test_init_users_and_deploy_from_the_command_line(app, as_, tmp_path, monkeypatch):
    monkeypatch.setenv("A10FLOW_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    shutil.copy(DATA / "purchase.bpmn", workflows)
    shutil.copy(DATA / "request.json", workflows)
    monkeypatch.setenv("A10FLOW_WORKFLOWS_DIR", str(workflows))
    runner = CliRunner()

    init = runner.invoke(main, ["init", "--demo"])
    assert init.exit_code == 0, init.output
    assert "deployed process purchase version 1" in init.output
    assert "olivia" in init.output and "token:" in init.output

    added = runner.invoke(main, ["users", "add", "carol", "--groups", "procurement,legal", "--token"])
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    inbox = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert inbox.status_code == 200
    assert runner.invoke(main, ["users", "add", "carol"]).exit_code == 1
    assert runner.invoke(main, ["users", "set-password", "carol"], input="s3cret-pw\ns3cret-pw\n").exit_code == 0
    with app.app_context():
        from a10flow.people import auth
        assert auth.user_for_password("carol", "s3cret-pw").name == "carol"
        assert auth.user_for_password("olivia", "olivia").name == "olivia"   # demo accounts
        assert auth.user_for_password("carol", "wrong") is None

    again = runner.invoke(main, ["deploy", str(DATA / "purchase.bpmn"), str(DATA / "request.json")])
    assert again.exit_code == 0 and "purchase version 1" in again.output
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes((DATA / "purchase.bpmn").read_bytes().replace(b"recorded = True", b"recorded = ("))
    failed = runner.invoke(main, ["deploy", str(broken), str(DATA / "request.json")])
    assert failed.exit_code == 1 and "record" in failed.output and "syntax error" in failed.output


def test_the_database_and_keys_are_the_services_alone(tmp_path, monkeypatch):
    import os
    import stat

    from a10flow import create_app
    from a10flow.database import upgrade_schema
    monkeypatch.setenv("A10FLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("A10FLOW_DATABASE_URL", raising=False)
    app = create_app()
    with app.app_context():
        upgrade_schema()
        from a10flow.evidence import checkpoints
        checkpoints.public_key_pem(app.config["A10FLOW_SIGNING_KEY"])
        from a10flow.models import db
        db.engine.dispose()
    folder = tmp_path / "instance"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for made in folder.iterdir():   # the database, its journal files, the secret and signing keys
        assert stat.S_IMODE(os.stat(made).st_mode) & 0o077 == 0, made.name


def test_serve_says_when_outside_parties_would_read_no_organisation_name(app, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "A10FLOW_ORGANISATION"}
    env.update(A10FLOW_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], A10FLOW_SCHEDULER="off",
               A10FLOW_INSTANCE_PATH=str(tmp_path / "instance"))
    # This checkout's a10flow (run from its root), whichever one the venv's `a10flow` script was installed from.
    with subprocess.Popen([sys.executable, "-c", "from a10flow.cli import main; main()", "serve", "--port", str(port)],
                          cwd=Path(__file__).parents[1], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) as server:
        try:
            ready, _, _ = select.select([server.stderr], [], [], 60)
            warning = server.stderr.readline() if ready else ""
        finally:
            server.terminate()
    assert warning.startswith("warning: A10FLOW_ORGANISATION is not set: suppliers and customers read "
                              "“Our organisation asks you…”"), warning


def test_the_command_line_refuses_a_period_that_ends_before_it_starts(app, tmp_path):
    # As the audit page and the API do: nothing is written for a period that cannot hold a record.
    with app.app_context():
        for command in (["evidence", "coverage"], ["evidence", "export", "-o", str(tmp_path / "pack.zip")]):
            said = CliRunner().invoke(main, [*command, "--from", "2026-05-01", "--to", "2026-01-01"])
            assert said.exit_code == 1 and "error: the period must end after it starts" in said.output, said.output
            assert "Traceback" not in said.output
    assert not (tmp_path / "pack.zip").exists()
