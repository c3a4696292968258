"""People's steps on links: handing a task to an outside party, and withdrawing the link."""
from .. import clock, evidence
from ..errors import Forbidden, Invalid
from ..models import EvidenceType
from ..people import access
from ..work import forms, links, notifications
from .frame import actor_of, lock, transaction
from .task import open_task, task_instance


def issue_link(task_id, user, party, lifetime, send=False):
    """Hand an open task to ``party`` (an e-mail address): a link that does it once, for ``user``,
    e-mailed to them if ``send``. Returns (link, token); the token is shown now or never.

    :raises Invalid: ``party`` is no address; NotFound: a task ``user`` may not see; Forbidden: see
        access.why_not_hand_out, and separation of duties; Conflict: the task is done.
    """
    instance_id = task_instance(task_id, user)
    try:
        party = forms.email_address(party)
    except ValueError:
        raise Invalid("a link is sent to an e-mail address", [{"field": "party", "message": "enter an e-mail address"}])
    with transaction():
        instance = lock(instance_id)
        task = open_task(task_id)
        if why := access.why_not_hand_out(task, user):
            raise Forbidden(why, [{"element": task.element_id, "message": why}])
        access.check_apart(task, user)
        link, token = links.issue(instance, task, party, actor_of(user), lifetime, creator=user)
        if send:
            notifications.queue_link(instance, task, link, token)
        return link, token


def revoke_link(task_id, link_id, user):
    """Withdraw a link: it answers 410 from now on. Returns the link.

    :raises NotFound: no such link for a task ``user`` may see; Forbidden: see access.may_revoke.
    """
    with transaction():
        instance = lock(task_instance(task_id, user))
        link = links.of_task(task_id, link_id)
        if not access.may_revoke(link, user):
            raise Forbidden("only whoever sent this link, someone who may do its task, or an owner may withdraw it")
        if link.revoked_at is None:
            link.revoked_at = clock.now()
            evidence.append(instance, EvidenceType.LINK_REVOKED, actor_of(user),
                            (link.task.element_id, link.task.name), {"task_id": task_id, "link": link.id})
    return link
