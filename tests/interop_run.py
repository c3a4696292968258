"""One file of the interop corpus through the service as a process owner would bring it: deployed
with the files it needs (its companions), then each process it deployed started with no data.
The test holds every outcome to the service's promises; bench/interop.py counts them."""
import csv
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

INTEROP = Path(__file__).parents[1].parent / "shared" / "corpus" / "interop"

# What a modeller cannot act on: a Python exception's name, an object's repr, the engine's own words.
PYTHON_TALK = re.compile(r"\b(\w+Error|\w+Exception|NotImplemented)\b|Traceback| at 0x[0-9a-f]+|<string>|"
                         r"NoneType|Error evaluating expression")
# Problems with a whole file rather than one of its elements.
FILE_LEVEL = re.compile(r"^(the file|the DMN file|not well-formed XML|not valid JSON|not a valid JSON Schema|"
                        r"the form |DOCTYPE)")


def entries():
    """The corpus files (BPMN and DMN, companions left out), each with the companions it needs."""
    if not INTEROP.exists():
        return []
    with open(INTEROP / "companions.tsv", encoding="utf-8") as f:
        companions = {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}
    files = sorted(p for p in INTEROP.rglob("*") if p.suffix in (".bpmn", ".dmn", ".xml")
                   and "_companions" not in p.parts)
    return [(str(p.relative_to(INTEROP)), _upload(p, companions.get(str(p.relative_to(INTEROP))))) for p in files]


def _upload(path, row):
    files = [(path.name, path.read_bytes())]
    if row and row["companions"]:
        for local, original in zip(row["companions"].split(";"), row["companion_repo_paths"].split(";")):
            files.append((Path(original).name, (INTEROP / local).read_bytes()))
    return files


@dataclass
class Start:
    process: str
    http: int
    seconds: float
    status: str = ""
    waits: bool = False    # an open task, a timer, a message or a signal to wait for
    incident: bool = False
    completed_record: bool = False
    body: dict = field(default_factory=dict)


@dataclass
class Outcome:
    deploy: int
    details: list
    starts: list


def run(as_, files):
    """Deploy ``files`` as the owner and start every process deployed; what happened."""
    deployed = as_["owner"].deploy(*files)
    if deployed.status_code != 201:
        return Outcome(deployed.status_code, (deployed.json or {}).get("error", {}).get("details", []), [])
    starts = []
    for process in deployed.json["processes"]:
        began = time.monotonic()
        response = as_["owner"].post("/api/v1/instances", json={"process": process["key"]})
        start = Start(process["key"], response.status_code, time.monotonic() - began, body=response.json or {})
        if response.status_code == 201:
            instance = as_["owner"].get(f"/api/v1/instances/{response.json['id']}").json
            start.status = instance["status"]
            start.waits = bool(instance["open_tasks"] or instance["timers"] or instance["messages"]
                               or instance.get("signals"))
            start.incident = any(i["status"] == "open" for i in instance["incidents"])
            chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
            start.completed_record = any(r["type"] == "instance.completed" for r in chain)
        starts.append(start)
    return Outcome(201, deployed.json.get("warnings", []), starts)
