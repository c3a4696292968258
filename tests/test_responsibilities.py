"""A.10.2: a responsibility matrix is checked before sign-off, and each acceptance names its version."""
from helpers import DATA, form

from a10flow.work.responsibilities import problems

GOOD = {
    "parties": [{"name": "Us", "kind": "organisation", "representative": "olivia"},
                {"name": "Acme", "kind": "supplier", "representative": "anna@acme.example"}],
    "rows": [{"stage": "deployment", "activity": "monitoring", "assignments": {"Acme": "R", "Us": "A"},
              "basis": "MSA 7.2"},
             {"stage": "inception", "activity": "impact assessment", "assignments": {"Us": "RA", "Acme": "C"}}],
}


def test_a_sound_matrix_has_no_problems():
    assert problems(GOOD) == []


def test_each_problem_names_its_row_or_party():
    bad = {
        "parties": [{"name": "Us", "representative": "olivia"}, {"name": "Acme", "representative": " "}],
        "rows": [{"stage": "deployment", "activity": "monitoring", "assignments": {"Acme": "A", "Us": "A"}},
                 {"stage": "launch", "activity": "logging", "assignments": {"Us": "C", "Globex": "X"}}],
    }
    found = problems(bad)
    assert "party 'Acme' has no named representative" in found
    assert "row 1 (deployment / monitoring): needs exactly one Accountable (A) party, has 2 (Acme, Us)" in found
    assert "row 1 (deployment / monitoring): needs at least one Responsible (R) party" in found
    assert any(p.startswith("row 2 (launch / logging): unknown life-cycle stage") for p in found)
    assert "row 2 (launch / logging): 'Globex' is not one of the parties" in found
    assert "row 2 (launch / logging): 'Globex' has 'X'; use the letters R, A, C and I" in found
    assert problems([]) == ["the matrix must be an object with parties and rows"]
    assert problems({"parties": []}) == ["the matrix has no rows"]


MATRIX_CHECK = (DATA / "matrix-check.bpmn").read_bytes()


def test_processes_check_and_fingerprint_a_matrix_in_a_script(as_):
    from a10flow.evidence.canonical import sha256
    as_["owner"].deploy(("check.bpmn", MATRIX_CHECK), form("s", matrix={"type": "object"}))
    instance = as_["owner"].post("/api/v1/instances", json={"process": "check", "data": {"matrix": GOOD}}).json
    assert instance["data"]["errors"] == [] and instance["data"]["matrix_sha256"] == sha256(GOOD)
    broken = dict(GOOD, rows=[dict(GOOD["rows"][0], assignments={"Acme": "R"})])
    instance = as_["owner"].post("/api/v1/instances", json={"process": "check", "data": {"matrix": broken}}).json
    assert instance["data"]["errors"] == ["row 1 (deployment / monitoring): needs exactly one Accountable (A) party, "
                                          "has 0"]


def test_a_form_asks_the_server_to_check_its_matrix_before_the_step_and_names_a_real_rule(as_):
    """``x-rules`` on a form's field: a breach is a 422 at its place (row, cell, party), nothing starts;
    a rule a10flow does not know is refused at deploy, not discovered when someone submits."""
    checked = {"type": "object", "x-rules": "responsibility-matrix"}
    assert as_["owner"].deploy(("check.bpmn", MATRIX_CHECK), form("s", matrix=checked)).status_code == 201
    broken = {"parties": GOOD["parties"] + [{"name": "Us", "kind": "partner", "representative": "x@y.example"}],
              "rows": [dict(GOOD["rows"][0], assignments={"Acme": "R", "Globex": "A"})]}
    refused = as_["owner"].post("/api/v1/instances", json={"process": "check", "data": {"matrix": broken}})
    assert refused.status_code == 422
    assert refused.json["error"]["details"] == [
        {"field": "matrix/parties/2/name", "message": "another party is called 'Us' already"},
        {"field": "matrix/rows/0/assignments/Globex", "message": "'Globex' is not one of the parties"}]
    assert as_["owner"].get("/api/v1/instances").json["items"] == []
    assert as_["owner"].post("/api/v1/instances", json={"process": "check", "data": {"matrix": GOOD}}).status_code == 201

    unknown = as_["owner"].deploy(("check.bpmn", MATRIX_CHECK), form("s", matrix={"type": "object", "x-rules": "raci"}))
    assert unknown.status_code == 422 and "x-rules 'raci'" in unknown.text
