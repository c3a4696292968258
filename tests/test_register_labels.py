"""The responsibilities register as a reader sees it: the agreed matrix's fingerprint shortened,
the whole of it on hover, and the review date explained in words."""
from a10flow import clock
from conftest import signed_in
from test_responsibility_signoff import MATRIX, T0, _deploy, _open, _sign, sha256


def test_the_fingerprint_is_short_with_the_whole_on_hover_and_the_review_date_explained(app, as_):
    _deploy(as_)
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                            "data": {"ai_system": "credit-scoring"}}).json
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {"matrix": MATRIX}})
    _sign(as_, instance["id"], {"owner": "accept", "Acme": "accept"}, sha256(MATRIX))
    assert _open(as_, instance["id"])["status"] == "completed"
    page = signed_in(app, "auditor").get("/registers/responsibilities").text
    whole = sha256(MATRIX)
    assert f'<code class="fingerprint" title="{whole}">{whole[:12]}…</code>' in page
    assert f">{whole}<" not in page   # never the 64 characters as text
    assert "Fingerprint of the agreed matrix" in page and "Sha256" not in page
    assert "Review due" in page and "A year after every party accepted it" in page
