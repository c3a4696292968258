"""The Statement of Applicability extract every pack carries for ISO/IEC 42001 A.10.2 to A.10.4:
for each control, the processes that implement it, the versions in force in the period, the
coverage counts, and where in the pack its evidence is."""
from .. import definitions
from ..models import DefinitionVersion, db
from .scope import Scope, coverage

A10 = {"A.10.2": "Allocating responsibilities", "A.10.3": "Suppliers", "A.10.4": "Customers"}


def _in_force(version, scope):
    """Whether ``version`` was the latest of its process at some time in the scope's period."""
    later = [v.created_at for v in version.definition.versions if v.version > version.version]
    until = min(later) if later else None
    return (scope.end is None or version.created_at < scope.end) and \
        (until is None or scope.start is None or until > scope.start)


def extract(scope, in_pack, ran):
    """One row per A.10 control. ``in_pack``: ``{control: [instance ids]}`` whose evidence the pack
    holds; ``ran``: the ids of the versions its instances ran, in force whenever they were deployed."""
    versions = db.session.scalars(db.select(DefinitionVersion).order_by(DefinitionVersion.id)).all()
    rows = []
    for control, title in A10.items():
        implementing = [v for v in versions if control in definitions.controls_of(v)
                        and (v.id in ran or _in_force(v, scope))]
        processes = {}
        for v in implementing:
            processes.setdefault(v.definition.key, {"process": v.definition.key, "name": v.name, "versions": []})
            processes[v.definition.key]["versions"].append(
                {"version": v.version, "deployed_at": v.created_at.isoformat(), "folder":
                 f"definitions/{v.definition.key}/v{v.version}/"})
        counted = coverage(Scope(control, scope.start, scope.end))
        held = in_pack.get(control, [])
        rows.append({"control": control, "title": title, "applicable": bool(processes),
                     "implemented_by": list(processes.values()),
                     "coverage": counted[0] if counted else None,
                     "evidence": {"report": f"report.html#control-{control}", "instances": held} if held else None})
    return rows
