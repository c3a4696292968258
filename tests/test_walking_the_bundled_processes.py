"""Each bundled A.10 process, walked by its forms alone from its start form to where it rests:
once filling only what each form requires, once filling every field, each time with every
choice a form offers taken in turn (the first, the second, …). Whatever a form accepts, its
process must go on with: no incident, no instance that says "running" with nothing it waits at."""
import pytest
from helpers import ROOT, Speaker
from walker import start_data, walk

from a10flow import clock
from a10flow.cli import DEMO_USERS, main
from a10flow.models import Role, User, db
from a10flow.people import auth

# A matrix keeps rules across its fields (one party accountable per row, representatives who can
# sign): the walker is given one that keeps them, as its author would write it.
MATRIX = {"parties": [{"name": "Us", "kind": "organisation", "representative": "olivia"},
                      {"name": "Acme", "kind": "supplier", "representative": "anna@acme.example"}],
          "rows": [{"stage": "operation and monitoring", "activity": "monitoring",
                    "assignments": {"Acme": "R", "Us": "A"}, "basis": "MSA 7.2"}]}
PROCESSES = ["supplier_onboarding", "responsibility_signoff", "customer_change_notification"]
CHOICES = 4   # enough to take each outcome of every decision the bundled forms offer


class People(dict):
    """The demo people, each a client with their token; ``order`` is who is asked first to do a
    task: staff, then owners, the admin last, so that each does only what is theirs alone."""

    def __init__(self, app):
        super().__init__()
        client = app.test_client()
        with app.app_context():
            for user in db.session.scalars(db.select(User)):
                self[user.name] = Speaker(client, auth.issue_token(user), user.name)
            db.session.commit()
        self[None] = Speaker(client, None, None)
        roles = {name: role for name, role, _ in DEMO_USERS}
        rank = {Role.STAFF: 0, Role.OWNER: 1, Role.ADMIN: 2}
        self.order = sorted((n for n in roles if roles[n] in rank), key=lambda n: rank[roles[n]])
        self.owner = self["olivia"]


@pytest.fixture
def people(app):
    app.config.update(A10FLOW_WORKFLOWS_DIR=str(ROOT / "workflows"), A10FLOW_FORMS_DIR=str(ROOT / "forms"))
    assert app.test_cli_runner().invoke(main, ["init", "--demo"]).exit_code == 0
    return People(app)


@pytest.mark.parametrize("every", [False, True], ids=["only what is required", "every field"])
@pytest.mark.parametrize("process", PROCESSES)
def test_a_bundled_process_goes_on_with_whatever_its_forms_accept(people, process, every):
    for choice in range(CHOICES):
        def pick(path, options, choice=choice):
            return choice
        data = start_data(people, process, every, pick, {"matrix": MATRIX})
        started = people.owner.post("/api/v1/instances", json={"process": process, "data": data})
        assert started.status_code == 201, (choice, data, started.json)
        instance, done = walk(people, started.json["id"], every, pick, {"matrix": MATRIX})
        assert instance["incidents"] == [], (choice, done, instance["incidents"])
        if instance["status"] != "completed":   # it rests where a timer or a message will move it
            assert instance["status"] == "running", (choice, done, instance["status"])
            waits = [t for t in people.owner.get("/api/v1/timers").json["items"]
                     if t["instance_id"] == instance["id"]]
            assert waits or instance["messages"], (choice, done, instance)
    clock.set(None)
