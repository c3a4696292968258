"""Documents that expire (a certificate, a contract): which are in force and expire soon, and the
reminders before they do, at the lead times A10FLOW_DOCUMENT_REMINDER_DAYS (30, 7 and 1 days
before, and on the day), each sent once however many processes sweep.

A document is in force when a completed step named it, it is the latest version of its field in
its case, and the case was not cancelled: a replaced certificate reminds nobody.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from .. import clock
from ..config import address
from ..database import end_read, write
from ..models import Document, DocumentReminder, ExternalLink, HumanTask, Instance, InstanceStatus, Role, User, db
from ..people import access
from . import human_tasks, notifications

log = logging.getLogger(__name__)
PAGE = 50


def today():
    """The day it is, in UTC: expiry dates are days."""
    return clock.now().date()


def in_force():
    """A select of (Document, HumanTask, Instance) for the documents in force that carry an expiry."""
    newer = aliased(Document)
    return (db.select(Document, HumanTask, Instance).join(HumanTask, HumanTask.id == Document.task_id)
            .join(Instance, Instance.id == Document.instance_id)
            .where(Document.attached_at.is_not(None), Document.expires_on.is_not(None),
                   Instance.status != InstanceStatus.CANCELLED,
                   ~db.select(newer.id).where(newer.instance_id == Document.instance_id, newer.field == Document.field,
                                              newer.version > Document.version).exists()))


def soon(user, within=90, after=None, limit=PAGE):
    """The documents in force ``user`` may see that expired or expire within ``within`` days, soonest
    first: ``limit`` rows of (Document, HumanTask, Instance) after the row ``after`` ((expiry, id))."""
    seen = db.select(Instance.id).where(access.visible_instances(user))   # apart: its own tasks' query
    stmt = in_force().where(Document.expires_on <= today() + timedelta(days=within), Document.instance_id.in_(seen))
    if after is not None:
        stmt = stmt.where(db.tuple_(Document.expires_on, Document.id) > db.tuple_(*after))
    return db.session.execute(stmt.order_by(Document.expires_on, Document.id).limit(limit)).all()


def remind():
    """Send the reminders due today; returns how many were sent. A lead time passed while the service
    was down is not sent late, but the nearest one due is: one message, never a burst."""
    day, leads = today(), current_app.config["A10FLOW_DOCUMENT_REMINDER_DAYS"]
    told = db.select(DocumentReminder.document_id).where(DocumentReminder.document_id == Document.id,
                                                         DocumentReminder.days == leads[-1])
    due = db.session.execute(in_force().where(Document.expires_on <= day + timedelta(days=leads[0]),
                                              ~told.exists())).all()
    end_read()
    sent = 0
    for document, task, instance in due:
        try:
            sent += _remind(document, task, instance, day, leads)
        except IntegrityError:   # another process sent this one meanwhile
            pass
        except Exception:   # e.g. the database went away: the next sweep tries again
            log.exception("reminding of document %s failed; will retry", document.id)
    return sent


def _remind(document, task, instance, day, leads):
    left = (document.expires_on - day).days
    with write():
        sent = set(db.session.scalars(db.select(DocumentReminder.days).where(
            DocumentReminder.document_id == document.id)))
        passed = [days for days in leads if left <= days and days not in sent]
        if not passed:
            return 0
        db.session.add_all(DocumentReminder(document_id=document.id, days=days, sent_at=clock.now())
                           for days in passed)
        when = ("expires today" if left == 0 else f"expired on {document.expires_on:%Y-%m-%d}" if left < 0
                else f"expires in {left} day{'s' if left > 1 else ''}, on {document.expires_on:%Y-%m-%d}")
        case = instance.version.name + (f", {instance.business_key}" if instance.business_key else "")
        body = "\n".join([f"{document.name} ({task.name}, {case}) {when}.",
                          f"Ask for the new one: {address(current_app.config, f'/instances/{instance.id}')}"])
        notifications.tell(instance, _keepers(document, instance), f"{document.name} {when}", body,
                           emails=_outside_givers(document))
        db.session.flush()   # two processes at once: the second fails here, on the reminder's key
    return 1


def _keepers(document, instance):
    """Who keeps the case: the owners, who started it, and who gave the document."""
    wanted = (User.role == Role.OWNER) | (User.id == instance.started_by) | (User.name == document.given_by)
    return db.session.scalars(db.select(User).where(wanted, human_tasks.ACTIVE)).all()


def _outside_givers(document):
    """The outside parties who were sent the task the document was given in (a supplier's contact)."""
    return sorted(set(db.session.scalars(db.select(ExternalLink.party).where(ExternalLink.task_id == document.task_id))))
