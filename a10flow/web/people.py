"""The admin's pages: people (add, change, disable, reset a password, issue a token), groups (who
is in them, who leads them, what uses them), every API token, and the security events. Admins
change; owners read."""
from datetime import datetime, timedelta, timezone

from flask import flash, g, redirect, render_template, request, url_for

from .. import clock
from ..errors import Invalid, ServiceError
from ..evidence import access as access_record
from ..models import Role, User, db
from ..people import access, directory, security_events, two_factor
from ..work import human_tasks
from . import blueprint
from .audit import scope_of

bp = blueprint("people")
PAGE = 50   # rows per page of a list


def _problems(exc):
    return {d.get("field"): d["message"] for d in exc.details}


@bp.route("/admin")
@access.require(access.OWNERS)
def admin():
    return redirect(url_for("people.users"))


@bp.route("/admin/users")
@access.require(access.OWNERS)
def users(form=None, problems=None, error=None, status=200):
    """Everyone, by name, a page at a time (``after``: the last name of the page before)."""
    text = request.args.get("q", "").strip()[:120]
    found = directory.people(text, request.args.get("after", "")[:120], PAGE + 1)
    return render_template("web/people.html", people=found[:PAGE], more=len(found) > PAGE, q=text, roles=list(Role),
                           form=form or {}, problems=problems or {}, error=error), status


@bp.route("/admin/users", methods=["POST"])
@access.require(access.ADMINS)
def add():
    form = request.form
    try:
        person = directory.create_user(g.user, form.get("name"), form.get("role") or Role.STAFF,
                                       _listed(form.get("groups")), form.get("email") or None,
                                       form.get("password") or None)
    except ServiceError as exc:
        return users(form, _problems(exc), exc.message, exc.status)
    flash(f"{person.name} was added.")
    return redirect(url_for("people.person", user_id=person.id))


def _listed(text):
    return [part for part in (text or "").split(",") if part.strip()]


@bp.route("/admin/users/<int:user_id>")
@access.require(access.OWNERS)
def person(user_id, problems=None, error=None, status=200):
    who = directory.find(user_id)
    return render_template("web/person.html", person=who, roles=list(Role), tokens=directory.tokens(who),
                           now=clock.now(), two_factor_on=two_factor.is_on(who), offered=human_tasks.offered_by_name(who.name),
                           history=access_record.history(who.id), problems=problems or {}, error=error,
                           form=request.form if request.method == "POST" else {}), status


def _change(user_id, change, done):
    """Do ``change`` to the person, then show their page saying ``done`` (``{name}``: theirs,
    ``{result}``: what the change gave); or show it again with what was refused, nothing changed."""
    who = directory.find(user_id)
    try:
        result = change(who)
    except ServiceError as exc:
        return person(user_id, _problems(exc), exc.message, exc.status)
    flash(done.format(name=who.name, result=result))
    return redirect(url_for("people.person", user_id=user_id))


@bp.route("/admin/users/<int:user_id>", methods=["POST"])
@access.require(access.ADMINS)
def change(user_id):
    form = request.form
    return _change(user_id, lambda who: directory.change_user(
        g.user, who, name=form.get("name"), email=form.get("email") or None, role=form.get("role"),
        groups=_listed(form.get("groups"))), "{name} was saved.")


@bp.route("/admin/users/<int:user_id>/disable", methods=["POST"])
@access.require(access.ADMINS)
def disable(user_id):
    return _change(user_id, lambda who: directory.disable_user(g.user, who),
                   "{name} is disabled: signed out everywhere, their tokens revoked, their tasks handed back.")


@bp.route("/admin/users/<int:user_id>/enable", methods=["POST"])
@access.require(access.ADMINS)
def enable(user_id):
    return _change(user_id, lambda who: directory.enable_user(g.user, who),
                   "{name} may sign in again, with a new password or token.")


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@access.require(access.ADMINS)
def password(user_id):
    return _change(user_id, lambda who: directory.set_password(g.user, who, request.form.get("password", "")),
                   "{name}'s password is set; they are signed out everywhere.")


@bp.route("/admin/users/<int:user_id>/two-factor/off", methods=["POST"])
@access.require(access.ADMINS)
def two_factor_off(user_id):
    return _change(user_id, lambda who: two_factor.reset(g.user, who),
                   "{name}'s two-factor sign-in is off; they sign in with their password alone, or enrol again.")


@bp.route("/admin/users/<int:user_id>/tokens", methods=["POST"])
@access.require(access.ADMINS)
def issue(user_id):
    return _change(user_id, lambda who: directory.issue_token(g.user, who, token_expiry()),
                   "A token for {name}; copy it now, it is shown only this once: {result.token}")


def token_expiry():
    """The end of the day the form asks a token to expire on. :raises Invalid: naming the field."""
    try:
        return datetime.fromisoformat(request.form.get("expires", "").strip()).replace(tzinfo=timezone.utc) + \
            timedelta(days=1)
    except (ValueError, OverflowError):   # 9999-12-31 has no day after it
        raise Invalid("Expires on: give a date such as 2027-01-31, within a year",
                      [{"field": "expires_at", "message": "a date such as 2027-01-31, within a year"}]) from None


@bp.route("/admin/groups")
@access.require(access.OWNERS)
def groups(problems=None, error=None, status=200):
    return render_template("web/groups.html", groups=directory.groups(), people=directory.people(active=True),
                           problems=problems or {},
                           error=error), status


@bp.route("/admin/groups", methods=["POST"])
@access.require(access.ADMINS)
def membership():
    form, joining = request.form, request.form.get("action") != "remove"
    try:
        who = db.session.scalar(db.select(User).where(User.name == form.get("user", "")))
        if who is None:
            raise Invalid("Person: nobody has that name", [{"field": "user", "message": "no such person"}])
        directory.set_member(g.user, who, form.get("group"), joining)
    except ServiceError as exc:
        return groups(_problems(exc), exc.message, exc.status)
    flash(f"{who.name} {'joined' if joining else 'left'} {form.get('group', '').strip()}.")
    return redirect(url_for("people.groups"))


@bp.route("/admin/tokens")
@access.require(access.OWNERS)
def tokens():
    found = directory.tokens(before=request.args.get("before", type=int), limit=PAGE + 1)
    return render_template("web/tokens.html", tokens=found[:PAGE], more=len(found) > PAGE, now=clock.now())


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["POST"])
@access.require(access.ADMINS)
def revoke(token_id):
    row = directory.revoke_token(g.user, token_id)
    flash(f"Token {row.id} of {row.user.name} is revoked: it opens nothing from now on.")
    if request.form.get("back") == "person":
        return redirect(url_for("people.person", user_id=row.user_id))
    return redirect(url_for("people.tokens"))


@bp.route("/admin/security-events")
@access.require(access.OWNERS)
def events():
    args = request.args
    period = scope_of({name: args.get(name, "") for name in ("from", "to")})   # a period ends after it starts
    found = security_events.events(period.start, period.end, args.get("who", "").strip()[:120] or None,
                                   args.get("what", "").strip()[:500] or None, args.get("before", type=int),
                                   PAGE + 1)
    older = args.to_dict() | {"before": found[PAGE - 1].id} if len(found) > PAGE else None
    return render_template("web/security_events.html", events=found[:PAGE], older=older, args=args)
