"""The step: everything that moves an instance, each in ONE database transaction.

A step locks the instance row, loads the workflow, applies one action, runs the engine until
it waits (``frame``: what all of them share), then mirrors what now waits (human tasks, timers,
messages) into their tables, records what happened and saves the state (``conclusion``), and
commits. A failure that no element can hold keeps nothing of it. Routes, CLI and scheduler call these
functions: ``start`` (people and timer start events), ``task`` (people's work on tasks),
``link`` (tasks handed to outside parties), ``event`` (timers and messages), ``incident`` and
``instance`` (the owner's).
"""
from .event import deliver_message, due_timers, fire_timers
from .frame import TIMER_ACTOR, load
from .incident import resolve_incident, retry_incident, retry_instance
from .instance import cancel_instance, migrate_instance
from .link import issue_link, revoke_link
from .start import fire_start_timer, start_instance
from .task import claim_task, complete_task, reassign_task, unclaim_task

__all__ = ["TIMER_ACTOR", "cancel_instance", "claim_task", "complete_task", "deliver_message", "due_timers",
           "fire_start_timer", "fire_timers", "issue_link", "load", "migrate_instance", "reassign_task", "revoke_link",
           "resolve_incident", "retry_incident", "retry_instance", "start_instance", "unclaim_task"]
