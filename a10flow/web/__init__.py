"""The web UI: pages for people, on the same rules and the same step functions as the API.

Signed-in pages use a session cookie and CSRF-protected forms; the pages an external
party reaches by link need no sign-in. No page runs inline script.
"""
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..errors import Forbidden, ServiceError
from ..evidence import access as access_log
from ..people import access, auth, security_events, sso
from ..work import notifications
from ..work.links import state as link_state

csrf = CSRFProtect()
limiter = Limiter(get_remote_address, default_limits=[])   # only what a route asks for is limited


def current_user():
    """The signed-in user: the session cookie names a server-side session that has not ended."""
    token = session.get("session")
    return auth.user_for_session(token) if isinstance(token, str) else None


TYPED_INTO = ("work.task", "start.start")   # the pages whose forms people fill in at length


def _signed_in():
    """Before every page but the public ones (access.PUBLIC): sets ``g.user``; a visitor without a
    session goes to the sign-in page."""
    if access.public(request.endpoint):
        return None
    g.user = current_user()
    if g.user is None and request.endpoint in TYPED_INTO and typed_back():   # signed out meanwhile: show
        # back what they typed, rather than lose it on the way to the sign-in page
        return error_page(401, "You are signed out", "Nothing was done. Sign in again, then do it once more: "
                                                      "what you typed is below")
    if g.user is None:
        return redirect(url_for("account.sign_in", next=request.full_path.rstrip("?")))
    if access.must_enrol(g.user) and request.endpoint not in access.WHILE_ENROLLING:
        # Their role signs in with a second factor: until they have one, they may only enrol.
        if request.method != "GET":
            raise Forbidden("turn on two-factor sign-in first: your role signs in with a second factor")
        return redirect(url_for("own_account.two_factor"))
    if access.only_engagements(g.user) and request.blueprint not in ("auditors", "account", "own_account"):
        # An external auditor reads what an engagement grants and nothing else: any other page
        # takes them back to their engagements.
        if request.method != "GET":
            raise Forbidden("an external auditor's account reads only its engagements")
        return redirect(url_for("auditors.mine"))
    return None


def _unread():
    user = getattr(g, "user", None)
    return {} if user is None else {"unread": notifications.unread(user)}


def when(moment):
    """A time as people read it on every page: to the minute, with its zone."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def typed_back():
    """What a refused form carried, as ``(name, value)`` to show back, so that nothing typed is lost
    (never a password or a token)."""
    if request.method != "POST":
        return []
    return [(name.replace("/", " › ").replace("_", " "), value) for name, value in request.form.items(multi=True)
            if not any(secret in name.lower() for secret in ("password", "token", "csrf"))
            and name != "action" and not name.endswith("/_row") and value.strip()]


def error_page(status, title, message):
    if "user" not in g:   # an address no page has: still say who is signed in, and offer the way back
        g.user = current_user()
    return render_template("web/error.html", title=title, message=message, typed=typed_back()), status


def _http_error(exc):
    if isinstance(exc, CSRFError):
        security_events.record(400, f"form without a valid CSRF token: {exc.description}")
        below = ": what you typed is below" if typed_back() else ""
        return error_page(400, "This form has expired", "Nothing was done: you were signed out, or the page is old. "
                          f"Open the page again and send it once more{below}")
    return error_page(exc.code or 500, exc.name, exc.description)


def _service_error(exc):
    if exc.status in (401, 403):
        security_events.record(exc.status, exc.message)
    return error_page(exc.status, "That did not work", exc.message)


def _unexpected(exc):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    current_app.logger.exception("unhandled error")
    return error_page(500, "Something went wrong", "The service failed; the error was logged. Try again later")


def blueprint(name, check_csrf=True):
    """A blueprint of pages: errors shown as pages, (unless told otherwise) CSRF checked, and then
    who is signed in."""
    bp = Blueprint(name, __name__)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(ServiceError, _service_error)
    if check_csrf:
        bp.before_request(csrf.protect)
    bp.before_request(_signed_in)
    return bp


# No inline script anywhere; inline styles only because the diagram libraries draw with them.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
          "frame-ancestors 'none'")


def _security_headers(response):
    if request.endpoint != "static":   # pages and API answers hold people's data, and tokens: never cached
        response.headers.setdefault("Cache-Control", "no-store")
    provider = sso.origin()   # signing out may lead on to the identity provider, to end its session too
    response.headers.setdefault("Content-Security-Policy",
                                POLICY.replace("form-action 'self'", f"form-action 'self' {provider}") if provider
                                else POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")   # link tokens never leak in a Referer
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app):
    """The pages on ``app``; returns their error answers (pages) by exception class, for create_app
    to give every request outside /api/ (an unknown address among them)."""
    from . import account, audit, documents, engagements, links, own_account, people, processes, start, work
    csrf.init_app(app)
    sso.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["A10FLOW_RATE_LIMIT_STORAGE"])
    # A moving window: the wait said is exact (until the oldest counted failure ages out), and every
    # limit is checked, so the wait said is the longest of those breached.
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_FAIL_ON_FIRST_BREACH", False)
    limiter.init_app(app)
    for bp in (account.bp, own_account.bp, work.bp, start.bp, links.bp, processes.bp, audit.bp, engagements.bp,
               people.bp, links.holder, documents.bp):
        app.register_blueprint(bp)
    app.context_processor(_unread)
    app.add_template_filter(when)
    app.add_template_filter(access_log.words, "action_words")
    app.add_template_global(link_state, "link_state")
    app.add_template_global(access.may_open)   # pages offer what people may do, and only that
    app.add_template_global(lambda task_id: access.may_see_task(task_id, getattr(g, "user", None)), "may_see_task")
    app.add_template_global(access, "access")
    app.after_request(_security_headers)
    app.config["SESSION_COOKIE_SECURE"] = app.config["A10FLOW_BASE_URL"].startswith("https://")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    return {ServiceError: _service_error, HTTPException: _http_error, Exception: _unexpected}
