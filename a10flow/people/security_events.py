"""Security events: every refused attempt is kept (who, from where, what, when, why) for admins."""
import logging
from datetime import timedelta

from flask import g, request

from .. import clock
from ..database import write
from ..limits import whole
from ..models import SecurityEvent, db

log = logging.getLogger(__name__)


PER_MINUTE = 60   # events kept one by one per address and minute; beyond that, counted on the last


def record(status, reason, user_name=None):
    """Keep a refused request, in a transaction of its own (the request's own work is dropped).
    One address cannot fill the table: past PER_MINUTE a minute, its last event counts the
    rest. If it cannot be kept, the refusal still stands: it is logged instead."""
    db.session.rollback()
    user = getattr(g, "user", None)
    now, address = clock.now(), (request.remote_addr or "")[:64]
    event = SecurityEvent(at=now, user_name=user_name or (user.name if user else None),
                          address=address, method=request.method,
                          path=request.path[:500], status=status, reason=str(reason)[:500])
    try:
        with write():
            recent = db.select(SecurityEvent).where(SecurityEvent.address == address,
                                                    SecurityEvent.at > now - timedelta(minutes=1))
            if db.session.scalar(db.select(db.func.count()).select_from(recent.subquery())) >= PER_MINUTE:
                latest = db.session.scalar(recent.order_by(SecurityEvent.id.desc()).limit(1).with_for_update())
                latest.repeats, latest.last_at = latest.repeats + 1, now
            else:
                db.session.add(event)
    except Exception:
        log.exception("could not keep the security event %s %s %s", status, request.path, reason)


def events(since=None, until=None, who=None, what=None, before=None, limit=500):
    """The newest refused attempts first: at or after ``since``, before ``until``; ``who``: part of
    the name or the address; ``what``: part of the path or the reason, or the status; ``before``: an
    event's id, for the page after it."""
    stmt = db.select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if since is not None:
        stmt = stmt.where(SecurityEvent.at >= since)
    if until is not None:
        stmt = stmt.where(SecurityEvent.at < until)
    if before is not None:
        stmt = stmt.where(SecurityEvent.id < before)
    if who:
        stmt = stmt.where(db.or_(SecurityEvent.user_name.icontains(who, autoescape=True),
                                 SecurityEvent.address.icontains(who, autoescape=True)))
    if what:
        stmt = stmt.where(db.or_(SecurityEvent.path.icontains(what, autoescape=True),
                                 SecurityEvent.reason.icontains(what, autoescape=True),
                                 SecurityEvent.status == (whole(what) or -1)))
    return db.session.scalars(stmt).all()
