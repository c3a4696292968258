"""The `a10flow` command: init, users add, deploy."""
import shutil

from click.testing import CliRunner

from a10flow.cli import main
from conftest import DATA


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
        from a10flow import auth
        assert auth.user_for_password("carol", "s3cret-pw").name == "carol"
        assert auth.user_for_password("olivia", "olivia").name == "olivia"   # demo accounts
        assert auth.user_for_password("carol", "wrong") is None

    again = runner.invoke(main, ["deploy", str(DATA / "purchase.bpmn"), str(DATA / "request.json")])
    assert again.exit_code == 0 and "purchase version 1" in again.output
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes((DATA / "purchase.bpmn").read_bytes().replace(b"recorded = True", b"recorded = ("))
    failed = runner.invoke(main, ["deploy", str(broken), str(DATA / "request.json")])
    assert failed.exit_code == 1 and "record" in failed.output and "syntax error" in failed.output
