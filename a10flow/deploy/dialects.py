"""What models written for other engines use that a10flow runs differently or not at all:
SpiffArena's script functions, Camunda 7's listeners and input/output mappings, Camunda 8
(Zeebe, FEEL). Deploy names each use, once, so a modeller knows before an
instance fails; a run-time failure over one of them says the same."""
import ast

from ..engine.sandbox.restricted import SLEEP
from .normalize import NS, ZEEBE_NS, owner_id

# SpiffArena's script functions (spiffworkflow_backend/scripts): they reach into SpiffArena's own
# users, secrets, files and database, which a10flow does not have.
SPIFFARENA_FUNCTIONS = frozenset("""
    add_permission add_user_to_group clear_permissions create_unique_kkv_top_level_key
    delete_process_instances_with_criteria extract_from_task_data fact_service generate_markdown_table
    get_all_permissions get_current_user get_data_sizes get_dmn
    get_encoded_file_data get_env get_frontend_url get_group_members get_groups_assigned_to_task
    get_groups_for_user get_last_user_completing_task get_localtime get_process_info
    get_process_initiator_user get_secret get_task_data_value get_task_potential_owners
    get_toplevel_process_info get_url_for_task get_url_for_task_with_bpmn_identifier get_user
    get_user_by_id get_user_properties get_usernames_waiting_for_task get_users_assigned_to_task
    markdown_file_download_link refresh_permissions save_process_instance_metadata set_feature_flags
    set_secret set_user_properties times_executed_by_user update_task_data_with_dictionary
    user_has_started_instance""".split())



def unknown_name(name):
    """Why the code's ``name`` has no value, for an incident."""
    if name in SPIFFARENA_FUNCTIONS:
        return f"{name}() is one of SpiffArena's script functions, which a10flow does not offer"
    return f"the variable {name!r} is not set: no form, start data or earlier step gave it a value"


def _called(source):
    try:
        tree = ast.parse(source or "")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()   # the syntax check reports it
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                names.add(f"{node.func.value.id}.{node.func.attr}")
    return names


def warnings(root):
    """(element, message) for each use of something another engine offers and a10flow does not."""
    sources = [(n, n.text) for n in root.iterfind(".//bpmn:script", NS)]
    sources += [(n, n.text) for tag in ("preScript", "postScript") for n in root.iterfind(f".//spiffworkflow:{tag}", NS)]
    sources += [(n, n.text) for n in root.iterfind(".//bpmn:conditionExpression", NS)]
    for node, source in sources:
        called = _called(source)
        for name in sorted(called & SPIFFARENA_FUNCTIONS):
            yield owner_id(node), f"{unknown_name(name)}: the step will fail there until it is replaced"
        if "time.sleep" in called:
            yield owner_id(node), SLEEP
    for tag, what in (("executionListener", "execution listeners"), ("taskListener", "task listeners"),
                      ("inputOutput", "input/output mappings")):
        for node in root.iterfind(f".//camunda:{tag}", NS):
            yield owner_id(node), (f"a10flow does not run Camunda's {what} (camunda:{tag}): draw what this one "
                                   f"does as a script or service task")


def camunda8(root):
    """Why the file is a Camunda 8 (Zeebe) model a10flow cannot run, or None."""
    uses = {node.tag.split("}")[1] for node in root.iter("{%s}*" % ZEEBE_NS)}
    if not uses and ZEEBE_NS not in root.nsmap.values():
        return None
    feel = sum(1 for n in root.iterfind(".//bpmn:conditionExpression", NS) if (n.text or "").strip().startswith("="))
    what = ", ".join(sorted(uses)) or "its namespace"
    return (f"this is a Camunda 8 (Zeebe) model (zeebe: {what}"
            + (f"; {feel} FEEL condition(s)" if feel else "") +
            "): a10flow runs BPMN with Python expressions and its own forms and service operators. "
            "Redraw its conditions in Python and its job workers as a10flow service operators, or "
            "export it for Camunda 7")


_CONTAINERS = ("}process", "}subProcess", "}transaction", "}adHocSubProcess")


def feel_elements(root):
    """The ids of the elements that hold a FEEL expression (BPMN text starting with ``=``), and of
    what holds them: the Camunda 8 word explains their problems once."""
    found = set()
    for node in root.iter(f"{{{NS['bpmn']}}}*"):
        if not len(node) and (node.text or "").lstrip().startswith("="):
            for holder in node.iterancestors():   # up to the flow element the expression is on
                found.add(holder.get("id"))
                if holder.getparent() is None or holder.getparent().tag.endswith(_CONTAINERS):
                    break
    return found
