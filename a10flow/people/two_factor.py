"""Two-factor sign-in for local accounts: after the password, a code from an authenticator app
(TOTP, RFC 6238) or a one-time recovery code. Optional per person; required for the roles
A10FLOW_TWO_FACTOR_REQUIRED names (access.must_enrol)."""
import base64
import hmac
import secrets

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import or_

from .. import clock
from ..database import write
from ..errors import Conflict, Forbidden, Invalid
from ..models import RecoveryCode, User, db
from . import access, auth, directory

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"   # nothing to misread (no 0/o, 1/l/i)
_LONGEST = 40   # longer than any code, with its dashes and spaces


def is_on(user):
    return user.totp_on_at is not None


def codes_left(user):
    """How many of ``user``'s recovery codes are unused."""
    return db.session.scalar(db.select(db.func.count()).where(RecoveryCode.user_id == user.id,
                                                              RecoveryCode.used_at.is_(None)))


def _fernet():
    # A key of its own, derived from the secret key: the database alone opens no authenticator.
    secret = current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"a10flow two-factor secret").derive(
        secret.encode() if isinstance(secret, str) else secret)
    return Fernet(base64.urlsafe_b64encode(key))


def _secret(user):
    """The TOTP secret, or None: none made, or made under another secret key (then only the
    recovery codes, or the password to turn it off, still work)."""
    try:
        return _fernet().decrypt(user.totp_secret.encode()).decode() if user.totp_secret else None
    except InvalidToken:
        return None


def enrolment(user):
    """The secret to enrol with, its otpauth:// address, and that as a QR code (an SVG data URL).
    Made on first call and kept until confirmed, so that a reloaded page shows the same one.
    :raises Conflict: two-factor sign-in is on already."""
    if is_on(user):
        raise Conflict("two-factor sign-in is on already: turn it off first to enrol another app")
    if (secret := _secret(user)) is None:
        with write():   # of two pages opened at once, one secret wins and both show it
            db.session.execute(db.update(User).where(User.id == user.id, User.totp_secret == user.totp_secret)
                               .values(totp_secret=_fernet().encrypt(pyotp.random_base32().encode()).decode()))
        db.session.refresh(user)
        secret = _secret(user)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.name, issuer_name="a10flow")
    return secret, uri, segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _clean(code):
    # People type codes with spaces and dashes, and in either case, as their app or paper shows them.
    plain = "".join((code or "").split()).replace("-", "").lower()
    if not plain or len(plain) > _LONGEST or not plain.isalnum() or not plain.isascii():
        raise Invalid("Enter the 6 digits your app shows, or a recovery code",
                      [{"field": "code", "message": "not a code"}])
    return plain


def _refused(message):
    return Invalid(message, [{"field": "code", "message": message}])


def _use_totp(user, code):
    """Whether ``code`` is the app's for now (or a step either side: clocks drift); it is then used up."""
    secret = _secret(user)
    if not (len(code) == 6 and code.isdigit()) or secret is None:
        return False
    totp = pyotp.TOTP(secret)
    now = totp.timecode(clock.now())
    step = next((s for s in (now - 1, now, now + 1) if hmac.compare_digest(totp.generate_otp(s), code)), None)
    if step is None:
        return False
    # Claimed in one statement: a code seen over someone's shoulder, or sent twice, is good once.
    claimed = db.session.execute(db.update(User).where(
        User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)).rowcount
    if not claimed:
        raise _refused("That code was used already: wait for your app to show the next one")
    return True


def _use_recovery_code(user, code):
    row = db.session.scalar(db.select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                          RecoveryCode.code_hash == auth.hash_token(code)))
    if row is None:
        return False
    # Used up in one statement: of two sign-ins with one code, one wins.
    if not db.session.execute(db.update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                              .values(used_at=clock.now())).rowcount:
        raise _refused("That recovery code was used already: each one works once")
    directory.record(user, user, "recovery_code.used", left=codes_left(user))
    return True


def check(user, code):
    """Accept ``code`` as ``user``'s second factor now, committed: a code from their app, or an
    unused recovery code (used up by this). :raises Invalid: field ``code``."""
    code = _clean(code)
    with write():
        if _use_totp(user, code) or _use_recovery_code(user, code):
            return
    raise _refused("That code is not right: enter the 6 digits your app shows now, or a recovery code")


def _new_recovery_codes(user):
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
             for _ in range(RECOVERY_CODES)]   # 16 characters of 31: 79 bits, so sha256 keeps them safe
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=auth.hash_token(_clean(c))) for c in codes)
    return codes


def confirm(user, code):
    """Turn two-factor sign-in on with the first code of the app just enrolled; returns the
    recovery codes (only their hashes are kept: show them now). :raises Invalid: :raises Conflict:"""
    if is_on(user):
        raise Conflict("two-factor sign-in is on already")
    code = _clean(code)
    with write():
        if not _use_totp(user, code):
            raise _refused("That code is not right: enter the 6 digits your app shows now")
        user.totp_on_at = clock.now()
        codes = _new_recovery_codes(user)
        directory.record(user, user, "two_factor.on")
        directory.record(user, user, "recovery_codes.made", count=len(codes))
    return codes


def turn_off(user, password="", code=""):
    """Turn two-factor sign-in off, proven by the password or a code. :raises Invalid: field
    ``password`` or ``code``. :raises Forbidden: their role must keep it. :raises Conflict: it is off."""
    if not is_on(user):
        raise Conflict("two-factor sign-in is not on")
    if access.second_factor_required(user):
        raise Forbidden(f"your role ({user.role.value}) must sign in with a second factor")
    if password:
        if auth.user_for_password(user.name, password[:1000]) is None:
            raise Invalid("That password is not yours", [{"field": "password", "message": "not your password"}])
    elif code:
        check(user, code)
    else:
        raise Invalid("Enter your password or a code", [{"field": "password", "message": "enter your password"}])
    _off(user, user)


def reset(actor, user):
    """An admin turns ``user``'s second factor off, for someone who lost both their app and their
    recovery codes; a role that must have one enrols again at the next sign-in."""
    if is_on(user):
        _off(actor, user)


def _off(actor, user):
    with write():
        user.totp_secret = user.totp_on_at = user.totp_last_step = None
        db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        directory.record(actor, user, "two_factor.off")
