"""What deploy checks and rewrites in one BPMN file before the engine reads it: each problem
and warning names its element (see a10flow.deploy.checks), and what other tools draw is
rewritten into what the engine runs (Camunda operators and loops, implicit splits, data stores
drawn for documentation, expressions)."""
from ..engine.stores import NAMED
from . import camunda, checks, dialects, element_settings, implicit, normalize
from .normalize import NS
from .upload import detail, key_problem


def bpmn_file(upload, name, root):
    """Check and rewrite ``root``, the file ``name``; its problems and warnings go to ``upload``.
    Returns the file's processes."""
    before = len(upload.problems)
    normalize.resolve_references(root)   # first: every check reads references as bare ids
    normalize.camunda_operators(root)   # the ids it writes are checked with the rest
    for dup in checks.duplicate_ids(root):
        upload.problems.append(detail(name, dup, f"the id {dup!r} is used by more than one element"))
    for found in (checks.reserved_ids, checks.dangling_flows, checks.untyped_boundary_events,
                  checks.foreign_service_problems, checks.start_elsewhere, checks.undefined_references,
                  checks.compensation):
        upload.problems.extend(detail(name, element, message) for element, message in found(root))
    for element, message, is_error in (*checks.unnamed_messages(root), *checks.unsendable_signals(root),
                                       *checks.data_stores(root),
                                       *checks.service_operators(root)):
        (upload.problems if is_error else upload.warnings).append(detail(name, element, message))
    for store_id, kind in checks.stores_kept(root).items():
        other, where = upload.stores.setdefault(store_id, (kind, name))
        if other != kind:
            upload.problems.append(detail(name, store_id, f"the data store {store_id!r} is a {NAMED[kind]} here and "
                                                          f"a {NAMED[other]} in {where}: one id is one store, so "
                                                          f"give one of them another id"))
    for node, message in element_settings.people_tasks(root, root):
        upload.task_settings[node.get("id")] = element_settings.task_settings(upload, node, name, message)
    camunda.hide_form_data_ids(root)
    implicit.split_outgoing(root)
    implicit.end_subprocesses(root)
    upload.problems.extend(detail(name, e, m) for e, m in camunda.loops(root))
    problems, warnings = normalize.normalize_bpmn(root)
    upload.problems.extend(detail(name, e, m) for e, m in problems)
    upload.warnings.extend(detail(name, e, m) for e, m in (*warnings, *dialects.warnings(root)))
    if zeebe := dialects.camunda8(root):   # said once, instead of once per FEEL expression
        first = root.find("bpmn:process", NS)
        said = detail(name, None if first is None else first.get("id"), zeebe)
        upload.kinds[name] = said   # among the problems if the upload is refused, for whatever reason
        if len(upload.problems) > before:
            feel = dialects.feel_elements(root)
            upload.problems[before:] = [said, *(p for p in upload.problems[before:] if p["element"] not in feel)]
        else:
            upload.warnings.append(said)
    processes = root.findall("bpmn:process", NS)
    for proc in processes:
        if problem := key_problem(proc.get("id"), "process"):
            upload.problems.append(detail(name, proc.get("id"), problem))
    if not processes:
        upload.problems.append(detail(name, None, "the file has no bpmn:process"))
    elif not any(checks.executable(p) for p in processes):
        ids = ", ".join(p.get("id") for p in processes)
        upload.problems.append(detail(name, processes[0].get("id"),
            f"no executable process ({ids}): tick 'Executable' in the modeller's properties panel "
            f"(bpmn.io sets isExecutable=\"false\" by default)"))
    return processes


def rewritten(root):
    """``root``, a process deployed earlier, rewritten again as bpmn_file does: it passed the
    checks when it was deployed, and is stored as it was uploaded."""
    normalize.resolve_references(root)
    normalize.camunda_operators(root)
    for _ in checks.data_stores(root):
        pass
    camunda.hide_form_data_ids(root)
    implicit.split_outgoing(root)
    implicit.end_subprocesses(root)
    camunda.loops(root)
    normalize.normalize_bpmn(root)
    return root
