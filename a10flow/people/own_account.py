"""A person's own account: their password and the browsers signed in as them (their API tokens are
the directory's). Each change is an access record."""
from .. import clock
from ..database import write
from ..errors import Invalid, NotFound
from ..models import WebSession, db
from . import access, auth, directory


def change_password(user, current, new):
    """A new password, proven by the current one; every browser signed in as ``user`` is signed
    out (the caller signs this one in again). :raises Invalid: field ``current_password``, or the
    new one's (directory.set_password)."""
    if auth.user_for_password(user.name, current[:1000]) is None:   # a long guess is still only a guess
        raise Invalid("That is not your current password",
                      [{"field": "current_password", "message": "not your current password"}])
    try:
        directory.set_password(user, user, new)
    except Invalid as exc:   # named as the form names it: beside the current password, "password" is unclear
        raise Invalid(exc.message, [{"field": "new_password", "message": exc.message}]) from None


def sessions(user):
    """The browsers signed in as ``user`` now, newest first."""
    return db.session.scalars(db.select(WebSession).where(
        WebSession.user_id == user.id, WebSession.ended_at.is_(None), WebSession.expires_at > clock.now())
        .order_by(WebSession.id.desc())).all()


def end_session(user, session_id):
    """Sign one of ``user``'s browsers out, committed. :raises NotFound: not theirs, or ended already."""
    row = db.session.get(WebSession, session_id)
    if row is None or not access.owns_session(row, user) or row.ended_at is not None:
        raise NotFound(f"session {session_id} not found")
    with write():
        row.ended_at = clock.now()
        directory.record(user, row.user, "sessions.ended", sessions=[row.id])

