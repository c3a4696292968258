"""Each person's own account, for every role: their password, the browsers signed in as them,
their API tokens, and two-factor sign-in."""
import math

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded

from .. import clock
from ..errors import Invalid
from ..people import access, auth, directory, own_account, security_events, two_factor
from . import blueprint, limiter
from .account import begin_session, held_back, wait_words
from .people import token_expiry

bp = blueprint("own_account")


def _page(problems=None, error=None, status=200, **shown):
    """The account page (with a refused form's problems, or what is shown only once)."""
    this = auth.hash_token(session["session"])
    return render_template("web/account.html", sessions=own_account.sessions(g.user), this=this,
                           tokens=directory.tokens(g.user), two_factor=two_factor, problems=problems or {},
                           error=error, now=clock.now(), today=clock.now().date(), **shown), status


def _refused(exc):
    g.refused_field = exc.details[0].get("field") if exc.details else None
    return _page({d["field"]: d["message"] for d in exc.details}, exc.message, 422)


@bp.route("/account")
def page():
    return _page()


def _this_browser():
    return "session:" + str(session.get("session"))


GUESSED = ("current_password", "password", "code")   # a wrong one of these is a guess; a bad new password is not


def _wrong(response):
    return response.status_code == 422 and g.get("refused_field") in GUESSED


# Someone at an unlocked browser may guess the current password here, or at turning two-factor off:
# the sign-in's limit holds for the wrong guesses of one browser too.
guesses = limiter.shared_limit(lambda: current_app.config["A10FLOW_SIGN_IN_LIMIT"], "own-password",
                               key_func=_this_browser, deduct_when=_wrong)


@bp.errorhandler(RateLimitExceeded)
def _too_many(exc):
    wait = held_back()[1]
    security_events.record(429, "too many wrong passwords or codes at the account page")
    page, _ = _page(error=f"Too many wrong passwords or codes from this browser: try again in {wait_words(wait)}.")
    return page, 429, {"Retry-After": str(max(1, math.ceil(wait)))}


@bp.route("/account/password", methods=["POST"])
@guesses
def password():
    try:
        own_account.change_password(g.user, request.form.get("current_password", ""),
                                    request.form.get("new_password", ""))
    except Invalid as exc:
        return _refused(exc)
    begin_session(g.user)   # the new password signed every browser out, this one too
    flash("Your password is changed. Every other browser signed in as you is signed out.")
    return redirect(url_for("own_account.page"))


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
def end_session(session_id):
    own_account.end_session(g.user, session_id)
    flash("That browser is signed out.")
    return redirect(url_for("own_account.page"))


@bp.route("/account/tokens", methods=["POST"])
@access.require(access.MEMBERS)   # an external auditor's token would open nothing: the API refuses her
def issue_token():
    try:
        token = directory.issue_token(g.user, g.user, token_expiry()).token
    except Invalid as exc:
        return _refused(exc)
    return _page(new_token=token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id):
    directory.revoke_token(g.user, token_id)
    flash("The token is revoked: it opens nothing from now on.")
    return redirect(url_for("own_account.page"))


@bp.route("/account/two-factor", endpoint="two_factor")
def enrol():
    secret, uri, qr = two_factor.enrolment(g.user)
    return render_template("web/two_factor.html", secret=secret, uri=uri, qr=qr)


@bp.route("/account/two-factor", methods=["POST"])
def confirm_two_factor():
    try:
        codes = two_factor.confirm(g.user, request.form.get("code", ""))
    except Invalid as exc:
        secret, uri, qr = two_factor.enrolment(g.user)
        return render_template("web/two_factor.html", secret=secret, uri=uri, qr=qr, error=exc.message), 422
    return render_template("web/two_factor.html", codes=codes)


@bp.route("/account/two-factor/off", methods=["POST"])
@guesses
def two_factor_off():
    try:
        two_factor.turn_off(g.user, request.form.get("password", ""), request.form.get("code", ""))
    except Invalid as exc:
        return _refused(exc)
    flash("Two-factor sign-in is off: your password alone signs you in.")
    return redirect(url_for("own_account.page"))
