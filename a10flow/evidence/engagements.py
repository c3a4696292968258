"""Auditor engagements: an owner or admin lets an external auditor read the evidence of chosen
controls over a period, until a date, by the auditor's account (role ``external_auditor``, which
reaches nothing else) or by a link (a 256-bit token shown once; its hash is kept). Revocable.
Everything the auditor opens or downloads is kept in the engagement's access log.
"""
import re
import secrets
from datetime import datetime, timezone

from .. import clock
from ..database import found, write
from ..errors import Invalid, NotFound
from ..limits import MAX_ENGAGEMENT
from ..models import Engagement, EngagementAccess, User, db
from ..people import access
from ..people.auth import hash_token
from . import controls
from .scope import Scope, coverage, known_controls, unordered

LINK = "link"   # who opened an engagement by its link, in the access log
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def grant(by, auditor, named, start, end, expires_at, account=None):
    """A new engagement; returns (engagement, token), the token None when it is by ``account``
    (a user name). ``expires_at``: the last day of access, through its end. :raises Invalid:
    naming each field at fault; nothing is stored."""
    problems = []
    auditor = (auditor or "").strip()
    if not auditor or len(auditor) > 255 or _CONTROL_CHARACTERS.search(auditor):
        problems.append({"field": "auditor", "message": "name the auditor (and their firm) on one line, in at most "
                                                        "255 characters"})
    chosen, known = [], {c for _, ids in known_controls() for c in ids}
    for raw in named or []:
        try:
            chosen.extend(c for c in controls.parse(raw) if c not in chosen)
        except ValueError as exc:
            problems.append({"field": "controls", "message": str(exc)})
    if not chosen and not any(p["field"] == "controls" for p in problems):
        problems.append({"field": "controls", "message": "choose at least one control"})
    for control in chosen:
        if control not in known:
            problems.append({"field": "controls", "message": f"no deployed process names {control[:40]}: an "
                                                             f"engagement covers controls that have evidence"})
    start, end, expires_at = (_utc(d) for d in (start, end, expires_at))
    today = _utc(clock.now().date())
    if start is None or end is None:
        problems.append({"field": "from" if start is None else "to",
                         "message": "give the period's first day and the day after its last"})
    elif problem := unordered(start, end):
        problems.append(problem)
    elif start > today:
        problems.append({"field": "from", "message": "the period must start by today: days to come have no evidence"})
    if expires_at is None or expires_at < today or expires_at > today + MAX_ENGAGEMENT:
        problems.append({"field": "expires", "message": f"give the last day of access, from today to at most "
                                                        f"{MAX_ENGAGEMENT.days} days ahead; grant a new engagement to "
                                                        f"go on after that"})
    user = None
    if account:
        user = db.session.scalar(db.select(User).where(User.name == account))
        if not access.only_engagements(user):
            problems.append({"field": "account", "message": "choose an account with the role external_auditor, "
                                                            "or grant the access by link"})
    if problems:
        raise Invalid("the engagement cannot be granted", problems)
    token = None if user else secrets.token_urlsafe(32)
    engagement = Engagement(auditor=auditor, user=user, token_hash=token and hash_token(token), controls=chosen,
                            period_start=start, period_end=end, expires_at=expires_at, created_by=by.id)
    with write():
        db.session.add(engagement)
    return engagement, token


def _utc(day):
    if day is None:
        return None
    if isinstance(day, datetime):
        return day.astimezone(timezone.utc) if day.tzinfo else day.replace(tzinfo=timezone.utc)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def every():
    """All engagements, newest first, for the owners' list."""
    return db.session.scalars(db.select(Engagement).order_by(Engagement.id.desc())).all()


def get(engagement_id):
    """:raises NotFound:"""
    return found(db.session.get(Engagement, engagement_id), f"engagement {engagement_id}")


def revoke(engagement, by):
    """End the engagement now: its link and its account's access open nothing from now on."""
    if engagement.revoked_at is None:
        with write():
            engagement.revoked_at, engagement.revoked_by = clock.now(), by.name


def by_link(token):
    """The engagement a link names, whatever its state (see access.open_engagement). :raises NotFound:"""
    engagement = db.session.scalar(db.select(Engagement).where(Engagement.token_hash == hash_token(token or "")))
    if engagement is None:
        raise NotFound("this link is not valid: check that it was copied whole")
    return engagement


def scope(engagement, control):
    """The evidence scope of one of the engagement's controls over its period.
    :raises Forbidden: a control the engagement does not cover."""
    chosen = Scope(control, engagement.period_start, engagement.period_end)   # canonical, or Invalid
    access.check_covers(engagement, chosen)
    return chosen


def covered(engagement):
    """Coverage over the engagement's period, for its controls only."""
    return [row for row in coverage(Scope(None, engagement.period_start, engagement.period_end))
            if row["control"] in engagement.controls]


def log(engagement, who, action, address):
    """Keep one access in the engagement's log, committed."""
    with write():
        db.session.add(EngagementAccess(engagement_id=engagement.id, who=who[:120], action=action[:500],
                                        address=(address or "")[:64] or None))
