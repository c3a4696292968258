"""The Statement of Applicability extract every pack carries for ISO/IEC 42001 A.10.2 to A.10.4:
for each control, the processes that implement it, the versions in force in the period, the
coverage counts, and where in the pack its evidence is."""
from ..deploy import definitions
from ..models import DefinitionVersion, db
from .scope import Scope, coverage

A10 = {"A.10.2": "Allocating responsibilities", "A.10.3": "Suppliers", "A.10.4": "Customers"}


def _in_force(version, scope):
    """Whether ``version`` was the latest of its process at some time in the scope's period."""
    later = [v.created_at for v in version.definition.versions if v.version > version.version]
    until = min(later) if later else None
    return (scope.end is None or version.created_at < scope.end) and \
        (until is None or scope.start is None or until > scope.start)


def extract(scope, in_pack, ran, folder_of, within=None):
    """One row per A.10 control, its coverage counted over the scope's period.

    ``in_pack``: ``{control: [instance ids]}`` whose evidence the pack holds; ``ran``: the ids
    of the versions its instances ran (in force whenever they were deployed), the ones whose
    files the pack holds, at ``folder_of(version)``. A control not ``within`` (an engagement's
    controls) is a row that says only that: its reader may not see more of it.
    """
    versions = db.session.scalars(db.select(DefinitionVersion).order_by(DefinitionVersion.id)).all()
    carried = {v.id: definitions.controls_of(v) for v in versions}
    counted = {row["control"]: row for row in coverage(Scope(None, scope.start, scope.end))}
    rows = []
    for control, title in A10.items():
        if within is not None and control not in within:
            rows.append({"control": control, "title": title, "outside_engagement": True})
            continue
        processes = {}
        for v in versions:
            if control in carried[v.id] and (v.id in ran or _in_force(v, scope)):
                processes.setdefault(v.definition.key, {"process": v.definition.key, "name": v.name,
                                                        "versions": []})["versions"].append(
                    {"version": v.version, "deployed_at": v.created_at.isoformat(),
                     "folder": folder_of(v) + "/" if v.id in ran else None})
        held = in_pack.get(control, [])
        rows.append({"control": control, "title": title, "applicable": bool(processes),
                     "implemented_by": list(processes.values()), "coverage": counted.get(control),
                     "evidence": {"report": f"report.html#control-{control}", "instances": held} if held else None})
    return rows
