"""External links: one task, done by someone without an account, through an expiring token.

The token is 256 random bits, shown once; only its hash is stored. A link works
until it expires, is revoked, or its task is done (by the link or otherwise).
"""
import secrets
from datetime import timedelta

from . import clock
from .auth import hash_token
from .errors import Conflict, Gone, NotFound
from .models import ExternalLink, TaskStatus, db

DEFAULT_LIFETIME = timedelta(days=14)


def issue(task, party, creator=None, lifetime=DEFAULT_LIFETIME):
    """A new link for an open task, in the caller's transaction; returns (link, token)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    link = ExternalLink(token_hash=hash_token(token), task=task, party=party, created_at=now,
                        created_by=creator.id if creator else None, expires_at=now + lifetime)
    db.session.add(link)
    return link, token


def create(task, party, creator=None, lifetime=DEFAULT_LIFETIME):
    """Issue and commit a link for an open task. :raises Conflict: if the task is done."""
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task.id} is already {task.status.value}")
    link, token = issue(task, party, creator, lifetime)
    db.session.commit()
    return link, token


def usable(token):
    """The link a token opens. :raises NotFound: unknown token; Gone: expired, revoked or used."""
    link = db.session.scalar(db.select(ExternalLink).where(ExternalLink.token_hash == hash_token(token)))
    if link is None:
        raise NotFound("this link is not valid: check that it was copied whole")
    if link.revoked_at is not None:
        raise Gone("this link was withdrawn; ask your contact for a new one")
    if link.used_at is not None or link.task.status != TaskStatus.OPEN:
        raise Gone("this link has been used: the task it was for is done")
    if link.expires_at <= clock.now():
        raise Gone("this link has expired; ask your contact for a new one")
    return link


def revoke(link_id):
    link = db.session.get(ExternalLink, link_id)
    if link is None:
        raise NotFound(f"link {link_id} not found")
    link.revoked_at = link.revoked_at or clock.now()
    db.session.commit()
    return link
