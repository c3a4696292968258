"""A process owner writes the controls an element evidences as people write them; coverage and
packs list each control once, under its framework."""
import io
import json
import zipfile

import pytest
from helpers import CAMUNDA, bpmn, deploy_bundled, flow, signed_in

from a10flow.evidence import controls

MIXED = "A.10.3, ISO 27001 A.5.19, A.5.20; EU AI Act Art. 25(4)"


def _one_task(control, process="vetting"):
    return bpmn(f'<bpmn:startEvent id="s"/>{flow("s", "check", 1)}'
                f'<bpmn:userTask id="check" name="Check the supplier"><bpmn:extensionElements><camunda:properties>'
                f'<camunda:property name="control" value="{control}"/></camunda:properties></bpmn:extensionElements>'
                f'</bpmn:userTask>{flow("check", "e", 2)}<bpmn:endEvent id="e"/>', process, ns=CAMUNDA)


@pytest.mark.parametrize("written, ids", [
    (MIXED, ["A.10.3", "ISO/IEC 27001 A.5.19", "ISO/IEC 27001 A.5.20", "EU AI Act Art. 25(4)"]),
    ("a.10.2", ["A.10.2"]),
    ("ISO/IEC 42001 A.10.4", ["A.10.4"]),                              # the default framework, named
    ("ISO 27001:2022 Annex A A.5.21; A.10.3", ["ISO/IEC 27001 A.5.21", "A.10.3"]),   # ";" ends a framework's list
    ("EU AI Act Article 26 (1)(a), Art. 25(4)", ["EU AI Act Art. 26(1)(a)", "EU AI Act Art. 25(4)"]),
    ("eu ai act ARTICLE 25(4), art 25 (4)", ["EU AI Act Art. 25(4)"]),   # one article, however written
    ("A.10.3, A.10.3,, ", ["A.10.3"]),
])
def test_control_lists_are_read_into_one_canonical_id_per_control(written, ids):
    assert controls.parse(written) == ids


@pytest.mark.parametrize("written, named", [("SOC 2 CC1.1", "SOC 2 CC1.1"), ("ISO 27001", "ISO 27001"),
                                            ("EU AI Act recital 12", "recital 12")])
def test_what_is_not_a_control_id_is_named(written, named):
    with pytest.raises(ValueError, match=f"'{named}' is not a control id of"):
        controls.parse(written)


def test_a_control_property_that_names_no_control_is_refused_at_deploy_naming_the_element(as_):
    response = as_["owner"].deploy(_one_task("A.10.3, SOC 2 CC1.1"))
    assert response.status_code == 422
    [problem] = response.json["error"]["details"]
    assert problem["element"] == "check" and problem["name"] == "Check the supplier"
    assert "'SOC 2 CC1.1' is not a control id" in problem["message"] and "ISO 27001 A.5.19" in problem["message"]
    assert as_["owner"].get("/api/v1/definitions").json["items"] == []   # nothing was stored


def test_coverage_lists_each_control_once_grouped_by_framework(as_, app):
    assert as_["owner"].deploy(_one_task(MIXED)).status_code == 201
    deploy_bundled(as_, "responsibility_signoff")   # A.10.2
    instance = as_["owner"].post("/api/v1/instances", json={"process": "vetting"}).json
    rows = as_["auditor"].get("/api/v1/evidence/coverage").json["items"]
    assert [(r["framework"], r["control"], r["instances"]) for r in rows] == [
        ("ISO/IEC 42001 Annex A", "A.10.3", 1),
        ("ISO/IEC 27001 Annex A", "ISO/IEC 27001 A.5.19", 1), ("ISO/IEC 27001 Annex A", "ISO/IEC 27001 A.5.20", 1),
        ("EU AI Act", "EU AI Act Art. 25(4)", 1)]   # the sign-off has no instance yet
    [task] = as_["owner"].get(f"/api/v1/tasks?instance={instance['id']}").json["items"]
    as_["owner"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}})
    [done] = [r for r in as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
              if r["type"] == "task.completed"]
    assert done["controls"] == ["A.10.3", "ISO/IEC 27001 A.5.19", "ISO/IEC 27001 A.5.20", "EU AI Act Art. 25(4)"]

    # The auditor asks for a control as people write it, and gets the same control.
    for asked in ("ISO 27001 A.5.20", "ISO/IEC 27001 A.5.20", "iso 27001 a.5.20"):
        [row] = as_["auditor"].get(f"/api/v1/evidence/coverage?control={asked}").json["items"]
        assert row["control"] == "ISO/IEC 27001 A.5.20"
    pack = zipfile.ZipFile(io.BytesIO(as_["auditor"].get("/api/v1/evidence/export?control=EU AI Act Art. 25(4)").data))
    assert [r["control"] for r in json.loads(pack.read("coverage.json"))] == ["EU AI Act Art. 25(4)"]

    page = signed_in(app, "auditor").get("/audit?from=2020-01-01").text
    assert page.count('<optgroup label="ISO/IEC 27001 Annex A">') == 1
    assert page.index('<th scope="rowgroup" colspan="6">ISO/IEC 42001 Annex A</th>') < \
        page.index("<td>A.10.3</td>") < page.index('<th scope="rowgroup" colspan="6">ISO/IEC 27001 Annex A</th>') < \
        page.index("<td>ISO/IEC 27001 A.5.19</td>") < page.index('colspan="6">EU AI Act</th>')


@pytest.mark.parametrize("asked", ["SOC 2 CC1.1", "A.10.3, A.10.4", "A.10.3' OR '1'='1", "A." * 3000 + "x", "A.10.3%00",
                                   ";;;", "EU AI Act Art. 25(" + "(" * 500])
def test_a_scope_that_is_not_one_control_gets_a_clear_422(as_, app, asked):
    response = as_["auditor"].get(f"/api/v1/evidence/coverage?control={asked}")
    assert response.status_code == 422 and response.json["error"]["details"][0]["field"].startswith("control")
    page = signed_in(app, "auditor").get(f"/audit?control={asked}")
    assert page.status_code == 422


def test_the_command_line_says_which_control_it_cannot_read(app):
    from click.testing import CliRunner

    from a10flow.cli import main
    with app.app_context():
        said = CliRunner().invoke(main, ["evidence", "coverage", "--control", "SOC 2 CC1.1"])
    assert said.exit_code == 1 and "control: 'SOC 2 CC1.1' is not a control id" in said.output
    assert "Traceback" not in said.output
