"""Who an open human task is offered to, and when it is due: its deployed settings (see
a10flow.deploy.element_settings) evaluated on the task's own data."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import runner, timers
from .errors import EngineError, ExpressionError, guard


@dataclass
class Assignment:
    """Who a human task is offered to and when it is due, evaluated on its data."""
    groups: list
    users: list
    assignee: str | None
    due_at: datetime | None
    external_party: str | None = None   # gets a link to the task by e-mail
    link_days: int = 14
    subject: str | None = None          # which case it is, shown after the task's name
    contact: str | None = None          # the user the outside party is told to ask


def assign(workflow, task, settings, now):
    """Evaluate a task's deployed settings (see settings.task_settings) for one open task.

    The lane is the candidate group unless candidateGroups says otherwise.
    """
    spiff_task = runner.find_task(workflow, task.id)

    def evaluate(expression):
        return guard(lambda: workflow.script_engine.evaluate(spiff_task, expression), spiff_task)

    def listed(setting):
        if not isinstance(setting, dict):
            return list(setting or [])
        result = evaluate(setting["expr"])
        if result is None:
            return []
        if isinstance(result, (list, tuple)):
            return [str(v) for v in result]
        return [v.strip() for v in str(result).split(",") if v.strip()]

    groups = listed(settings.get("candidate_groups")) or ([task.lane] if task.lane else [])
    assignee = listed(settings.get("assignee"))
    try:
        due_at = _due(settings.get("due"), evaluate, now)
    except EngineError:
        raise
    except Exception as exc:  # a due expression returning nonsense, or a bad ISO value
        raise EngineError(task.element_id, task.name, f"due date: {exc}") from exc
    party = evaluate(settings["external_party"]) if settings.get("external_party") else None
    subject = evaluate(settings["subject"]) if settings.get("subject") else None
    contact = evaluate(settings["contact"]) if settings.get("contact") else None
    return Assignment(list(dict.fromkeys(groups)), list(dict.fromkeys(listed(settings.get("candidate_users")))),
                      assignee[0] if assignee else None, due_at, str(party) if party else None,
                      int(settings.get("link_days") or 14), str(subject) if subject not in (None, "") else None,
                      str(contact) if contact else None)


def _due(settings, evaluate, now):
    if not settings:
        return None
    if "duration" in settings:
        parsed = TimerEventDefinition.parse_iso_duration(settings["duration"])
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    if "date" in settings:
        return timers.utc(settings["date"])
    value = evaluate(settings["expr"])
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ExpressionError("the due date expression returned a date-time without a time zone")
        return value.astimezone(timezone.utc)
    if isinstance(value, str):
        return _due({"duration": value} if value.startswith("P") else {"date": value}, None, now)
    raise ExpressionError(f"the due date expression returned {type(value).__name__}")
