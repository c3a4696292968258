"""Every file of the shared corpus either deploys or gets a 422 naming the problem; never a 500.

Files are deployed the way the corpus README says: with every .dmn of their
folder and the sibling files their call activities name.
"""
import csv

import pytest

from helpers import CORPUS

ROWS = []
if CORPUS.exists():
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as manifest:
        ROWS = list(csv.DictReader(manifest, delimiter="\t"))


def _upload(row):
    path = CORPUS / row["file"]
    together = {name.strip() for name in row["parsed_together_with"].split(",") if name.strip()}
    files = [(path.name, path.read_bytes())]
    for other in sorted(path.parent.iterdir()):
        if other != path and (other.suffix in (".dmn", ".json") or other.name in together
                              or str(other.relative_to(CORPUS)) in together):
            files.append((other.name, other.read_bytes()))
    return files


needs_corpus = pytest.mark.skipif(not ROWS, reason="../shared/corpus is not beside the repository")


@needs_corpus
@pytest.mark.parametrize("row", [r for r in ROWS if not r["file"].endswith(".json")], ids=lambda r: r["file"])
def test_corpus_file_deploys_or_is_refused_with_reasons(as_, row):
    response = as_["owner"].deploy(*_upload(row))
    assert response.status_code in (201, 422), response.json
    if row["spiffworkflow_3.2.0_parse"].startswith("ok"):
        assert response.status_code == 201, response.json
        deployed = response.json["processes"] + response.json["decisions"]
        assert deployed
    if response.status_code == 422:
        for detail in response.json["error"]["details"]:
            assert detail["message"] and (detail["element"] or detail["file"]), detail


@needs_corpus
def test_a_deployed_corpus_file_runs(as_):
    # A Camunda Modeler file with a JUEL condition on a Python keyword (${continue == true}).
    [row] = [r for r in ROWS if r["file"].endswith("ProcessEngineTests-findTest.bpmn")]
    assert as_["owner"].deploy(*_upload(row)).status_code == 201
    started = as_["alice"].post("/api/v1/instances", json={"process": "Process_TestID"}).json
    # A plain bpmn:task waits for a person to tick it off, as SpiffWorkflow runs it.
    for element in ("PlainTask_TestID", "UserTask_TestID"):
        [task] = as_["alice"].get(f"/api/v1/instances/{started['id']}").json["open_tasks"]
        assert task["element_id"] == element
        assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    assert as_["alice"].get(f"/api/v1/instances/{started['id']}").json["status"] == "completed"
    chain = as_["auditor"].get(f"/api/v1/instances/{started['id']}/evidence").json["items"]
    [path] = [r for r in chain if r["type"] == "gateway.path_taken"]
    assert path["data"]["to"] == ["MessageEnd_TestID"]  # ${continue == true} with continue unset
    assert path["data"]["flows"] == [{"id": "SequenceFlow_1pv5pmd", "name": "no", "to": "MessageEnd_TestID"}]
