"""Users, passwords, API tokens and web sessions: who someone is (a10flow.people.access: what they may do)."""
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, request
from sqlalchemy import or_
from sqlalchemy.orm import joinedload

from .. import clock
from ..database import write
from ..errors import Forbidden, ServiceError
from ..models import ApiToken, User, WebSession, db
from . import access


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


def hash_token(token):
    # Tokens are 256 random bits, so a fast hash is enough; nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_passwords = PasswordHasher()   # argon2id: memory-hard, so a stolen hash is slow to crack


def set_password(user, password):
    """A new password: every browser signed in with the old one is signed out."""
    user.password_hash = _passwords.hash(password)
    db.session.execute(db.update(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
                       .values(ended_at=clock.now()))


def user_for_password(name, password):
    """The user if the password is theirs, else None (the same answer for an unknown name)."""
    user = db.session.scalar(db.select(User).where(User.name == name))
    try:
        _passwords.verify(user.password_hash if user and user.password_hash else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user and user.password_hash and user.disabled_at is None else None


_DUMMY = _passwords.hash("no such user")   # verify against something, so timing does not tell names apart


def issue_token(user, expires_at=None):
    """A new API token for ``user``; only its hash is stored, so show it now or never."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), expires_at=expires_at))
    return token


def user_for_token(token):
    row = db.session.scalar(db.select(ApiToken).options(joinedload(ApiToken.user))
                            .where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= clock.now():
        return None
    if row.user.disabled_at is not None:
        return None
    touch(row)
    return row.user


USED_EVERY = timedelta(minutes=1)   # how finely last_used_at is kept


def touch(row):
    """Note that ``row`` (an API token or a web session) is in use, to the minute: a busy token
    writes once a minute, not on every request."""
    now, model = clock.now(), type(row)
    if row.last_used_at is None or row.last_used_at <= now - USED_EVERY:
        with write():   # a condition, not a read: of many requests at once, one writes
            db.session.execute(db.update(model).where(model.id == row.id, or_(
                model.last_used_at.is_(None), model.last_used_at <= now - USED_EVERY)).values(last_used_at=now))


def open_session(user, lifetime):
    """A new web session for ``user``, committed; returns its token (for the signed cookie)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with write():
        db.session.add(WebSession(user_id=user.id, token_hash=hash_token(token), created_at=now,
                                  expires_at=now + lifetime))
    return token


def user_for_session(token):
    """The user a web session's token belongs to, unless it ended or expired; else None."""
    row = db.session.scalar(db.select(WebSession).options(joinedload(WebSession.user))
                            .where(WebSession.token_hash == hash_token(token)))
    if row is None or row.ended_at is not None or row.expires_at <= clock.now():
        return None
    if row.user.disabled_at is not None:
        return None
    touch(row)
    return row.user


def close_session(token):
    """Sign a browser out on the server: its cookie opens nothing from now on."""
    with write():
        db.session.execute(db.update(WebSession).where(WebSession.token_hash == hash_token(token),
                                                       WebSession.ended_at.is_(None)).values(ended_at=clock.now()))


def load_user():
    """Set ``g.user`` from the Bearer token. :raises Unauthorized:"""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API token: Authorization: Bearer <token>")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("the API token is unknown, revoked or expired")
    if access.only_engagements(user):
        raise Forbidden("an external auditor's account reads only its engagements, on the engagement pages")
    if access.must_enrol(user):   # a token held from before must not step round the requirement
        raise Forbidden(f"your role ({user.role.value}) must sign in with a second factor: turn it on at "
                        "/account/two-factor, then the API opens again")
    g.user = user
