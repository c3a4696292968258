"""Sign in and out. The session cookie holds the user id, signed with the secret key."""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address

from .. import auth, security
from ..models import Role
from . import blueprint, limiter

bp = blueprint("account")


def _safe_next(target):
    # Only paths on this site: a sign-in link must not send people elsewhere.
    parts = urlsplit(target or "")
    return target if target and not parts.scheme and not parts.netloc and target.startswith("/") else None


def _sign_in_limit():
    return current_app.config["A10FLOW_SIGN_IN_LIMIT"]


def _failed(response):
    return response.status_code == 401


@bp.route("/sign-in", methods=["GET", "POST"])
# Failed attempts are limited per address and per account name (so spreading guesses over
# addresses does not help); once over, even the right password waits.
@limiter.limit(_sign_in_limit, methods=["POST"], key_func=get_remote_address, deduct_when=_failed)
@limiter.limit(_sign_in_limit, methods=["POST"], key_func=lambda: "name:" + request.form.get("name", "").strip(),
               deduct_when=_failed)
def sign_in():
    g.user = None
    if request.method == "GET":
        return render_template("web/sign_in.html", next=request.args.get("next", ""))
    user = auth.user_for_password(request.form.get("name", "").strip(), request.form.get("password", ""))
    if user is None:
        security.record(401, "wrong name or password", request.form.get("name", "").strip()[:120])
        return render_template("web/sign_in.html", next=request.form.get("next", ""),
                               name=request.form.get("name", ""),
                               error="That name and password do not match an account."), 401
    session.clear()
    session["session"] = auth.open_session(user, timedelta(hours=current_app.config["A10FLOW_SESSION_HOURS"]))
    home = url_for("auditors.mine") if user.role == Role.EXTERNAL_AUDITOR else url_for("work.inbox")
    return redirect(_safe_next(request.form.get("next")) or home)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    if isinstance(session.get("session"), str):
        auth.close_session(session["session"])   # a copy of the cookie opens nothing any more
    session.clear()
    return redirect(url_for("account.sign_in"))
