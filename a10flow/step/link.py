"""People's steps on links: handing a task to an outside party, and withdrawing the link."""
from flask import current_app

from .. import clock, evidence
from ..errors import Forbidden, Invalid
from ..models import EvidenceType
from ..work import forms, human_tasks, links, notifications
from .frame import actor_of, lock, transaction
from .task import keep_duties_apart, open_task, task_instance


def issue_link(task_id, user, party, lifetime, send=False):
    """Hand an open task to ``party`` (an e-mail address): a link that does it once, for ``user``,
    e-mailed to them if ``send``. Returns (link, token); the token is shown now or never.

    :raises Invalid: ``party`` is no address; Forbidden: see human_tasks.may_hand_out, and separation
        of duties; Conflict: the task is done.
    """
    try:
        party = forms.email_address(party)
    except ValueError:
        raise Invalid("a link is sent to an e-mail address", [{"field": "party", "message": "enter an e-mail address"}])
    with transaction():
        instance = lock(task_instance(task_id))
        task = open_task(task_id)
        if why := human_tasks.may_hand_out(task, (instance.version.tasks or {}).get(task.element_id, {}), user):
            raise Forbidden(why, [{"element": task.element_id, "message": why}])
        keep_duties_apart(instance, task, user)
        link, token = links.issue(instance, task, party, actor_of(user), lifetime, creator=user)
        if send:
            notifications.queue_link(instance, task, link, token, current_app.config)
        return link, token


def revoke_link(task_id, link_id, user):
    """Withdraw a link: it answers 410 from now on. Returns the link.

    :raises NotFound: no such link for the task; Forbidden: see human_tasks.may_revoke.
    """
    with transaction():
        instance = lock(task_instance(task_id))
        link = links.of_task(task_id, link_id)
        if not human_tasks.may_revoke(link, user):
            raise Forbidden("only whoever sent this link, someone who may do its task, or an owner may withdraw it")
        if link.revoked_at is None:
            link.revoked_at = clock.now()
            evidence.append(instance, EvidenceType.LINK_REVOKED, actor_of(user),
                            (link.task.element_id, link.task.name), {"task_id": task_id, "link": link.id})
    return link
