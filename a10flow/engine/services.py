"""Service-task operators a process owner can use from the modeller: notify, escalate.

A service task names its operator in ``spiffworkflow:serviceTaskOperator`` and
gives parameters as Python expressions over the instance data. The engine only
evaluates and checks them and hands the call back as plain data; the step
carries it out in the same transaction (the outbox and task tables are not the
engine's business).
"""
import json
from dataclasses import dataclass

OPERATORS = {
    # to: "assignee", "candidates" or "named" (users/groups); task: element id of the open task meant
    "notify": {"required": {"message"}, "optional": {"subject", "to", "task", "users", "groups"}},
    # move an open task to other groups/users (and optionally one assignee)
    "escalate": {"required": {"task"}, "optional": {"groups", "users", "assignee", "reason"}},
    # write the current entry of a register (suppliers, responsibilities, change-notices); with
    # merge, data is a JSON Merge Patch (RFC 7386) onto the key's current entry
    "record": {"required": {"register", "key", "data"}, "optional": {"merge"}},
}
REGISTERS = ("suppliers", "responsibilities", "change-notices")
NOTIFY_TO = ("assignee", "candidates", "named")


@dataclass
class ServiceCall:
    operator: str
    params: dict


class ServiceError(ValueError):
    """A service call whose parameters cannot be carried out."""


def _names(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    raise ServiceError(f"expected a name or a list of names, got {type(value).__name__}")


def call(operator, params):
    """Check an evaluated call; returns the ServiceCall to carry out. :raises ServiceError:"""
    if operator not in OPERATORS:
        raise ServiceError(f"service operator {operator!r} is not one a10flow offers ({', '.join(OPERATORS)})")
    values = {name: param["value"] for name, param in params.items()}
    if operator == "notify":
        to = values.get("to") or ("named" if values.get("users") or values.get("groups") else "candidates")
        if to not in NOTIFY_TO:
            raise ServiceError(f"notify: 'to' must be one of {', '.join(NOTIFY_TO)}, not {to!r}")
        if to != "named" and not values.get("task"):
            raise ServiceError(f"notify: to={to!r} needs 'task', the element id of the open task")
        clean = {"to": to, "task": values.get("task"), "users": _names(values.get("users")),
                 "groups": _names(values.get("groups")), "subject": str(values.get("subject") or ""),
                 "message": str(values["message"])}
    elif operator == "record":
        if values["register"] not in REGISTERS:
            raise ServiceError(f"record: register must be one of {', '.join(REGISTERS)}, not {values['register']!r}")
        if not isinstance(values["data"], dict):
            raise ServiceError(f"record: data must be a dict, not {type(values['data']).__name__}")
        if not isinstance(values.get("merge", False), bool):
            raise ServiceError(f"record: merge must be True or False, not {values['merge']!r}")
        clean = {"register": values["register"], "key": str(values["key"]), "data": values["data"]}
        if values.get("merge"):   # said only when used: records of plain writes stay as they were
            clean["merge"] = True
    else:
        clean = {"task": str(values["task"]), "groups": _names(values.get("groups")),
                 "users": _names(values.get("users")), "assignee": values.get("assignee"),
                 "reason": values.get("reason")}
        if not (clean["groups"] or clean["users"] or clean["assignee"]):
            raise ServiceError("escalate: say where the task goes: groups, users or assignee")
    return ServiceCall(operator, json.loads(json.dumps(clean, default=str)))
