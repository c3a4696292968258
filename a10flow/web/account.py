"""Sign in and out. The session cookie holds the user id, signed with the secret key."""
from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, session, url_for

from .. import auth
from . import blueprint

bp = blueprint("account")


def _safe_next(target):
    # Only paths on this site: a sign-in link must not send people elsewhere.
    parts = urlsplit(target or "")
    return target if target and not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    g.user = None
    if request.method == "GET":
        return render_template("web/sign_in.html", next=request.args.get("next", ""))
    user = auth.user_for_password(request.form.get("name", "").strip(), request.form.get("password", ""))
    if user is None:
        return render_template("web/sign_in.html", next=request.form.get("next", ""),
                               name=request.form.get("name", ""),
                               error="That name and password do not match an account."), 401
    session.clear()
    session["user_id"] = user.id
    return redirect(_safe_next(request.form.get("next")) or url_for("work.inbox"))


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    session.clear()
    return redirect(url_for("account.sign_in"))
