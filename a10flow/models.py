"""The tables. Statuses are defined here once; nothing else spells them out."""
from datetime import timezone
from enum import Enum

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import types
from sqlalchemy.orm import DeclarativeBase

from . import clock


class Base(DeclarativeBase):
    pass


# Objects keep their loaded state after a commit: a step reads what it changes
# under a row lock (populate_existing), and definition versions never change.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


class UTCDateTime(types.TypeDecorator):
    """Aware UTC datetimes on every database (SQLite keeps no zone)."""
    impl = types.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class Role(str, Enum):
    ADMIN = "admin"          # everything
    OWNER = "owner"          # deploys definitions, manages instances
    STAFF = "staff"          # works on tasks
    AUDITOR = "auditor"      # reads instances and evidence
    EXTERNAL_AUDITOR = "external_auditor"   # reads only what an engagement grants them (a10flow.evidence.engagements)


class InstanceStatus(str, Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class IncidentStatus(str, Enum):
    RETRYING = "retrying"   # a service task that failed; tried again at next_attempt_at
    OPEN = "open"           # needs a person: retry once the cause is fixed, or resolve
    RESOLVED = "resolved"


class TaskStatus(str, Enum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"   # the process moved on without it (boundary event, cancel)


class EvidenceType(str, Enum):
    """The kinds of evidence record: one per kind of step or engine happening."""
    INSTANCE_STARTED = "instance.started"
    INSTANCE_COMPLETED = "instance.completed"
    INSTANCE_CANCELLED = "instance.cancelled"
    INSTANCE_FAILED = "instance.failed"
    INSTANCE_MIGRATED = "instance.migrated"
    INCIDENT_RETRIED = "incident.retried"
    INCIDENT_RESOLVED = "incident.resolved"
    TASK_CLAIMED = "task.claimed"
    TASK_UNCLAIMED = "task.unclaimed"
    TASK_COMPLETED = "task.completed"
    GATEWAY_PATH_TAKEN = "gateway.path_taken"
    DECISION_EVALUATED = "decision.evaluated"
    SCRIPT_RUN = "script.run"
    SERVICE_RUN = "service.run"
    TIMER_FIRED = "timer.fired"
    TASK_REASSIGNED = "task.reassigned"
    LINK_ISSUED = "link.issued"
    LINK_REVOKED = "link.revoked"
    MESSAGE_RECEIVED = "message.received"
    PERSONAL_DATA_ERASED = "personal_data.erased"
    DATA_STORE_READ = "data_store.read"
    DATA_STORE_WRITTEN = "data_store.written"
    ACCESS_CHANGED = "access.changed"   # the access record's one kind (a10flow.evidence.access)


class EmailStatus(str, Enum):
    NONE = "none"          # the recipient has no address
    PENDING = "pending"    # to be sent; retried with back-off until it is
    SENT = "sent"
    FAILED = "failed"      # cannot be sent (no real address): kept, marked, not retried


class DefinitionKind(str, Enum):
    PROCESS = "process"
    DECISION = "decision"


def _enum(cls):
    return db.Enum(cls, native_enum=False, values_callable=lambda e: [m.value for m in e], length=20)


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), unique=True, nullable=False)
    email = db.Column(db.String(254))
    password_hash = db.Column(db.String(255))   # argon2id; None: signs in with API tokens only
    role = db.Column(_enum(Role), nullable=False, default=Role.STAFF)
    groups = db.Column(db.JSON, nullable=False, default=list)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    disabled_at = db.Column(UTCDateTime)   # set: cannot sign in or use tokens; history and evidence stay
    # Two-factor sign-in (a10flow.people.two_factor): the TOTP secret, encrypted; on once confirmed.
    totp_secret = db.Column(db.String(255))
    totp_on_at = db.Column(UTCDateTime)
    totp_last_step = db.Column(db.BigInteger)   # the last time step accepted: a code is good once
    # Who the OpenID provider says this is (a10flow.people.sso); None for a local account.
    oidc_issuer = db.Column(db.String(255))
    oidc_subject = db.Column(db.String(255))
    __table_args__ = (db.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    expires_at = db.Column(UTCDateTime)
    revoked_at = db.Column(UTCDateTime)
    last_used_at = db.Column(UTCDateTime)   # to the minute (a10flow.people.auth.touch)
    user = db.relationship(User)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the second factor; only its hash is kept."""
    __tablename__ = "recovery_codes"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id"), nullable=False, index=True)
    code_hash = db.Column(db.String(64), unique=True, nullable=False)
    used_at = db.Column(UTCDateTime)


class WebSession(db.Model):
    """A signed-in browser. The cookie holds a random token whose hash is kept here, so signing
    out (or a new password) ends the session on the server, not only in the browser."""
    __tablename__ = "web_sessions"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    expires_at = db.Column(UTCDateTime, nullable=False)
    ended_at = db.Column(UTCDateTime)
    last_used_at = db.Column(UTCDateTime)   # to the minute (a10flow.people.auth.touch)
    user = db.relationship(User)


class SecurityEvent(db.Model):
    """A refused attempt: who (if known), from where, what, when, and why it was refused."""
    __tablename__ = "security_events"
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=clock.now, index=True)
    user_name = db.Column(db.String(120))
    address = db.Column(db.String(64))
    method = db.Column(db.String(10), nullable=False)
    path = db.Column(db.String(500), nullable=False)
    status = db.Column(db.Integer, nullable=False)
    reason = db.Column(db.String(500), nullable=False)
    repeats = db.Column(db.Integer, nullable=False, default=0, server_default="0")   # more from there, not kept one by one
    last_at = db.Column(UTCDateTime)   # the latest of those


class Definition(db.Model):
    __tablename__ = "definitions"
    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(255), unique=True, nullable=False)
    kind = db.Column(_enum(DefinitionKind), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    versions = db.relationship("DefinitionVersion", back_populates="definition",
                               order_by="DefinitionVersion.version")


class DefinitionVersion(db.Model):
    """One deployed version: the exact uploaded XML plus the parsed spec, stored once."""
    __tablename__ = "definition_versions"
    __table_args__ = (db.UniqueConstraint("definition_id", "version"),)
    id = db.Column(db.Integer, primary_key=True)
    definition_id = db.Column(db.ForeignKey("definitions.id"), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    name = db.Column(db.String(255), nullable=False)
    description = db.Column(db.Text)   # the process's documentation: what it is for
    filename = db.Column(db.String(255), nullable=False)
    xml = db.deferred(db.Column(db.Text, nullable=False))  # large columns load only when read
    xml_sha256 = db.Column(db.String(64), nullable=False)
    content_hash = db.Column(db.String(64), nullable=False)
    spec = db.deferred(db.Column(db.JSON))   # serialized SpiffWorkflow specs, read on a cache miss
    tasks = db.Column(db.JSON)       # element id -> assignment, form, due settings
    controls = db.Column(db.JSON)    # element id -> control id (A.10.2, A.10.3, …) its evidence belongs to
    forms = db.Column(db.JSON)       # form name -> JSON Schema
    inputs = db.Column(db.JSON)      # the start form and message forms: what may cross in (a10flow.work.forms)
    files = db.deferred(db.Column(db.JSON))  # supporting files deployed with it: name -> text
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    created_by = db.Column(db.ForeignKey("users.id"))
    definition = db.relationship(Definition, back_populates="versions")

    @property
    def start(self):
        """How people start it (see a10flow.deploy.element_settings.start_form): element, form, groups, users."""
        return (self.inputs or {}).get("start") or {}


class Instance(db.Model):
    __tablename__ = "instances"
    id = db.Column(db.Integer, primary_key=True)
    version_id = db.Column(db.ForeignKey("definition_versions.id"), nullable=False, index=True)
    business_key = db.Column(db.String(255), index=True)
    status = db.Column(_enum(InstanceStatus), nullable=False, index=True)
    state = db.Column(db.JSON, nullable=False)     # SpiffWorkflow state without specs
    data = db.Column(db.JSON, nullable=False, default=dict)
    error = db.Column(db.JSON)
    started_by = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    ended_at = db.Column(UTCDateTime)
    # Every control id any version it ran carries: a move to a version without them keeps it in scope.
    controls = db.Column(db.JSON, nullable=False, default=list)
    evidence_seq = db.Column(db.Integer, nullable=False, default=0)
    evidence_head = db.Column(db.String(64))
    checkpointed_seq = db.Column(db.Integer, nullable=False, default=0, server_default="0")  # as last signed
    version = db.relationship(DefinitionVersion)


class Incident(db.Model):
    """An element of an instance that failed: a script, condition, service call or timer
    expression, or a step that could not be kept. The engine task stays parked until the
    incident is retried or resolved (see a10flow.processes.incidents)."""
    __tablename__ = "incidents"
    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.ForeignKey("instances.id"), nullable=False, index=True)
    task_id = db.Column(db.String(36))   # the parked engine task; None: the failed step was rolled back
    by_timer = db.Column(db.Boolean, nullable=False, default=False)   # that rolled-back step was a timer firing
    element_id = db.Column(db.String(255))
    element_name = db.Column(db.String(255))
    error = db.Column(db.Text, nullable=False)
    status = db.Column(_enum(IncidentStatus), nullable=False, index=True)
    attempts = db.Column(db.Integer, nullable=False, default=1)
    first_failed_at = db.Column(UTCDateTime, nullable=False)
    last_failed_at = db.Column(UTCDateTime, nullable=False)
    next_attempt_at = db.Column(UTCDateTime, index=True)   # RETRYING: when the scheduler tries again
    retry_delays = db.Column(db.JSON, nullable=False, default=list)   # ISO durations, from the BPMN
    resolved_at = db.Column(UTCDateTime)
    resolved_by = db.Column(db.String(120))
    resolution = db.Column(db.Text)
    instance = db.relationship("Instance")


class HumanTask(db.Model):
    """A user or manual task, or a receive task a person answers, waiting for (or done by) a person;
    mirrors the engine's state."""
    __tablename__ = "human_tasks"
    id = db.Column(db.String(36), primary_key=True)   # the engine's task id
    instance_id = db.Column(db.ForeignKey("instances.id"), nullable=False, index=True)
    element_id = db.Column(db.String(255), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    lane = db.Column(db.String(255))
    form = db.Column(db.String(255))
    documentation = db.Column(db.Text)
    message = db.Column(db.String(255))   # a receive task: completing it delivers this BPMN message
    # Its process sends it to an outside party (externalParty): naming nobody, it is not everyone's.
    outside_party = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    status = db.Column(_enum(TaskStatus), nullable=False, index=True)
    assignee = db.Column(db.String(120), index=True)
    due_at = db.Column(UTCDateTime, index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    completed_at = db.Column(UTCDateTime)
    completed_by = db.Column(db.String(120))
    completed_for = db.Column(db.String(120))   # done through a link: the person who sent it (delegated)
    cancelled_at = db.Column(UTCDateTime)        # withdrawn (the process moved on, or was cancelled)
    instance = db.relationship(Instance)
    candidates = db.relationship("TaskCandidate", cascade="all, delete-orphan", lazy="selectin")

    def candidate_names(self, kind):
        return sorted(c.name for c in self.candidates if c.kind == kind)

    @property
    def settings(self):
        """What its version's BPMN says of the task (form, people, separateFrom, externalParty, …)."""
        return (self.instance.version.tasks or {}).get(self.element_id) or {}

    @property
    def held_by(self):
        """Who has the task, as the pages say it."""
        return self.assignee or ", ".join(self.candidate_names("group") + self.candidate_names("user")) or \
            ("an outside party, by link" if self.outside_party else "anyone")


class Document(db.Model):
    """A file a person (or an outside party, by link) gave for a form's field: its bytes are in the
    document store under their SHA-256, and this row says what they are and whose. Given for a task,
    it names the task; for a start form, the version started and no instance until the start names
    it. It is changed only when a step names it (attached_at: a document never attached is an orphan)
    or its bytes are erased as personal data (erased_at), and deleted only when swept: given, never
    named, and old."""
    __tablename__ = "documents"
    id = db.Column(db.String(36), primary_key=True)   # a random UUID: what the form's data names
    sha256 = db.Column(db.String(64), nullable=False, index=True)
    name = db.Column(db.String(255), nullable=False)   # the file's name as given, a label only, never a path
    media_type = db.Column(db.String(127), nullable=False)   # as its content shows, checked against the form
    size = db.Column(db.BigInteger, nullable=False)
    field = db.Column(db.String(200), nullable=False)   # its path in the form's data: a row's by its number
    instance_id = db.Column(db.ForeignKey("instances.id"), index=True)   # None: a start's, not started yet
    task_id = db.Column(db.ForeignKey("human_tasks.id"), index=True)     # None: a start form's
    start_version_id = db.Column(db.ForeignKey("definition_versions.id", name="fk_documents_start_version_id"))
    given_by = db.Column(db.String(120), nullable=False)
    given_at = db.Column(UTCDateTime, nullable=False, default=clock.now)   # the upload: never changes
    # What the document says of itself, given beside the file (a certificate's validity), apart from
    # the upload time: reminders key off the expiry (a10flow.work.expiring).
    effective_on = db.Column(db.Date)
    expires_on = db.Column(db.Date, index=True)
    # When a completed task named it, in that step's transaction, as the n-th document kept for this
    # field of this case: a row without it past A10FLOW_DOCUMENT_ORPHAN_DAYS, its task done, was never
    # evidence and is swept (a10flow.work.document_sweep).
    attached_at = db.Column(UTCDateTime, index=True)
    version = db.Column(db.Integer)
    # When its bytes were erased as a data subject's personal data: the record keeps its SHA-256.
    erased_at = db.Column(UTCDateTime)


class DocumentReminder(db.Model):
    """A reminder that a document expires, sent ``days`` before its expiry (0: on the day): once each."""
    __tablename__ = "document_reminders"
    document_id = db.Column(db.ForeignKey("documents.id"), primary_key=True)
    days = db.Column(db.Integer, primary_key=True)
    sent_at = db.Column(UTCDateTime, nullable=False, default=clock.now)


class TaskDraft(db.Model):
    """Form data one person saved on a task but has not submitted: theirs alone, gone when the task is done."""
    __tablename__ = "task_drafts"
    __table_args__ = (db.UniqueConstraint("task_id", "author"),)
    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.ForeignKey("human_tasks.id"), nullable=False, index=True)
    author = db.Column(db.String(40), nullable=False)   # "user:<id>", or "link:<id>" for an external party
    data = db.Column(db.JSON, nullable=False)
    saved_at = db.Column(UTCDateTime, nullable=False, default=clock.now)


class TaskCandidate(db.Model):
    """Who may claim a task: a group or a user. A row each, so inbox queries stay indexed."""
    __tablename__ = "task_candidates"
    __table_args__ = (db.Index("ix_task_candidates_kind_name", "kind", "name"),)
    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.ForeignKey("human_tasks.id"), nullable=False, index=True)
    kind = db.Column(db.String(5), nullable=False)   # "group" or "user"
    name = db.Column(db.String(255), nullable=False)


class MessageWait(db.Model):
    """A task waiting for a BPMN message, mirrored so a message finds its instance by query."""
    __tablename__ = "message_waits"
    __table_args__ = (db.Index("ix_message_waits_message", "message"),)
    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.ForeignKey("instances.id"), nullable=False, index=True)
    task_id = db.Column(db.String(36), nullable=False)
    element_id = db.Column(db.String(255), nullable=False)
    message = db.Column(db.String(255), nullable=False)


class DataStore(db.Model):
    """A data store processes read and write through data associations (a10flow.engine.stores): its
    current content and revision; each revision's writer and content are in that instance's evidence."""
    __tablename__ = "data_stores"
    id = db.Column(db.String(255), primary_key=True)   # the BPMN dataStore id, which scripts name
    kind = db.Column(db.String(10), nullable=False)    # "json" or "kkv"
    content = db.Column(db.JSON)                        # None until first written
    revision = db.Column(db.Integer, nullable=False, default=0)
    written_by = db.Column(db.ForeignKey("instances.id"))   # the instance that wrote the current revision
    written_element = db.Column(db.String(255))
    written_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)


class RegisterEntry(db.Model):
    """One entry of a register (suppliers, responsibilities, change notices), written by a
    process. A new entry for the same key supersedes the old one, which is kept."""
    __tablename__ = "register_entries"
    __table_args__ = (db.Index("ix_register_entries_current", "register", "key", "superseded_at"),)
    id = db.Column(db.Integer, primary_key=True)
    register = db.Column(db.String(40), nullable=False)
    key = db.Column(db.String(255), nullable=False)
    data = db.Column(db.JSON, nullable=False)
    instance_id = db.Column(db.ForeignKey("instances.id"), nullable=False, index=True)
    element_id = db.Column(db.String(255))
    recorded_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    superseded_at = db.Column(UTCDateTime)
    instance = db.relationship("Instance")


class ExternalLink(db.Model):
    """A link that lets someone without an account (a supplier's or customer's contact)
    do one task. Only the token's hash is kept; the token is shown once."""
    __tablename__ = "external_links"
    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    task_id = db.Column(db.ForeignKey("human_tasks.id"), nullable=False, index=True)
    party = db.Column(db.String(255), nullable=False)      # who it was given to, as recorded in evidence
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    created_by = db.Column(db.ForeignKey("users.id"))   # the person the link speaks for
    sent_by_process = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    expires_at = db.Column(UTCDateTime, nullable=False)
    revoked_at = db.Column(UTCDateTime)
    opened_at = db.Column(UTCDateTime)   # first opened by its holder
    used_at = db.Column(UTCDateTime)
    contact_id = db.Column(db.ForeignKey("users.id"))   # whom the holder is told to ask
    task = db.relationship("HumanTask")
    sender = db.relationship(User, foreign_keys=[created_by])
    contact = db.relationship(User, foreign_keys=[contact_id])


class Engagement(db.Model):
    """Read-only access for an external auditor to chosen controls over a period, until it
    expires or is revoked: by their account, or by a link whose token's hash only is kept."""
    __tablename__ = "engagements"
    id = db.Column(db.Integer, primary_key=True)
    auditor = db.Column(db.String(255), nullable=False)   # who, as the owner named them
    user_id = db.Column(db.ForeignKey("users.id"))        # by account; None: by link
    token_hash = db.Column(db.String(64), unique=True)    # by link
    controls = db.Column(db.JSON, nullable=False)          # canonical control ids
    period_start = db.Column(UTCDateTime, nullable=False)
    period_end = db.Column(UTCDateTime, nullable=False)    # not included
    expires_at = db.Column(UTCDateTime, nullable=False)    # the last day of access, through its end
    created_by = db.Column(db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    revoked_at = db.Column(UTCDateTime)
    revoked_by = db.Column(db.String(120))
    user = db.relationship(User, foreign_keys=[user_id])
    granter = db.relationship(User, foreign_keys=[created_by])
    accesses = db.relationship("EngagementAccess", order_by="EngagementAccess.id", lazy="selectin")


class EngagementAccess(db.Model):
    """One thing an engagement's auditor opened or downloaded: the service's own access log."""
    __tablename__ = "engagement_access"
    id = db.Column(db.Integer, primary_key=True)
    engagement_id = db.Column(db.ForeignKey("engagements.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    who = db.Column(db.String(120), nullable=False)      # the account's name, or "link"
    action = db.Column(db.String(500), nullable=False)   # what, in words
    address = db.Column(db.String(64))


class Timer(db.Model):
    """A waiting timer, mirrored from the engine so due timers are found by an indexed query."""
    __tablename__ = "timers"
    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.ForeignKey("instances.id"), nullable=False, index=True)
    task_id = db.Column(db.String(36), nullable=False)
    element_id = db.Column(db.String(255), nullable=False)
    name = db.Column(db.String(255))
    due_at = db.Column(UTCDateTime, nullable=False, index=True)
    cycle = db.Column(db.Boolean, nullable=False, default=False)


class StartTimer(db.Model):
    """A timer start event of a definition's latest version: starts instances on schedule."""
    __tablename__ = "start_timers"
    id = db.Column(db.Integer, primary_key=True)
    definition_id = db.Column(db.ForeignKey("definitions.id"), nullable=False, index=True)
    version_id = db.Column(db.ForeignKey("definition_versions.id"), nullable=False)
    element_id = db.Column(db.String(255), nullable=False)
    name = db.Column(db.String(255))
    due_at = db.Column(UTCDateTime, nullable=False, index=True)
    period = db.Column(db.String(40))                     # ISO 8601 duration; None: fires once
    remaining = db.Column(db.Integer, nullable=False)     # repetitions left; -1 for ever
    last_error = db.Column(db.Text)                       # why the last start failed (retried hourly)
    version = db.relationship(DefinitionVersion)


class Evidence(db.Model):
    """One record of the per-instance hash chain. Written once, never changed."""
    __tablename__ = "evidence"
    __table_args__ = (db.UniqueConstraint("instance_id", "seq"),)
    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.Integer, nullable=False, index=True)   # no FK: outlives nothing
    seq = db.Column(db.Integer, nullable=False)
    type = db.Column(db.String(40), nullable=False)
    at = db.Column(db.String(40), nullable=False)          # ISO 8601 UTC, exactly as hashed
    record = db.Column(db.Text, nullable=False)            # the canonical JSON that was hashed
    prev_hash = db.Column(db.String(64))
    hash = db.Column(db.String(64), nullable=False)


class ChainHead(db.Model):
    """The head of an evidence chain that belongs to no instance: id 0 is the access record
    (a10flow.evidence.access). Its records are in ``evidence`` under that id; checkpoints sign it
    like an instance's chain."""
    __tablename__ = "chain_heads"
    id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    evidence_seq = db.Column(db.Integer, nullable=False, default=0)
    evidence_head = db.Column(db.String(64))
    checkpointed_seq = db.Column(db.Integer, nullable=False, default=0)


class PersonalValue(db.Model):
    """A personal value (a form field marked ``x-pii``) of an evidence record, kept outside
    the hashed record, which holds only its salted hash. Erasable (see a10flow.evidence.personal)."""
    __tablename__ = "personal_data"
    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.Integer, nullable=False, index=True)
    seq = db.Column(db.Integer, nullable=False)
    pointer = db.Column(db.String(500), nullable=False)   # JSON Pointer into the record
    value = db.Column(db.Text)                            # canonical JSON; None once erased
    salt = db.Column(db.String(32))
    digest = db.Column(db.String(64), nullable=False)
    erased_at = db.Column(UTCDateTime)


class Checkpoint(db.Model):
    """A signed statement of the length and head of every chain that grew since the one
    before. Written once, never changed (see a10flow.evidence.checkpoints)."""
    __tablename__ = "checkpoints"
    seq = db.Column(db.Integer, primary_key=True, autoincrement=False)
    at = db.Column(db.String(40), nullable=False)
    record = db.Column(db.Text, nullable=False)            # the canonical JSON that was hashed and signed
    prev_hash = db.Column(db.String(64))
    hash = db.Column(db.String(64), nullable=False)
    signature = db.Column(db.String(100), nullable=False)  # Ed25519 over the record, base64
    note = db.Column(db.Text)         # the same tree size and root as a C2SP signed note (null before there were)
    frontier = db.Column(db.JSON)     # the Merkle tree's frontier after it: the next one extends it, nothing checks it


class Notification(db.Model):
    """An outbox row: one message for one person, shown in the app and sent by e-mail.

    For someone without an account (an external party) there is no user, only ``email``.
    """
    __tablename__ = "notifications"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id"), index=True)
    email = db.Column(db.String(254))
    instance_id = db.Column(db.ForeignKey("instances.id"), index=True)
    element_id = db.Column(db.String(255))
    task_id = db.Column(db.String(36))   # the task it is about, when one: the page to open
    subject = db.Column(db.String(255), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.now)
    read_at = db.Column(UTCDateTime)
    email_status = db.Column(_enum(EmailStatus), nullable=False, index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(UTCDateTime, index=True)
    last_error = db.Column(db.Text)
    sent_at = db.Column(UTCDateTime)
    user = db.relationship(User)
