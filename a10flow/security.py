"""Security events: every refused attempt is kept (who, from where, what, when, why) for admins."""
import logging

from flask import g, request

from . import clock
from .models import SecurityEvent, db

log = logging.getLogger(__name__)


def record(status, reason, user_name=None):
    """Keep a refused request, in a transaction of its own (the request's own work is dropped).
    If it cannot be kept, the refusal still stands: it is logged instead."""
    db.session.rollback()
    user = getattr(g, "user", None)
    event = SecurityEvent(at=clock.now(), user_name=user_name or (user.name if user else None),
                          address=(request.remote_addr or "")[:64], method=request.method,
                          path=request.path[:500], status=status, reason=str(reason)[:500])
    try:
        db.session.add(event)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not keep the security event %s %s %s", status, request.path, reason)


def events(since=None, limit=500):
    """The newest refused attempts first."""
    stmt = db.select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if since is not None:
        stmt = stmt.where(SecurityEvent.at >= since)
    return db.session.scalars(stmt).all()
