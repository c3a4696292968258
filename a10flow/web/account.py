"""Sign in and out, with a password (then, for those who turned it on, a second factor) or through
the identity provider (single sign-on). The session cookie names a server-side session, signed
with the secret key."""
import math
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from .. import clock
from ..errors import Invalid, NotFound, ServiceError
from ..models import User, db
from ..people import access, auth, security_events, sso, two_factor
from . import blueprint, limiter

bp = blueprint("account")


def _safe_next(target):
    # Only paths on this site: a sign-in link must not send people elsewhere.
    parts = urlsplit(target or "")
    return target if target and not parts.scheme and not parts.netloc and target.startswith("/") else None


HALF_SIGNED_IN = timedelta(minutes=5)   # from the right password to the code


def _half_signed_in():
    """Who gave their password moments ago and now owes the code (the signed cookie says), or None."""
    half = session.get("half")
    if not isinstance(half, dict) or clock.now().timestamp() - half.get("at", 0) > HALF_SIGNED_IN.total_seconds():
        return None
    user = db.session.get(User, half["user"])
    return user if user is not None and user.disabled_at is None else None   # disabled meanwhile: no code opens


def _account():
    # The name as typed (at the code step: as typed at the password), folded and cut to a name's
    # longest: "Alice" counts with "alice", and a megabyte of name is not a megabyte of key.
    name = request.form.get("name") or (session.get("half") or {}).get("name", "")
    return "name:" + name.strip().casefold()[:120]


def _failed(response):
    return response.status_code == 401


def wait_words(seconds):
    """A wait as people say it: "40 seconds", "5 minutes", "2 hours" (rounded up: never too short)."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        amount, unit = seconds, "second"
    elif seconds < 90 * 60:
        amount, unit = math.ceil(seconds / 60), "minute"
    else:
        amount, unit = math.ceil(seconds / 3600), "hour"
    return f"{amount} {unit}" + ("" if amount == 1 else "s")


@bp.errorhandler(RateLimitExceeded)
def _too_many(exc):
    """The sign-in page again, saying which limit holds and for how long (also as Retry-After)."""
    g.user = None
    breached, wait = held_back()
    by_account = any(_account() in limit.request_args for limit in breached)
    name = request.form.get("name", "").strip() or (session.get("half") or {}).get("name", "")
    security_events.record(429, "too many failed sign-ins " + ("for this name" if by_account else "from this address"),
                    name[:120])
    why = ("Too many attempts with this name" if by_account
           else "Too many attempts from your network (everyone signing in from this address)")
    error = f"{why}: try again in {wait_words(wait)}."
    page = render_template("web/sign_in_code.html", error=error) if request.endpoint == "account.second_factor" \
        else _page(next=request.form.get("next", ""), name=name, error=error)
    return page, 429, {"Retry-After": str(max(1, math.ceil(wait)))}


def held_back():
    """The limits this request ran into, and the seconds until the last of them lets it through."""
    breached = [limit for limit in limiter.current_limits if limit.breached]
    return breached, max((limit.window.reset_time for limit in breached), default=time.time() + 60) - time.time()


# Only failures count, per account name and per address apart (A10FLOW_SIGN_IN_LIMIT,
# A10FLOW_SIGN_IN_ADDRESS_LIMIT): one person's typos lock their own name, not their office.
# Once an account is over, even the right password waits: that is what stops guessing it. The
# password and the code draw on the same counts: a guesser gains nothing by taking turns.
_by_name = limiter.shared_limit(lambda: current_app.config["A10FLOW_SIGN_IN_LIMIT"], "sign-in-name",
                                methods=["POST"], key_func=_account, deduct_when=_failed)
_by_address = limiter.shared_limit(lambda: current_app.config["A10FLOW_SIGN_IN_ADDRESS_LIMIT"], "sign-in-address",
                                   methods=["POST"], key_func=get_remote_address, deduct_when=_failed)


@bp.route("/sign-in", methods=["GET", "POST"])
@_by_name
@_by_address
def sign_in():
    g.user = None
    if request.method == "GET":
        return _page(next=request.args.get("next", ""))
    user = auth.user_for_password(request.form.get("name", "").strip(), request.form.get("password", ""))
    if user is None or not access.signs_in_with_password(user):
        why = "wrong name or password" if user is None else "a password, where single sign-on is the way in"
        security_events.record(401, why, request.form.get("name", "").strip()[:120])
        error = "That name and password do not match an account." \
            if current_app.config["A10FLOW_PASSWORD_SIGN_IN"] == "on" else "That name and password do not match " \
            f"an administrator's account: sign in with {sso.settings()['button']}."
        return _page(next=request.form.get("next", ""), name=request.form.get("name", ""), error=error), 401
    if not two_factor.is_on(user):
        return _start_session(user, request.form.get("next"))
    # Half signed in: no session opens until the code; the signed cookie only says who owes it.
    session.clear()
    session["half"] = {"user": user.id, "name": request.form.get("name", "").strip()[:120],
                       "at": clock.now().timestamp(), "next": _safe_next(request.form.get("next")) or ""}
    return redirect(url_for("account.second_factor"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@_by_name
@_by_address
def second_factor():
    g.user = None
    user = _half_signed_in()
    if user is None:
        flash("Enter your name and password again: a sign-in waits for its code five minutes at most.")
        return redirect(url_for("account.sign_in"))
    if request.method == "GET":
        return render_template("web/sign_in_code.html")
    try:
        two_factor.check(user, request.form.get("code", ""))
    except Invalid as exc:
        security_events.record(401, "wrong second-factor code", user.name)
        return render_template("web/sign_in_code.html", error=exc.message), 401
    return _start_session(user, session["half"]["next"])


def _page(**shown):
    """The sign-in page: the identity provider's button when there is one, and the password form
    unless single sign-on alone is offered (the break-glass form stays at ?password)."""
    password = current_app.config["A10FLOW_PASSWORD_SIGN_IN"]
    return render_template("web/sign_in.html", sso=sso.settings(), password=password,
                           password_form=password != "off" or "password" in request.args or request.method == "POST",
                           **shown)


def begin_session(user, **kept):
    """This browser is signed in as ``user`` from now on, in a new server-side session."""
    session.clear()
    session["session"] = auth.open_session(user, timedelta(hours=current_app.config["A10FLOW_SESSION_HOURS"]))
    session.update(kept)


def _start_session(user, next_page, **kept):
    """Sign ``user`` in, and on to ``next_page`` (or home; or, first, to enrol a second factor)."""
    begin_session(user, **kept)
    if access.must_enrol(user):
        return redirect(url_for("own_account.two_factor"))
    home = url_for("auditors.mine") if access.only_engagements(user) else url_for("work.inbox")
    return redirect(_safe_next(next_page) or home)


def _sign_on_set_up():
    g.user = None
    if sso.settings() is None:
        raise NotFound("single sign-on is not set up (A10FLOW_OIDC_ISSUER)")


@bp.route("/sign-in/oidc")
def sign_on():
    _sign_on_set_up()
    try:
        answer = sso.begin()
    except ServiceError as exc:
        return _page(next=request.args.get("next", ""), error=exc.message), exc.status
    session["sign_on_next"] = request.args.get("next", "")
    return answer


@bp.route(sso.DONE)
def signed_on():
    """The provider's answer: the person it names is signed in, or nobody, said on the sign-in page."""
    _sign_on_set_up()
    try:
        user = sso.person(sso.finish())
    except ServiceError as exc:
        if exc.status != 503:
            security_events.record(exc.status, f"single sign-on: {exc.message}")
        return _page(next=session.get("sign_on_next", ""), error=exc.message), exc.status
    return _start_session(user, session.get("sign_on_next"), signed_on=True)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    if isinstance(session.get("session"), str):
        auth.close_session(session["session"])   # a copy of the cookie opens nothing any more
    provider = session.get("signed_on") and sso.settings() and sso.end_session_url()
    session.clear()
    return redirect(provider or url_for("account.sign_in"))
