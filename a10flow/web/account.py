"""Sign in and out. The session cookie holds the user id, signed with the secret key."""
import math
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..people import access, auth, security_events
from . import blueprint, limiter

bp = blueprint("account")


def _safe_next(target):
    # Only paths on this site: a sign-in link must not send people elsewhere.
    parts = urlsplit(target or "")
    return target if target and not parts.scheme and not parts.netloc and target.startswith("/") else None


def _account():
    # The name as typed, folded and cut to a name's longest: "Alice" counts with "alice", and a
    # megabyte of name is not a megabyte of key.
    return "name:" + request.form.get("name", "").strip().casefold()[:120]


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
    breached = [limit for limit in limiter.current_limits if limit.breached]
    wait = max((limit.window.reset_time for limit in breached), default=time.time() + 60) - time.time()
    by_account = any(_account() in limit.request_args for limit in breached)
    name = request.form.get("name", "").strip()
    security_events.record(429, "too many failed sign-ins " + ("for this name" if by_account else "from this address"),
                    name[:120])
    why = ("Too many attempts with this name" if by_account
           else "Too many attempts from your network (everyone signing in from this address)")
    page = render_template("web/sign_in.html", next=request.form.get("next", ""), name=name,
                           error=f"{why}: try again in {wait_words(wait)}.")
    return page, 429, {"Retry-After": str(max(1, math.ceil(wait)))}


@bp.route("/sign-in", methods=["GET", "POST"])
# Only failures count, per account name and per address apart (A10FLOW_SIGN_IN_LIMIT,
# A10FLOW_SIGN_IN_ADDRESS_LIMIT): one person's typos lock their own name, not their office.
# Once an account is over, even the right password waits: that is what stops guessing it.
@limiter.limit(lambda: current_app.config["A10FLOW_SIGN_IN_LIMIT"], methods=["POST"], key_func=_account,
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["A10FLOW_SIGN_IN_ADDRESS_LIMIT"], methods=["POST"],
               key_func=get_remote_address, deduct_when=_failed)
def sign_in():
    g.user = None
    if request.method == "GET":
        return render_template("web/sign_in.html", next=request.args.get("next", ""))
    user = auth.user_for_password(request.form.get("name", "").strip(), request.form.get("password", ""))
    if user is None:
        security_events.record(401, "wrong name or password", request.form.get("name", "").strip()[:120])
        return render_template("web/sign_in.html", next=request.form.get("next", ""),
                               name=request.form.get("name", ""),
                               error="That name and password do not match an account."), 401
    session.clear()
    session["session"] = auth.open_session(user, timedelta(hours=current_app.config["A10FLOW_SESSION_HOURS"]))
    home = url_for("auditors.mine") if access.only_engagements(user) else url_for("work.inbox")
    return redirect(_safe_next(request.form.get("next")) or home)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    if isinstance(session.get("session"), str):
        auth.close_session(session["session"])   # a copy of the cookie opens nothing any more
    session.clear()
    return redirect(url_for("account.sign_in"))
