"""Settings from the environment (A10FLOW_*). The only module that reads it."""
import os
import secrets
import tempfile
from urllib.parse import urlsplit

from limits import parse_many

from .models import Role

UNNAMED_ORGANISATION = "Our organisation"


def address(config, path):
    """The address at which people reach ``path`` of the service (``config``: the app's): links in
    e-mails and on pages start with A10FLOW_BASE_URL."""
    return config["A10FLOW_BASE_URL"].rstrip("/") + path


def made_once(path, make):
    """The bytes in ``path``; on first use ``make()`` writes them (see write_once)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        pass
    write_once(path, make())
    with open(path, "rb") as f:
        return f.read()


def write_once(path, data):
    """Put ``data`` at ``path``, readable by the owner only, unless something is there already. The
    bytes go to a temporary file that is then linked into place, so nobody ever reads a half-written
    file; of two processes writing at once, one wins and both use its bytes."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder)   # made readable by the owner only
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def rate_limit(env, name, default):
    """A limit such as "5 per 5 minutes" (several separated by ";"), checked now: a typo must stop
    the service at start, not switch the limit off."""
    value = env.get(name, default)
    try:
        usable = all(limit.amount >= 1 for limit in parse_many(value))
    except ValueError:
        usable = False
    if not usable:
        raise ValueError(f"{name}={value!r} is not a rate limit such as '5 per 5 minutes'")
    return value


def roles(env, name):
    """Roles named in ``name`` ("admin,owner"), checked now: a typo must stop the service at start,
    not leave an admin without the second factor meant for them."""
    names = {part.strip() for part in env.get(name, "").split(",") if part.strip()}
    unknown = names - {role.value for role in Role}
    if unknown:
        raise ValueError(f"{name} names no such role: {', '.join(sorted(unknown))} "
                         f"(roles: {', '.join(role.value for role in Role)})")
    return frozenset(Role(n) for n in names)


def pairs(env, name):
    """A setting such as "a10flow-admins=admin,a10flow-owners=owner" as an ordered dict; a pair
    without both sides is refused now, naming the setting."""
    found = {}
    for pair in filter(None, (p.strip() for p in env.get(name, "").split(","))):
        claimed, _, mapped = (side.strip() for side in pair.partition("="))
        if not claimed or not mapped:
            raise ValueError(f"{name}: {pair!r} names no {'claim value' if mapped else 'group or role'}: "
                             "write claim-value=name, separated by commas")
        found[claimed] = mapped
    return found


def single_sign_on(env):
    """The OpenID Connect settings (A10FLOW_OIDC_*), checked now, or None when no issuer is set."""
    issuer = env.get("A10FLOW_OIDC_ISSUER", "").strip().rstrip("/")
    if not issuer:
        return None
    if not env.get("A10FLOW_OIDC_CLIENT_ID") or not env.get("A10FLOW_OIDC_CLIENT_SECRET"):
        raise ValueError("A10FLOW_OIDC_ISSUER is set: set A10FLOW_OIDC_CLIENT_ID and A10FLOW_OIDC_CLIENT_SECRET too")
    roles = pairs(env, "A10FLOW_OIDC_ROLES")
    known = {role.value for role in Role}
    for claimed, role in roles.items():
        if role not in known:
            raise ValueError(f"A10FLOW_OIDC_ROLES: {claimed}={role} names no role: one of {', '.join(sorted(known))}")
    groups_claim = env.get("A10FLOW_OIDC_GROUPS_CLAIM", "groups")
    return {"issuer": issuer, "client_id": env["A10FLOW_OIDC_CLIENT_ID"],
            "client_secret": env["A10FLOW_OIDC_CLIENT_SECRET"],
            "scope": env.get("A10FLOW_OIDC_SCOPES", "openid profile email"),
            "name_claim": env.get("A10FLOW_OIDC_NAME_CLAIM", "preferred_username"),
            "groups_claim": groups_claim, "groups": pairs(env, "A10FLOW_OIDC_GROUPS"),
            "group_prefix": env.get("A10FLOW_OIDC_GROUP_PREFIX", ""),
            "role_claim": env.get("A10FLOW_OIDC_ROLE_CLAIM", groups_claim), "roles": roles,
            "button": env.get("A10FLOW_OIDC_BUTTON", "single sign-on")}


def password_sign_in(env, sso):
    """Who signs in with a password: everyone ("on"), or, beside single sign-on, only admins, whose
    break-glass account it is ("admins": the page offers both; "off": it offers single sign-on only,
    and the password form at /sign-in?password)."""
    value = env.get("A10FLOW_PASSWORD_SIGN_IN", "on")
    if value not in ("on", "admins", "off"):
        raise ValueError(f"A10FLOW_PASSWORD_SIGN_IN={value!r}: one of on, admins, off")
    if value != "on" and sso is None:
        raise ValueError(f"A10FLOW_PASSWORD_SIGN_IN={value}: set A10FLOW_OIDC_ISSUER, or nobody else can sign in")
    return value


def lead_days(env, name, default):
    """Whole days before a date, largest first, from "30,7,1,0". :raises ValueError: in words."""
    text = env.get(name, default)
    try:
        days = sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True)
    except ValueError:
        days = []
    if not days or days[-1] < 0:
        raise ValueError(f"{name}={text!r}: whole days before the date, 0 or more, such as {default!r}")
    return tuple(days)


def engine_options(url, wait, statement):
    """SQLAlchemy's engine options: every connection checked before use (one the database dropped is
    replaced, not used), and bounded waits. SQLite's busy timeout is set per connection (database.py)."""
    options = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["pool_timeout"] = wait
        options["connect_args"] = {"connect_timeout": max(1, round(wait)), "options":
                                   f"-c lock_timeout={int(wait * 1000)} -c statement_timeout={int(statement * 1000)}"}
    return options


def instance_path():
    """Where the embedded database and the service's own files live."""
    return os.environ.get("A10FLOW_INSTANCE_PATH", os.path.abspath("instance"))


class Config:
    def __init__(self, instance_path, **overrides):
        env = os.environ
        default_db = "sqlite:///" + os.path.join(instance_path, "a10flow.sqlite")
        self.SQLALCHEMY_DATABASE_URI = env.get("A10FLOW_DATABASE_URL", default_db)
        # How long a request waits on the database (to connect, for a pooled connection, for a lock) and
        # how long one statement may run, before it answers 503 with Retry-After: shorter than a client's
        # patience, so that a held lock or a lost database costs seconds, and every thread is soon free.
        self.A10FLOW_DATABASE_WAIT_SECONDS = float(env.get("A10FLOW_DATABASE_WAIT_SECONDS", 5))
        self.A10FLOW_STATEMENT_SECONDS = float(env.get("A10FLOW_STATEMENT_SECONDS", 30))
        # Signs session cookies and CSRF tokens; made once and kept in the instance folder if not set.
        self.SECRET_KEY = env.get("A10FLOW_SECRET_KEY") or made_once(
            os.path.join(instance_path, "secret-key"), lambda: secrets.token_hex(32).encode()).decode()
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.WTF_CSRF_CHECK_DEFAULT = False   # only the web pages check CSRF; the API uses bearer tokens
        self.A10FLOW_WORKFLOWS_DIR = env.get("A10FLOW_WORKFLOWS_DIR", os.path.abspath("workflows"))
        self.A10FLOW_FORMS_DIR = env.get("A10FLOW_FORMS_DIR", os.path.abspath("forms"))
        # Uploads larger than this get 413 before anything parses them (`serve` refuses them unread).
        self.MAX_CONTENT_LENGTH = int(env.get("A10FLOW_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
        # Where documents given on forms are kept, by SHA-256 (a10flow.work.document_store): never changed,
        # deleted only when erased as personal data or swept as named by nothing: back it up with the database.
        self.A10FLOW_DOCUMENTS_DIR = env.get("A10FLOW_DOCUMENTS_DIR", os.path.join(instance_path, "documents"))
        # Who keeps a case is reminded this many days before a document it holds expires (0: on the day).
        self.A10FLOW_DOCUMENT_REMINDER_DAYS = lead_days(env, "A10FLOW_DOCUMENT_REMINDER_DAYS", "30,7,1,0")
        # A document given but not named when its task was done, and bytes no document names, are swept
        # (`a10flow documents sweep`, and the scheduler every A10FLOW_DOCUMENT_SWEEP_HOURS) this many days on.
        self.A10FLOW_DOCUMENT_ORPHAN_DAYS = float(env.get("A10FLOW_DOCUMENT_ORPHAN_DAYS", 7))
        self.A10FLOW_DOCUMENT_SWEEP_HOURS = float(env.get("A10FLOW_DOCUMENT_SWEEP_HOURS", 24))
        # An evidence pack carries each document its records name up to this size; a larger one is listed
        # with its SHA-256 and where to download it (the exporter may choose another limit per pack).
        self.A10FLOW_PACK_DOCUMENT_MAX_BYTES = int(env.get("A10FLOW_PACK_DOCUMENT_MAX_BYTES", 25 * 2**20))
        # `serve`'s own limits: open connections at once, seconds a connection may stay idle, and the
        # reverse proxy whose X-Forwarded-For is believed (its address; unset: none is).
        self.A10FLOW_SERVER = {"connections": int(env.get("A10FLOW_CONNECTION_LIMIT", 500)),
                               "idle_seconds": int(env.get("A10FLOW_IDLE_SECONDS", 30)),
                               "trusted_proxy": env.get("A10FLOW_TRUSTED_PROXY")}
        # On SIGTERM `serve` stops accepting and lets what is in flight finish for at most this long.
        self.A10FLOW_SHUTDOWN_SECONDS = float(env.get("A10FLOW_SHUTDOWN_SECONDS", 20))
        # The scheduler sweeps at least this often, and sooner when a timer is due.
        self.A10FLOW_TIMER_POLL_SECONDS = float(env.get("A10FLOW_TIMER_POLL_SECONDS", 5))
        # `a10flow serve` fires timers itself unless this is "off" (then run `a10flow worker`).
        self.A10FLOW_SCHEDULER = env.get("A10FLOW_SCHEDULER", "on")
        # Where people reach the service: links in e-mails start with it.
        self.A10FLOW_BASE_URL = env.get("A10FLOW_BASE_URL", "http://127.0.0.1:8000")
        # Who asks, in what outside parties read (e-mails, link pages): set it, or they read the default.
        self.A10FLOW_ORGANISATION = env.get("A10FLOW_ORGANISATION", UNNAMED_ORGANISATION)
        # E-mail for notifications; without a host, notifications stay in the app only.
        self.A10FLOW_SMTP = {
            "host": env.get("A10FLOW_SMTP_HOST"),
            "port": int(env.get("A10FLOW_SMTP_PORT", 25)),
            "user": env.get("A10FLOW_SMTP_USER"),
            "password": env.get("A10FLOW_SMTP_PASSWORD"),
            "from": env.get("A10FLOW_SMTP_FROM", "a10flow@localhost"),
            "starttls": env.get("A10FLOW_SMTP_STARTTLS", "off") == "on",
        }
        # The Ed25519 key that signs evidence checkpoints: a file, kept apart from the database.
        self.A10FLOW_SIGNING_KEY = env.get("A10FLOW_SIGNING_KEY",
                                           os.path.join(instance_path, "evidence-signing-key.pem"))
        # The log's name in its signed checkpoints (C2SP tlog-checkpoint origin): set it once, and keep it.
        self.A10FLOW_EVIDENCE_ORIGIN = env.get("A10FLOW_EVIDENCE_ORIGIN",
                                               urlsplit(self.A10FLOW_BASE_URL).netloc + "/a10flow-evidence")
        # The scheduler signs a checkpoint this often (when any chain grew).
        self.A10FLOW_CHECKPOINT_MINUTES = float(env.get("A10FLOW_CHECKPOINT_MINUTES", 60))
        # Failed sign-ins allowed per account name, and per address. Only failures count. The account's
        # limit stops guessing one password; the address's only stops a spray over many names, so it is
        # far higher: a whole office shares one address behind its NAT, and must not wait for one typist.
        self.A10FLOW_SIGN_IN_LIMIT = rate_limit(env, "A10FLOW_SIGN_IN_LIMIT", "5 per 5 minutes")
        self.A10FLOW_SIGN_IN_ADDRESS_LIMIT = rate_limit(env, "A10FLOW_SIGN_IN_ADDRESS_LIMIT",
                                                        "100 per minute; 1000 per hour")
        # A browser stays signed in this long at most (signing out or a new password ends it sooner).
        self.A10FLOW_SESSION_HOURS = float(env.get("A10FLOW_SESSION_HOURS", 12))
        # The roles that must sign in with a second factor (e.g. "admin,owner"); anyone may turn one on.
        self.A10FLOW_TWO_FACTOR_REQUIRED = roles(env, "A10FLOW_TWO_FACTOR_REQUIRED")
        # Where those counts are kept: "memory://" is per process; "redis://host:6379" shares them between
        # processes (the store must keep moving windows: Redis, Valkey or MongoDB, not memcached).
        self.A10FLOW_RATE_LIMIT_STORAGE = env.get("A10FLOW_RATE_LIMIT_STORAGE", "memory://")
        # Single sign-on through an OpenID provider (None: none), and who may still use a password.
        self.A10FLOW_OIDC = single_sign_on(env)
        self.A10FLOW_PASSWORD_SIGN_IN = password_sign_in(env, self.A10FLOW_OIDC)
        self.API_TITLE = "a10flow"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.API_SPEC_OPTIONS = {"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]}
        self.__dict__.update(overrides)
        self.SQLALCHEMY_ENGINE_OPTIONS = overrides.get("SQLALCHEMY_ENGINE_OPTIONS") or engine_options(
            self.SQLALCHEMY_DATABASE_URI, self.A10FLOW_DATABASE_WAIT_SECONDS, self.A10FLOW_STATEMENT_SECONDS)
