"""Notifications: one outbox row per recipient, listed in the app, sent by e-mail.

Rows are written in the step's transaction, so a notification exists exactly
when the step that made it does. Delivery runs later, from the scheduler: a
failed send stays pending and is retried with back-off; nothing is dropped.
"""
import logging
import smtplib
import string
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app

from .. import clock
from ..config import address
from ..database import end_read, write
from ..errors import NotFound
from ..limits import MAX_EMAIL_BACKOFF
from ..models import EmailStatus, Notification, User, db
from ..people import access
from . import forms, human_tasks, links

log = logging.getLogger(__name__)


def render(template, data):
    """Fill ``$name`` / ``${name}`` from instance data. No attribute access, so no way out."""
    return string.Template(template).safe_substitute({k: v for k, v in data.items() if isinstance(k, str)})


def _users(names=(), groups=()):
    found = {}
    if names:
        for user in db.session.scalars(db.select(User).where(User.name.in_(list(names)))):
            found[user.id] = user
    if groups:
        wanted = set(groups)
        for user in db.session.scalars(db.select(User)):
            if wanted & set(user.groups or []):
                found[user.id] = user
    return list(found.values())


def people_of(task):
    """Who has a task: its assignee once it has one, else everyone it is offered to."""
    if task.assignee:
        return _users([task.assignee])
    return _users(task.candidate_names("user"), task.candidate_names("group"))


def queue_offer(instance, task, told="New task", skip=None):
    """Tell the people a task is offered or assigned to (in the app, and by e-mail where they have an
    address), with the way to it; not ``skip``, who opened it themselves, nor anyone separation of
    duties keeps from it."""
    lines = [f"{told}: {task.name}", f"{instance.version.name}" + (f", {instance.business_key}"
                                                                  if instance.business_key else "")]
    if task.due_at:
        lines.append(f"Due {task.due_at:%Y-%m-%d %H:%M} UTC.")
    lines.append(f"Open it: {address(current_app.config, f'/tasks/{task.id}')}")
    told_to = [u for u in people_of(task) if (skip is None or u.id != skip.id) and access.kept_apart(task, u) is None]
    _add(instance, task.element_id, task.id, told_to, _subject(f"{told}: {task.name}"), "\n".join(lines))


def settle(task_ids):
    """Tasks that ended need nobody any more: what told people of them stops counting as unread
    (the Notifications page says the task is done), and an e-mail not yet out stays unsent ("New
    task" for work already done is noise)."""
    told = db.and_(Notification.task_id.in_(task_ids), Notification.user_id.is_not(None))
    db.session.execute(db.update(Notification).where(told, Notification.read_at.is_(None)).values(read_at=clock.now()))
    db.session.execute(db.update(Notification).where(told, Notification.email_status == EmailStatus.PENDING).values(
        email_status=EmailStatus.NONE, next_attempt_at=None,
        last_error="not e-mailed: the task had ended before the e-mail could go"))


def _add(instance, element_id, task_id, people, subject, body):
    now = clock.now()
    for user in people:
        db.session.add(Notification(
            user_id=user.id, instance_id=instance.id, element_id=element_id, task_id=task_id,
            subject=subject, body=body, created_at=now,
            email_status=EmailStatus.PENDING if user.email else EmailStatus.NONE,
            next_attempt_at=now if user.email else None))


def recipients(instance_id, params):
    """Who a notify call means: named users and groups, or the people of an element's open
    tasks (each task's assignee once claimed; before that, everyone it is offered to)."""
    if params["to"] == "named":
        return _users(params["users"], params["groups"])
    people = {}
    for task in human_tasks.open_tasks(instance_id, params["task"]):
        found = _users([task.assignee] if task.assignee else []) if params["to"] == "assignee" else people_of(task)
        people.update((u.id, u) for u in found)
    return list(people.values())


def queue(instance, element_id, params, data):
    """Write one notification per recipient; returns the names notified."""
    subject = _subject(render(params["subject"], data) or f"{instance.version.name}: {element_id}")
    people = recipients(instance.id, params)
    tasks = human_tasks.open_tasks(instance.id, params["task"]) if params.get("task") else []
    _add(instance, element_id, tasks[0].id if len(tasks) == 1 else None, people, subject,
         render(params["message"], data))
    return sorted(u.name for u in people)


def tell(instance, people, subject, body, emails=()):
    """Write a message about ``instance`` to ``people`` (users) and to ``emails`` (outside parties)."""
    _add(instance, None, None, people, _subject(subject), body)
    now = clock.now()
    for email in emails:
        db.session.add(Notification(email=email, instance_id=instance.id, subject=_subject(subject), body=body,
                                    created_at=now, email_status=EmailStatus.PENDING, next_attempt_at=now))


def _subject(text):
    # One line (a header cannot hold a line break: instance data may), as long as the column is.
    return " ".join(text.split())[:255]


def queue_link(instance, task, link, token):
    """E-mail an external party the link to their task (in the step's transaction), saying who asks
    (A10FLOW_ORGANISATION, like the address of the service, is the outbox's own setting)."""
    config = current_app.config
    lines = [f"{config['A10FLOW_ORGANISATION']} asks you to complete a task: {task.name}.", ""]
    if task.documentation:
        lines += [task.documentation, ""]
    lines += [f"Open it here: {address(config, f'/x/{token}')}",
              f"The link works until {link.expires_at:%Y-%m-%d %H:%M} UTC, or until you send your answer."]
    if link.contact is not None:
        lines += ["", f"Your contact: {contact(link.contact)}"]
    now = clock.now()
    db.session.add(Notification(email=link.party, instance_id=instance.id, element_id=task.element_id,
                                subject=_subject(f"{instance.version.name}: {task.name}"), body="\n".join(lines),
                                created_at=now, email_status=EmailStatus.PENDING, next_attempt_at=now))


def contact(user):
    """How an outside party is told who asks them: a name, and an address when there is one."""
    return f"{user.name} <{user.email}>" if user.email else user.name


def of(user, unread=None):
    """A select of ``user``'s notifications, newest first (``unread``: only those (not) read yet):
    a person sees their own alone."""
    stmt = db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    return stmt if unread is None else \
        stmt.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))


def unread(user):
    return db.session.scalar(db.select(db.func.count()).select_from(of(user, unread=True).subquery()))


def mark_read(user, notification_id=None):
    """Mark one of ``user``'s notifications read (again is fine), or, with no id, all of them;
    committed. Returns the one. :raises NotFound: not theirs, or no such."""
    with write():
        if notification_id is None:
            db.session.execute(db.update(Notification).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=clock.now()))
            return None
        if (row := db.session.scalar(of(user).where(Notification.id == notification_id))) is None:
            raise NotFound(f"notification {notification_id} not found")
        row.read_at = row.read_at or clock.now()
    return row


def deliver(smtp, limit=100):
    """Send pending e-mails that are due; returns (sent, failed). ``smtp``: dict of settings."""
    sent = failed = 0
    ids = db.session.scalars(db.select(Notification.id).where(
        Notification.email_status == EmailStatus.PENDING, Notification.next_attempt_at <= clock.now())
        .order_by(Notification.next_attempt_at).limit(limit)).all()
    end_read()
    for notification_id in ids:
        with write():   # one row, one transaction; another process sending the same row is skipped
            row = db.session.scalar(db.select(Notification).where(
                Notification.id == notification_id, Notification.email_status == EmailStatus.PENDING)
                .with_for_update(skip_locked=True))
            if row is None:
                continue
            now = clock.now()
            row.attempts += 1
            try:
                _send(smtp, row)
                row.email_status, row.sent_at, row.last_error = EmailStatus.SENT, now, None
                # A link's token may sit in the outbox only until the e-mail carrying it is out.
                row.body = links.TOKEN_IN_TEXT.sub(r"\1[sent by e-mail]", row.body)
                sent += 1
            except _Undeliverable as exc:   # trying again cannot help: kept, marked, never blocking the rest
                row.email_status, row.next_attempt_at, row.last_error = EmailStatus.FAILED, None, str(exc)
                failed += 1
                log.warning("e-mail %s cannot be sent: %s", row.id, exc)
            except Exception as exc:   # the server, the network, a refusal: backed off, this row alone
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                row.next_attempt_at = now + min(timedelta(minutes=2 ** row.attempts), MAX_EMAIL_BACKOFF)
                failed += 1
                log.warning("e-mail %s failed (attempt %s): %s", row.id, row.attempts, exc)
    return sent, failed


class _Undeliverable(Exception):
    """The e-mail itself is at fault (no real address), not the way to send it."""


def _address(row):
    return row.email or row.user.email


def _send(smtp, row):
    try:
        to = forms.email_address(_address(row))
    except ValueError as exc:
        raise _Undeliverable(f"{_address(row)!r} is not an e-mail address: {exc}") from None
    message = EmailMessage()
    message["From"] = smtp["from"]
    message["To"] = to
    message["Subject"] = row.subject
    message.set_content(row.body)
    with smtplib.SMTP(smtp["host"], smtp["port"], timeout=smtp.get("timeout", 30)) as client:
        if smtp.get("starttls"):
            client.starttls()
        if smtp.get("user"):
            client.login(smtp["user"], smtp["password"])
        client.send_message(message)
