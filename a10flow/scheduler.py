"""The scheduler keeps time and sweeps due timers; the step fires them. It also
signs evidence checkpoints every A10FLOW_CHECKPOINT_MINUTES, and sweeps the documents that will
never be evidence every A10FLOW_DOCUMENT_SWEEP_HOURS (a10flow.work.document_sweep).

Due timers are found by an indexed query on the timers table, never by
loading instances. Each instance is fired in its own transaction and error
boundary. Any number of processes (``serve`` and ``worker``) may sweep at
once: the step locks the instance row and re-checks under the lock, so each
due timer fires once.
"""
import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import func

from . import clock, database, step
from .database import end_read
from .errors import Conflict, StepFailed
from .evidence import checkpoints
from .models import StartTimer, Timer, db
from .processes import incidents
from .work import document_sweep, expiring, notifications

log = logging.getLogger(__name__)
JOB_ID = "a10flow-timers"
CHECKPOINT_JOB_ID = "a10flow-checkpoints"
EXPIRY_JOB_ID = "a10flow-expiring-documents"
DOCUMENT_SWEEP_JOB_ID = "a10flow-document-sweep"


def due_instances(now, limit):
    """Ids of running (or failed) instances with a timer due at ``now``, most overdue first."""
    stmt = step.due_timers(now).group_by(Timer.instance_id).order_by(func.min(Timer.due_at)).limit(limit)
    ids = db.session.scalars(stmt).all()
    end_read()   # each fire is its own transaction
    return ids


def next_due():
    """When the next timer of a running instance (or service task retry) falls due, or None."""
    waiting = db.session.scalar(step.due_timers(what=func.min(Timer.due_at)))
    starting = db.session.scalar(db.select(func.min(StartTimer.due_at)))
    return min((t for t in (waiting, starting, incidents.next_due()) if t is not None), default=None)


def due_start_timers(now, limit):
    """Ids of timer start events due at ``now``, most overdue first."""
    ids = db.session.scalars(db.select(StartTimer.id).where(StartTimer.due_at < now)
                             .order_by(StartTimer.due_at).limit(limit)).all()
    end_read()
    return ids


def sweep(limit=200):
    """Fire every timer due now and retry the service tasks due again; returns how many timers
    fired. Failures become incidents."""
    fired = 0
    for incident_id in incidents.due(clock.now(), limit):
        try:
            step.retry_incident(incident_id, step.TIMER_ACTOR, scheduled=True)
        except StepFailed as exc:   # counted on the incident, which says when (or whether) it is tried again
            log.warning("incident %s failed again: %s", incident_id, exc.message)
        except Conflict:
            pass   # resolved meanwhile by a person
        except Exception as exc:
            _unless_down(exc, "retrying incident %s failed; will retry", incident_id)
    for start_timer_id in due_start_timers(clock.now(), limit):
        try:
            fired += step.fire_start_timer(start_timer_id) is not None
        except Exception as exc:
            _unless_down(exc, "timer start %s failed; will retry", start_timer_id)
    while True:
        ids = due_instances(clock.now(), limit)
        progress = 0
        for instance_id in ids:
            try:
                progress += step.fire_timers(instance_id)
            except StepFailed as exc:  # kept on the instance as a failure; not retried here
                log.warning("instance %s failed while firing a timer: %s", instance_id, exc.message)
            except Exception as exc:  # nothing was kept, the timer fires later
                _unless_down(exc, "firing the timers of instance %s failed; will retry", instance_id)
        fired += progress
        if len(ids) < limit or not progress:
            return fired


def _unless_down(exc, message, *args):
    """Log one item's failure; an outage stops the sweep instead (nothing more can be done now)."""
    if database.outage(exc) is not None:
        raise exc
    log.exception(message, *args)


class Scheduler:
    """APScheduler running the sweep: when the next timer is due, and every ``poll`` seconds."""

    def __init__(self, app, blocking=False):
        self.app, self.down = app, False   # down: an outage was logged, and has not ended yet
        self.poll = app.config["A10FLOW_TIMER_POLL_SECONDS"]
        cls = BlockingScheduler if blocking else BackgroundScheduler
        self.aps = cls(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        self.aps.add_job(self.tick, "interval", seconds=self.poll, id=JOB_ID, next_run_time=clock.now())
        self.aps.add_job(self.checkpoint, "interval", minutes=app.config["A10FLOW_CHECKPOINT_MINUTES"],
                         id=CHECKPOINT_JOB_ID)
        # Reminders go by the day: a sweep each quarter hour sends them early in the day they fall due.
        self.aps.add_job(self.remind, "interval", minutes=15, id=EXPIRY_JOB_ID, next_run_time=clock.now())
        self.aps.add_job(self.sweep_documents, "interval", hours=app.config["A10FLOW_DOCUMENT_SWEEP_HOURS"],
                         id=DOCUMENT_SWEEP_JOB_ID)

    def tick(self):
        """Fire what is due, send the e-mail waiting, and wake for the next timer if it comes before
        the next poll (timers made by other processes are seen at the latest one poll later)."""
        def work():
            sweep()
            if self.app.config["A10FLOW_SMTP"]["host"]:
                notifications.deliver(self.app.config["A10FLOW_SMTP"])
            return next_due()
        upcoming = self._run("firing timers", work)
        if upcoming is not None and upcoming < clock.now() + timedelta(seconds=self.poll):
            self.aps.modify_job(JOB_ID, next_run_time=max(upcoming, clock.now()))

    def checkpoint(self):
        """Sign the chains that grew (any number of processes may try; one signs each checkpoint)."""
        self._run("making an evidence checkpoint", lambda: checkpoints.make(self.app.config["A10FLOW_SIGNING_KEY"]))

    def remind(self):
        """Remind of the documents that expire (a10flow.work.expiring: each reminder once)."""
        self._run("reminding of expiring documents", expiring.remind)

    def sweep_documents(self):
        """Delete the documents and stored files that will never be evidence (any number of processes may
        sweep at once: each deletion finds what it deletes, or nothing)."""
        swept = self._run("sweeping the document store", document_sweep.sweep)
        if swept and any(swept.values()):
            log.info("swept %(documents)s document(s) never named, %(files)s file(s) named by none", swept)

    def _run(self, what, work):
        """``work()`` in the app, its result, or None when it failed: the next run does what this one
        missed. An outage (the database or the disk: database.outage) is logged once until it ends,
        not at every poll; a bug every time."""
        with self.app.app_context():
            try:
                result = work()
            except Exception as exc:
                if database.outage(exc) is None:
                    log.exception("%s failed; will retry", what)
                elif not self.down:
                    self.down = True
                    log.warning("%s: %s; the scheduler tries again at each poll, and says when it can", what,
                                database.outage(exc).message.split(";")[0])
                return None
            finally:
                db.session.remove()
        if self.down:
            self.down = False
            log.warning("%s: the database and the disk serve again", what)
        return result

    def start(self):
        self.aps.start()

    def running(self):
        return self.aps.running

    def shutdown(self, wait=False):
        """Stop; with ``wait``, once the job running now (a step, a checkpoint) is done."""
        self.aps.shutdown(wait=wait)
