"""Schemathesis over the whole OpenAPI document: generated requests, valid and not, find no 500
and no response that breaks its documented schema. Bounded in examples, so it stays quick."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from helpers import DATA, form, probe

# No 500, and every response as documented: its status, content type and body. (Whether the
# service accepts every schema-valid request is not asked: a well-formed upload of a broken
# BPMN file is rightly refused.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_api_holds_against_generated_requests(app, as_, purchase):
    as_["admin"].deploy(("probe.bpmn", probe("found = 1 / 0")))
    for _ in range(3):   # incidents 1 to 3, for the incident routes to find
        as_["admin"].post("/api/v1/instances", json={"process": "probe_process"})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    token = as_["admin"].headers["Authorization"]
    checked = 0
    for found in schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def holds(case):
            case.call_and_validate(headers={"Authorization": token}, checks=CHECKS)

        holds()
        checked += 1
    assert checked >= 30, checked


def test_nul_characters_are_refused_before_they_reach_the_database(as_, purchase):
    refused = as_["alice"].post("/api/v1/instances", json={"process": "pur\u0000chase"})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] == "process"
    assert as_["alice"].get("/api/v1/tasks?process=a%00b").status_code == 422
    assert as_["alice"].post("/api/v1/instances", json={"process": "purchase", "data": {"x": ["ok", "\u0000"]}}) \
        .json["error"]["details"][0]["field"] == "data/x/1"


def test_deeply_nested_json_is_a_bad_request(as_, purchase):
    for depth in (100, 100_000):
        body = '{"process": "purchase", "data": {"x": ' + "[" * depth + "]" * depth + "}}"
        refused = as_["alice"].post("/api/v1/instances", data=body, content_type="application/json")
        assert refused.status_code == 400 and "nested more than 64 levels" in refused.json["error"]["message"]
    nested = {"x": [[[[{"y": 1}]]]]}
    as_["owner"].deploy(DATA / "purchase.bpmn", DATA / "request.json", form("start", x={"type": "array"}))
    assert as_["alice"].post("/api/v1/instances", json={"process": "purchase", "data": nested}).status_code == 201
