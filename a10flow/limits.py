"""The service's limits, in one place: how much one request, submission, step, piece of BPMN
Python or record may take. Each bounds one thing and is named for it; the comment gives the
unit. A module that applies a limit imports it by this name. (The stand-alone verifier that
ships inside evidence packs keeps its own bound on its report: it must run without a10flow.)"""
from datetime import timedelta

# What people and programs send.
MAX_ROW_ID = 2**31 - 1          # ids are 32-bit columns: a larger number names nothing and must not reach the database
MAX_JSON_DEPTH = 64             # levels of nesting of a request's JSON: deeper input only exhausts the stack
MAX_BUSINESS_KEY = 255          # characters of an instance's business key
MAX_SUBMISSION = 256 * 1024     # bytes of JSON in one submission of a form
MAX_TEXT = 20_000               # characters in one text of a submission
MAX_FIELD_NAME = 200            # characters in one field name of a submission
MAX_TABLE_ROWS = 500            # rows one table of a form may have
MAX_FORM_DEPTH = 100            # levels of nesting of a form's JSON
MAX_NAME = 120                  # characters of a person's or a group's name
MIN_PASSWORD, MAX_PASSWORD = 8, 1024   # characters of a password
MAX_TOKEN_LIFE = timedelta(days=366)   # how long an API token may live
MAX_DIGITS = 18                 # digits of a whole number typed in a page's field or a query: "²", "٣" and 5,000 digits are text
MAX_PATTERN = 1_000             # characters in a regular expression someone gives in a ``format: regex`` field

# What a process owner deploys.
MAX_EXPRESSION = 10_000         # characters of a condition or expression
MAX_SCRIPT = 200_000            # characters of a script
MAX_JOB_RETRIES = 20            # attempts a failed element's retry cycle may ask for
MAX_STORE_ID = 255              # characters of a data store's id (its row's key)
MAX_PROBLEM_MESSAGE = 500       # characters of a deploy problem: it quotes what it is about, a 300 KB condition in part

# What one piece of BPMN Python may use (the sandbox), in a worker process of its own.
TIME_LIMIT = 2.0                # seconds one evaluation may take
MAX_ITEMS = 1_000_000           # the longest sequence ``*`` or ``range`` may make
MAX_EXPONENT_BITS = 10_000      # ``**`` results larger than this many bits are refused
MEMORY_LIMIT = 512 * 2**20      # bytes of address space one worker may use
MAX_ANSWER = 64 * 2**20         # bytes of the largest answer read from a worker
STARTUP_LIMIT = 60              # seconds a new worker may take to start
CPU_LIMIT = 600                 # seconds of processor time a worker may use in its life; retired at half

# What one step may do. Every piece of BPMN Python is bounded on its own (above); these stop a
# process that never waits: a loop of engine tasks, processes calling each other.
MAX_STEP_TASKS = 5_000          # engine tasks one step may run
MAX_STEP_SECONDS = 30.0         # wall-clock seconds one step may take
MAX_CALL_DEPTH = 25             # call activities and subprocesses inside each other
MAX_TREE_DEPTH = 1_000_000      # levels of an instance's task tree walked: long-running loops are deep (the library's default of 1000 silently stops them)
MAX_INSTANCE_DATA = 2 * 2**20   # bytes of an instance's data as JSON
MAX_STORE = 2 * 2**20           # bytes of one data store's content as JSON

# What is kept and sent.
MAX_EVIDENCE_RECORD = 3 * 2**20                 # bytes of one evidence record: a submission, or a copy of the instance's data, fits
MAX_ENGAGEMENT = timedelta(days=366)            # an audit's year; a longer one is a new engagement, granted again
MAX_EMAIL_BACKOFF = timedelta(hours=6)          # the longest wait before an e-mail that failed is tried again


def whole(text):
    """``text`` as a whole number, if it is one in at most MAX_DIGITS ASCII digits; else None."""
    ok = isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS
    return int(text) if ok else None
