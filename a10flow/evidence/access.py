"""The access record: every change to who may sign in and what they may do, in a chain of its own.

A record says who changed what (``actor``), for whom (``data.subject``), how (``data.action``,
``data.changes``: field -> ``[before, after]``) and what the person holds after it
(``data.holds``: role, groups, active). The chain is number ``ACCESS`` in ``evidence``, its head a
ChainHead row, so checkpoints sign it and the verifier checks it like an instance's. E-mail
addresses and passwords are never written into it, only that they changed.
"""
import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from .. import clock, evidence
from ..models import ChainHead, Evidence, EvidenceType, User, db
from . import canonical
from .verifier import ACCESS

CONTROLS = ("A.3.2", "ISO/IEC 27001 A.5.18")   # AI roles and responsibilities; access rights


WORDS = {"user.created": "added", "user.changed": "changed", "user.disabled": "disabled",
         "user.enabled": "enabled again", "password.set": "password set", "token.issued": "API token issued",
         "token.revoked": "API token revoked", "sessions.ended": "signed out elsewhere",
         "two_factor.on": "two-factor sign-in turned on", "two_factor.off": "two-factor sign-in turned off",
         "recovery_codes.made": "recovery codes made", "recovery_code.used": "recovery code used"}


def words(action):
    """An action of the record as people say it: "disabled" for user.disabled."""
    return WORDS.get(action) or action.replace(".", " ").replace("_", " ")


def in_scope(scope):
    """Whether evidence of ``scope`` (a10flow.evidence.scope.Scope) takes in the access record: all
    controls, or one it evidences; never a single instance's."""
    return scope.instance_id is None and (scope.control is None or scope.control in CONTROLS)


def holds(user):
    """What ``user`` may do, as the record keeps it."""
    return {"role": user.role.value, "groups": sorted(user.groups or []), "active": user.disabled_at is None}


def head_of_record():
    """The access record's head, locked until the caller's transaction ends: one change at a time."""
    return db.session.execute(db.select(ChainHead).where(ChainHead.id == ACCESS).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def append(actor, user, action, changes=None, **details):
    """Add a record about ``user`` to the access chain, in the caller's transaction (which it
    holds the chain's head locked for: one writer at a time, as on an instance)."""
    head = head_of_record()
    db.session.flush()   # the user's id, when the record is about someone just added
    record = {"instance_id": ACCESS, "seq": head.evidence_seq + 1, "type": EvidenceType.ACCESS_CHANGED.value,
              "at": clock.now().isoformat(), "actor": evidence.actor_of(actor), "controls": list(CONTROLS),
              "data": canonical.plain({"action": action, "subject": {"id": user.id, "name": user.name},
                                       "changes": changes or {}, "holds": holds(user), **details}),
              "prev_hash": head.evidence_head}
    return evidence.chain(head, record)


@dataclass
class Held:
    """One stretch of time in which a person held a role and groups (``until`` None: still)."""
    name: str
    role: str
    groups: list
    active: bool
    since: datetime | None   # None: from before the access record began
    until: datetime | None


def held(start=None, end=None):
    """Who held which role and groups when: the stretches that overlap ``[start, end)``, by name
    then time. A person the record never mentions has held what they hold now since it began."""
    stretches, mentioned = [], set()
    rows = db.session.scalars(db.select(Evidence.record).where(Evidence.instance_id == ACCESS)
                              .order_by(Evidence.seq))
    latest = {}
    for record in map(json.loads, rows):
        at, data = datetime.fromisoformat(record["at"]), record["data"]
        who = data["subject"]["id"]
        mentioned.add(who)
        if who in latest:
            latest[who].until = at
        latest[who] = Held(data["subject"]["name"], data["holds"]["role"], data["holds"]["groups"],
                           data["holds"]["active"], at, None)
        stretches.append(latest[who])
    for user in db.session.scalars(db.select(User).where(User.id.not_in(mentioned) if mentioned else True)):
        stretches.append(Held(user.name, **holds(user), since=None, until=None))
    return sorted((s for s in stretches if (end is None or s.since is None or s.since < end)
                   and (start is None or s.until is None or s.until > start)),
                  key=lambda s: (s.name.casefold(), s.since or datetime.min.replace(tzinfo=timezone.utc)))


def history(user_id=None, limit=200):
    """The access record's newest records first (about ``user_id`` only, when given)."""
    records = (json.loads(r) for r in db.session.scalars(
        db.select(Evidence.record).where(Evidence.instance_id == ACCESS).order_by(Evidence.seq.desc())))
    return list(itertools.islice((r for r in records if user_id is None or r["data"]["subject"]["id"] == user_id),
                                 limit))
