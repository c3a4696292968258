"""A.10.2 end to end: draft, a matrix with errors, sign-off by every party (a supplier by link),
a rejection, a revised matrix accepted by everyone, and the register entry with its review date."""
import json
import re
from datetime import datetime, timezone

from a10flow import clock
from a10flow.evidence.canonical import sha256
from helpers import deploy_bundled

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

MATRIX = {
    "parties": [{"name": "Us", "kind": "organisation", "representative": "owner"},
                {"name": "Acme", "kind": "supplier", "representative": "anna@acme.example"}],
    "rows": [{"stage": "operation and monitoring", "activity": "monitoring",
              "assignments": {"Acme": "R", "Us": "A"}, "basis": "MSA 7.2"},
             {"stage": "inception", "activity": "impact assessment", "assignments": {"Us": "RA", "Acme": "C"}}],
}


def _deploy(as_):
    deploy_bundled(as_, "responsibility_signoff")


def _open(as_, instance_id):
    return as_["owner"].get(f"/api/v1/instances/{instance_id}").json


def _link(as_, task):
    made = as_["owner"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"})
    return made.json["path"]


def _sign(as_, instance_id, verdicts, version):
    """Each party decides: our owner in the app, Acme through a link."""
    tasks = [t for t in _open(as_, instance_id)["open_tasks"] if t["element_id"] == "accept_matrix"]
    assert len(tasks) == 2
    for task in tasks:
        decision = {"decision": {"verdict": verdicts[task["assignee"] or "Acme"], "accepted_version": version,
                                 "comment": "see clause 7.2"}}
        if task["assignee"] == "owner":
            done = as_["owner"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": decision})
        else:
            done = as_[None].post(_link(as_, task), json={"data": decision})
        assert done.status_code == 200, done.json


def test_responsibilities_agreed_after_one_revision(app, as_):
    _deploy(as_)
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                            "data": {"ai_system": "credit-scoring"}}).json
    draft = instance["open_tasks"][0]
    assert draft["element_id"] == "draft_matrix" and draft["candidate_groups"] == ["ai-system-owners"]

    # Two Accountable parties: refused at submit, the row named, and nothing changes.
    wrong = {"parties": MATRIX["parties"],
             "rows": [dict(MATRIX["rows"][0], assignments={"Acme": "RA", "Us": "A"})]}
    refused = as_["owner"].post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"matrix": wrong}})
    assert refused.status_code == 422
    assert refused.json["error"]["details"] == [{"field": "matrix/rows/0/assignments", "message":
                                                 "needs exactly one Accountable (A) party, has 2 (Acme, Us)"}]
    state = _open(as_, instance["id"])
    assert [t["id"] for t in state["open_tasks"]] == [draft["id"]] and "matrix" not in state["data"]

    as_["owner"].post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"matrix": MATRIX}})
    version_1 = sha256(MATRIX)
    _sign(as_, instance["id"], {"owner": "accept", "Acme": "reject"}, version_1)

    # Acme rejected: back to drafting; the next round must be accepted again by everyone.
    state = _open(as_, instance["id"])
    from helpers import signed_in
    redraft_page = signed_in(app, "owner").get(f"/tasks/{state['open_tasks'][0]['id']}").text
    assert 'value="Acme"' in redraft_page   # the matrix comes back as it was, to be changed
    assert [t["element_id"] for t in state["open_tasks"]] == ["draft_matrix"]
    assert state["data"]["objections"] == [{"party": "Acme", "verdict": "reject", "comment": "see clause 7.2"}]
    revised = dict(MATRIX, rows=MATRIX["rows"] + [{"stage": "retirement", "activity": "logging",
                                                   "assignments": {"Acme": "R", "Us": "A"}}])
    as_["owner"].post(f"/api/v1/tasks/{state['open_tasks'][0]['id']}/complete", json={"data": {"matrix": revised}})
    version_2 = sha256(revised)

    # Accepting the version read in round one does not count for round two.
    _sign(as_, instance["id"], {"owner": "accept", "Acme": "accept"}, version_1)
    state = _open(as_, instance["id"])
    assert state["data"]["objections"] == [] and [t["element_id"] for t in state["open_tasks"]] == ["draft_matrix"]
    as_["owner"].post(f"/api/v1/tasks/{state['open_tasks'][0]['id']}/complete", json={"data": {"matrix": revised}})
    _sign(as_, instance["id"], {"owner": "accept", "Acme": "accept"}, version_2)

    assert _open(as_, instance["id"])["status"] == "completed"
    [entry] = as_["auditor"].get("/api/v1/registers/responsibilities?key=credit-scoring").json["items"]
    assert entry["data"]["sha256"] == version_2 and entry["data"]["round"] == 3   # the refused draft was no round
    assert entry["data"]["review_due"] == "2027-03-02"
    assert [d["verdict"] for d in entry["data"]["decisions"]] == ["accept", "accept"]
    chain = as_["auditor"].get(entry["evidence"]).json["items"]
    acceptances = [r for r in chain if r["type"] == "task.completed" and r["element"]["id"] == "accept_matrix"]
    assert {r.get("personal", {}).get("/data/party") or r["actor"]["name"] for r in acceptances} == \
        {"owner", "anna@acme.example"}
    assert acceptances[-1]["data"]["submitted"]["decision"]["accepted_version"] == version_2
    # The supplier representative's address was personal in the form: it stays out of every hashed
    # record, even where the process copied it (the matrix given to the register).
    hashed = json.dumps([{k: v for k, v in r.items() if k != "personal"} for r in chain])
    assert "anna@acme.example" not in hashed
    [recorded] = [r for r in chain if r["type"] == "service.run" and r["data"]["operator"] == "record"]
    assert "anna@acme.example" in recorded["personal"].values()
    assert as_["auditor"].get("/api/v1/evidence/verify").json["ok"]


def test_a_party_that_does_not_accept_says_why(as_):
    _deploy(as_)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                            "data": {"ai_system": "chatbot"}}).json
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {"matrix": MATRIX}})
    acme = [t for t in _open(as_, instance["id"])["open_tasks"] if t["assignee"] is None][0]
    for verdict in ("reject", "counter-proposal"):
        refused = as_[None].post(_link(as_, acme), json={"data": {"decision": {
            "verdict": verdict, "accepted_version": sha256(MATRIX)}}})
        assert refused.status_code == 422
        assert [d["field"] for d in refused.json["error"]["details"]] == ["decision/comment"]


def test_an_undrafted_matrix_is_reminded(app, as_):
    from datetime import timedelta

    from a10flow import scheduler
    _deploy(as_)
    clock.set(T0)
    as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                 "data": {"ai_system": "credit-scoring"}})
    for day in (2, 4):
        clock.set(T0 + timedelta(days=day, minutes=1))
        with app.app_context():
            scheduler.sweep()
    assert [n["subject"] for n in as_["owner"].get("/api/v1/notifications").json["items"]] == \
        ["Responsibility matrix to draft: credit-scoring"] * 2


def test_each_decision_is_its_signers_whatever_order_they_come_in(as_):
    _deploy(as_)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                            "data": {"ai_system": "chatbot"}}).json
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {"matrix": MATRIX}})
    ours, acme = sorted((t for t in _open(as_, instance["id"])["open_tasks"] if t["element_id"] == "accept_matrix"),
                        key=lambda t: t["assignee"] is None)
    # The supplier answers first, for a version it never saw; then our own organisation accepts this one.
    assert as_[None].post(_link(as_, acme), json={"data": {"decision": {
        "verdict": "accept", "accepted_version": "0" * 64}}}).status_code == 200
    as_["owner"].post(f"/api/v1/tasks/{ours['id']}/complete", json={"data": {"decision": {
        "verdict": "accept", "accepted_version": sha256(MATRIX)}}})
    assert _open(as_, instance["id"])["data"]["outdated"] == ["Acme"]   # not "Us"


def test_the_matrix_is_entered_in_the_page_shown_as_a_grid_and_accepted_by_a_button(app, as_):
    from helpers import Visitor, signed_in
    _deploy(as_)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                            "data": {"ai_system": "chatbot"}}).json
    owner = signed_in(app, "owner")
    url = f"/tasks/{instance['open_tasks'][0]['id']}"
    parties = {"matrix/parties/0/name": "Us", "matrix/parties/0/kind": "organisation",
               "matrix/parties/0/representative": "owner", "matrix/parties/1/name": "Acme",
               "matrix/parties/1/kind": "supplier", "matrix/parties/1/representative": "anna@acme.example"}
    grown = owner.post(url, {**parties, "action": "add:matrix/rows"})
    # The new row is a row of the grid: a cell for each party, named by its column, so nobody types a party.
    assert grown.status_code == 200
    assert re.search(r'<th scope="col" class="named"><span data-name-from="matrix/parties/0/name"[^>]*>Us</span>', grown.text)
    assert re.search(r'<select id="f-matrix-rows-0-assignments-1" name="matrix/rows/0/assignments/1"', grown.text)
    rows = {"matrix/rows/0/stage": "deployment", "matrix/rows/0/activity": "monitoring",
            "matrix/rows/0/basis": "MSA 7.2",
            "matrix/rows/0/assignments/0": "A", "matrix/rows/0/assignments/1": "R",
            "matrix/rows/1/stage": "deployment", "matrix/rows/1/activity": "human oversight",
            "matrix/rows/1/assignments/0": "RA", "matrix/rows/1/assignments/1": ""}
    assert owner.post(url, {**parties, **rows, "action": "complete"}).status_code == 302
    matrix = _open(as_, instance["id"])["data"]["matrix"]
    assert [r["assignments"] for r in matrix["rows"]] == [{"Us": "A", "Acme": "R"}, {"Us": "RA"}]   # Acme: no share

    acme = [t for t in _open(as_, instance["id"])["open_tasks"] if t["element_id"] == "accept_matrix"
            and t["assignee"] is None][0]
    link = _link(as_, acme).replace("/api/v1/external/", "/x/")
    page = Visitor(app).get(link)
    grid = page.text[page.text.index("Who does what"):]
    # Parties as columns, the reader's own first: the link is Acme's.
    assert re.search(r"<th scope=\"col\">Acme \(you\)</th>\s*<th scope=\"col\">Us</th>", grid)
    assert f'value="{sha256(matrix)}"' in page.text and "you answer for exactly the version shown" in page.text
    done = Visitor(app).post(link, {"decision/verdict": "accept", "decision/accepted_version": sha256(matrix)},
                             csrf=False)
    assert done.status_code == 200 and "Thank you" in done.text


def test_the_matrix_s_pdf_is_accepted_with_it_and_each_party_reads_it_even_by_link(as_):
    from helpers import File, given, pdf
    _deploy(as_)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                            "data": {"ai_system": "chatbot"}}).json
    draft = instance["open_tasks"][0]
    signed = pdf("Responsibility matrix, chatbot, as agreed")
    as_["owner"].post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": given(
        as_["owner"], f"/api/v1/tasks/{draft['id']}/documents",
        {"matrix": MATRIX, "matrix_document": File(signed, "matrix.pdf")})})
    document = _open(as_, instance["id"])["data"]["matrix_document"]
    ours, acme = sorted((t for t in _open(as_, instance["id"])["open_tasks"] if t["element_id"] == "accept_matrix"),
                        key=lambda t: t["assignee"] is None)
    path = _link(as_, acme)
    assert as_[None].get(f"{path}/documents/{document['document']}").data == signed   # the supplier reads it too
    # Acme accepts the matrix but not the PDF it read (none); our owner accepts both.
    assert as_[None].post(path, json={"data": {"decision": {"verdict": "accept",
                                                            "accepted_version": sha256(MATRIX)}}}).status_code == 200
    as_["owner"].post(f"/api/v1/tasks/{ours['id']}/complete", json={"data": {"decision": {
        "verdict": "accept", "accepted_version": sha256(MATRIX), "accepted_document": sha256(document)}}})
    state = _open(as_, instance["id"])
    assert state["data"]["outdated"] == ["Acme"] and state["open_tasks"][0]["element_id"] == "draft_matrix"

    # Redrafted unchanged, the PDF is carried as it is; both accept both, and the register keeps it.
    redraft = state["open_tasks"][0]
    as_["owner"].post(f"/api/v1/tasks/{redraft['id']}/complete", json={"data": {
        "matrix": MATRIX, "matrix_document": document["document"]}})
    for task in (t for t in _open(as_, instance["id"])["open_tasks"] if t["element_id"] == "accept_matrix"):
        decision = {"decision": {"verdict": "accept", "accepted_version": sha256(MATRIX),
                                 "accepted_document": sha256(document)}}
        done = as_["owner"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": decision}) \
            if task["assignee"] == "owner" else as_[None].post(_link(as_, task), json={"data": decision})
        assert done.status_code == 200, done.json
    [entry] = as_["auditor"].get("/api/v1/registers/responsibilities?key=chatbot").json["items"]
    assert entry["data"]["document"] == document
