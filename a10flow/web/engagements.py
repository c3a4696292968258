"""Auditor engagements on the web: owners and admins grant, watch and revoke them; the external
auditor reads what one covers (coverage, packs per control) by their account or by its link,
and each page they open and pack they download goes into its access log."""
import io
from contextlib import contextmanager
from datetime import date

from flask import current_app, flash, g, redirect, render_template, request, send_file, url_for

from ..config import address
from ..errors import Invalid, ServiceError
from ..evidence import checkpoints, engagements, packs
from ..evidence.scope import known_controls
from ..models import Role, User, db
from ..people import access
from . import blueprint

bp = blueprint("auditors")   # not "engagements": the API's blueprint has that name


LABELS = {"from": "Period from", "to": "Period to", "expires": "Access ends on"}   # as the form shows them


def _day(name):
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"{LABELS[name]} must be a date such as 2026-01-31",
                      [{"field": name, "message": "not a date such as 2026-01-31"}])


def _listing(form, problems=None, error=None, status=200):
    """The owners' page: every engagement, and the form to grant one (as filled, with its problems)."""
    accounts = db.session.scalars(db.select(User).where(User.role == Role.EXTERNAL_AUDITOR).order_by(User.name))
    return render_template("web/engagements.html", engagements=engagements.every(), state=access.engagement_state,
                           controls=known_controls(), accounts=accounts.all(), form=form, problems=problems or {},
                           error=error), status


@bp.route("/audit/engagements")
@access.require(access.OWNERS)
def listed():
    return _listing(request.form)


@bp.route("/audit/engagements", methods=["POST"])
@access.require(access.OWNERS)
def grant():
    try:
        granted, token = engagements.grant(
            g.user, request.form.get("auditor"), request.form.getlist("controls"), _day("from"), _day("to"),
            _day("expires"), request.form.get("account") or None)
    except Invalid as exc:
        return _listing(request.form, {d["field"]: d["message"] for d in exc.details}, exc.message, 422)
    if token:   # shown this once: only its hash is kept
        flash("Send this link to the auditor; it is shown only now: "
              f"{address(current_app.config, url_for('auditors.by_link', token=token))}")
    return redirect(url_for("auditors.detail", engagement_id=granted.id))


@bp.route("/audit/engagements/<int:engagement_id>")
@access.require(access.OWNERS)
def detail(engagement_id):
    engagement = engagements.get(engagement_id)
    return render_template("web/engagement.html", engagement=engagement, state=access.engagement_state(engagement))


@bp.route("/audit/engagements/<int:engagement_id>/revoke", methods=["POST"])
@access.require(access.OWNERS)
def revoke(engagement_id):
    engagements.revoke(engagements.get(engagement_id), g.user)
    flash("The engagement is revoked: its link and its account open nothing from now on.")
    return redirect(url_for("auditors.detail", engagement_id=engagement_id))


# The auditor's side. Their pages show the engagement only: nothing links elsewhere in the service.

@bp.route("/engagements")
@access.require(access.AUDITED)
def mine():
    return render_template("web/engagements_mine.html", engagements=access.engagements_of(g.user))


@bp.route("/engagements/<int:engagement_id>")
@access.require(access.AUDITED)
def by_account(engagement_id):
    return _view(access.engagements_of(g.user, engagement_id), g.user.name,
                 url_for("auditors.pack_by_account", engagement_id=engagement_id))


@bp.route("/engagements/<int:engagement_id>/pack")
@access.require(access.AUDITED)
def pack_by_account(engagement_id):
    return _pack(access.engagements_of(g.user, engagement_id), g.user.name)


@bp.route("/e/<token>")
def by_link(token):
    g.user = None
    return _view(engagements.by_link(token), engagements.LINK, url_for("auditors.pack_by_link", token=token))


@bp.route("/e/<token>/pack")
def pack_by_link(token):
    g.user = None
    return _pack(engagements.by_link(token), engagements.LINK)


@contextmanager
def _logged(engagement, who, asked):
    """Keep in the engagement's access log what the auditor ``asked`` for: what they got (the
    body says it in ``outcome["got"]``), or that it was refused, and why."""
    outcome = {"got": asked}
    try:
        yield outcome
    except ServiceError as exc:
        engagements.log(engagement, who, f"was refused {asked}: {exc.message}", request.remote_addr)
        raise
    engagements.log(engagement, who, outcome["got"], request.remote_addr)


def _view(engagement, who, pack_url):
    with _logged(engagement, who, "the engagement's page") as outcome:
        access.open_engagement(engagement)
        outcome["got"] = "opened the engagement"
    rows = {row["control"]: row for row in engagements.covered(engagement)}
    return render_template("web/engagement_view.html", engagement=engagement, pack_url=pack_url,
                           coverage=[rows.get(c) or {"control": c} for c in engagement.controls],
                           key_id=checkpoints.key_id(current_app.config["A10FLOW_SIGNING_KEY"]),
                           origin=checkpoints.origin(),
                           verifier_sha256=packs.verifier_sha256())


def _pack(engagement, who):
    asked = request.args.get("control", "")
    with _logged(engagement, who, f"the evidence pack for {asked[:60]!r}") as outcome:
        access.open_engagement(engagement)
        if set(request.args) - {"control"}:   # the period is the engagement's: a wider one is not given
            raise Invalid("an engagement's pack covers the engagement's period; ask only for its control",
                          [{"field": sorted(set(request.args) - {"control"})[0], "message": "not asked here"}])
        scope = engagements.scope(engagement, asked)
        data = packs.export(scope, current_app.config["A10FLOW_SIGNING_KEY"], within=engagement.controls)
        name = packs.filename(scope)
        outcome["got"] = f"downloaded the evidence pack {name}"
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)
