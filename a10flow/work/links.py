"""External links: one task, done by someone without an account, through an expiring token.

A link delegates its task: whoever sent it (or the process, for a task naming
``externalParty``) answers for what is done through it (see a10flow.step.link). The token
is 256 random bits, shown once; only its hash is stored. A link works until it expires, is
revoked, or its task is done (by the link or otherwise). Issuing and revoking are evidence.
"""
import re
import secrets
from datetime import timedelta

from .. import clock, evidence
from ..database import write
from ..errors import Gone, NotFound
from ..evidence import personal
from ..models import EvidenceType, ExternalLink, HumanTask, TaskStatus, db
from ..people.auth import hash_token

DEFAULT_LIFETIME = timedelta(days=14)
# A link's token as it appears in a message: the address's last part.
TOKEN_IN_TEXT = re.compile(r"(/x/)([A-Za-z0-9_-]{20,})")


def issue(instance, task, party, actor, lifetime=DEFAULT_LIFETIME, creator=None, by_process=False, contact=None):
    """A new link for an open task of the locked ``instance``, recorded as issued by ``actor``
    for ``creator``, the person it speaks for (None: nobody's, a timer's). ``by_process``: the
    process sent it by itself (its task names an externalParty). ``contact``: whom the party is
    told to ask, if not ``creator``. Returns (link, token)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    link = ExternalLink(token_hash=hash_token(token), task=task, party=party, created_at=now, sender=creator,
                        contact=contact or creator, sent_by_process=by_process, expires_at=now + lifetime)
    db.session.add(link)
    db.session.flush()
    private = []   # the party's address is personal: kept beside the record, like an x-pii field
    kept = evidence.append(instance, EvidenceType.LINK_ISSUED, actor, (task.element_id, task.name), {
        "task_id": task.id, "link": link.id, "party": personal.conceal("/party", party, private),
        "expires_at": link.expires_at.isoformat(), "sent_by_process": by_process,
        "for": {"id": creator.id, "name": creator.name} if creator else None})
    personal.store(instance.id, kept["seq"], "/data", private)
    return link, token


def holder(link):
    """Who acts through ``link``, as evidence names them: never the party's address, which is personal."""
    return {"id": f"link:{link.id}", "name": f"external party (link {link.id})"}


def find(token):
    """The link a token names, whatever its state, or None."""
    return db.session.scalar(db.select(ExternalLink).where(ExternalLink.token_hash == hash_token(token)))


def usable(token):
    """The link a token opens. :raises NotFound: unknown token; Gone: expired, revoked or used."""
    link = find(token)
    if link is None:
        raise NotFound("this link is not valid: check that it was copied whole")
    if link.revoked_at is not None:
        raise Gone("this link was withdrawn; ask your contact for a new one")
    if link.used_at is not None or link.task.status != TaskStatus.OPEN:
        raise Gone("this link has been used: the task it was for is done")
    if link.expires_at <= clock.now():
        raise Gone("this link has expired; ask your contact for a new one")
    return link


def usable_to_give(token, field):
    """As ``usable``, for a file given for ``field``: a refusal names the field and says nothing was kept."""
    try:
        return usable(token)
    except (NotFound, Gone) as exc:
        raise type(exc)(f"{field[:80]}: {exc.message}: the file was not stored",
                        [{"field": field[:200], "message": exc.message}]) from None


def state(link):
    """Where a link stands, for people to read: ``(words, moment)``, e.g. ("works until", its
    expiry), ("answered", when), ("withdrawn", when), ("closed: its task was done", when),
    ("expired", when). Only "works until" means its holder can still use it."""
    if link.used_at is not None:
        return "answered", link.used_at
    if link.revoked_at is not None:
        return "withdrawn", link.revoked_at
    if link.task.status == TaskStatus.COMPLETED:
        return "closed: its task was done", link.task.completed_at
    if link.task.status == TaskStatus.CANCELLED:
        return "closed: its task was withdrawn", link.task.cancelled_at
    if link.expires_at <= clock.now():
        return "expired", link.expires_at
    return "works until", link.expires_at


def in_message(text):
    """The link whose address a message carries, or None (no address, or it was taken out once sent)."""
    found = TOKEN_IN_TEXT.search(text or "")
    return find(found.group(2)) if found else None


def opened(link):
    """Note that the link's holder opened it (the first time only), committed."""
    if link.opened_at is None:
        with write():
            link.opened_at = clock.now()


def of_instance(instance_id):
    """The links of all the instance's tasks, newest first."""
    return db.session.scalars(db.select(ExternalLink).join(ExternalLink.task).where(
        HumanTask.instance_id == instance_id).order_by(ExternalLink.id.desc())).all()


def of_task(task_id, link_id=None):
    """The task's links, newest first; or, with ``link_id``, that one. :raises NotFound:"""
    if link_id is None:
        return db.session.scalars(db.select(ExternalLink).where(ExternalLink.task_id == task_id)
                                  .order_by(ExternalLink.id.desc())).all()
    link = db.session.get(ExternalLink, link_id)
    if link is None or link.task_id != task_id:
        raise NotFound(f"link {link_id} not found")
    return link
