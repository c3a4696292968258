"""Playing people in a real browser: headless Chromium (Debian's package) driven by Playwright,
against the service on a real HTTP port. One browser serves the whole run; each person gets a
browser context of their own, so nobody shares a cookie. Screenshots of each page go to
tests/artifacts/, checked by axe-core."""
import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from waitress.channel import HTTPChannel
from waitress.server import create_server

from a10flow.cli import main
from helpers import pdf

ARTIFACTS = Path(os.environ.get("A10FLOW_ARTIFACTS", Path(__file__).parent / "artifacts"))
CHROMIUM = os.environ.get("A10FLOW_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parents[1] / "node_modules/axe-core/axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


@pytest.fixture
def server(app):
    """The app on a free loopback port, served by waitress (as `a10flow serve` does) in a thread,
    for the browser to talk to. Werkzeug's development server would leave a response's file
    open whenever the browser drops a connection mid-response."""
    http = create_server(app, host="127.0.0.1", port=0, threads=4)
    port = http.effective_port
    stop = threading.Event()

    def serve():
        # One poll at a time, so that the loop has ended before the sockets close: closing them
        # under a running select() fails the thread (EBADF).
        while not stop.is_set():
            http.asyncore.loop(timeout=0.05, map=http._map, count=1)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    app.config["A10FLOW_BASE_URL"] = f"http://127.0.0.1:{port}"   # what e-mails and the outbox link to
    yield f"http://127.0.0.1:{port}"
    stop.set()
    thread.join()
    for channel in [c for c in http._map.values() if isinstance(c, HTTPChannel)]:
        channel.handle_close()   # connections the run's browser keeps open past the test's contexts
    http.close()
    http.task_dispatcher.shutdown()
    thread.join()


@pytest.fixture
def demo(app, server):
    """The service as `make run` leaves it (`a10flow init --demo`: the bundled processes, the demo
    users), on a real HTTP port: its address."""
    root = Path(__file__).parents[1]
    app.config.update(A10FLOW_WORKFLOWS_DIR=str(root / "workflows"), A10FLOW_FORMS_DIR=str(root / "forms"))
    result = app.test_cli_runner().invoke(main, ["init", "--demo"])
    assert result.exit_code == 0, result.output
    return server


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the whole run (per xdist worker): starting one takes longer than most tests."""
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def browser(chromium):
    """The run's Chromium, in which each person of a test opens a context of their own (no cookie,
    storage or cache is shared); the test's contexts are closed after it."""
    yield chromium
    for context in chromium.contexts:
        context.close()


def shot(page, name):
    """Keep a screenshot of the page, and check it with axe-core: no serious accessibility problem."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    # Served as if from the site: the pages' policy allows no inline script, this check included.
    origin = "/".join(page.url.split("/")[:3])
    page.route(f"{origin}/axe-for-tests.js", lambda route: route.fulfill(path=str(AXE)))
    page.add_script_tag(url=f"{origin}/axe-for-tests.js")
    found = page.evaluate("""async () => (await axe.run(document, {exclude: [['.djs-container'], ['.tjs-container']]}))
        .violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""")
    assert found == [], f"{name}: {found}"


def fits(page):
    """The page needs no sideways scrolling (a wide table may scroll in its own box)."""
    # Against the screen, not window.innerWidth: a phone's browser widens its viewport to fit the page.
    width, screen = page.evaluate("() => document.documentElement.scrollWidth"), page.viewport_size["width"]
    assert width <= screen, f"{page.url} is {width} px wide on a {screen} px screen"


def _page(browser, context):
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(10_000)   # a page that needs longer is broken; say so soon
    return page


def person(browser, server, name, password=None, **context):
    """A page, in a browser context of its own, signed in through the sign-in page."""
    page = _page(browser, context)
    page.goto(f"{server}/sign-in")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password or name)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Sign out").or_(page.get_by_role("button", name="Sign out")).wait_for()
    return page


def outside_party(browser, **context):
    """Someone with no account: a supplier's or customer's contact, with only the e-mail we sent."""
    return _page(browser, context)


def go(page, place):
    """Follow a link of the main navigation (Inbox, Start, Outbox, Registers...)."""
    name = re.compile(rf"^{re.escape(place)}\b")   # "Notifications 2": the count of unread ones follows
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def field(where, label):
    """The form field labelled exactly ``label`` (a required one's label says so after it)."""
    return where.get_by_label(re.compile(rf"^{re.escape(label)}( \(required\))?$"))


def link_in_outbox(owner, address):
    """The newest link e-mailed to ``address``, read off the Outbox page as that person would read their e-mail."""
    go(owner, "Outbox")
    mail = owner.locator("li", has_text=f"To {address}").first.locator("pre").inner_text()
    return re.search(r"https?://\S+/x/\S+", mail).group(0)


def start(page, process, **fields):
    """Open the start form of ``process`` (its name on the Start page) and fill ``fields`` by label."""
    go(page, "Start")
    page.get_by_role("link", name=process).click()
    for label, value in fields.items():
        page.get_by_label(label.replace("_", " "), exact=True).fill(value)


def add_row(page, table):
    """Press "Add a row to ``table``" and wait for the page to come back with the row, as a person
    waits to see it before typing: what is typed into the page being replaced is lost."""
    with page.expect_navigation():
        page.get_by_role("button", name=f"Add a row to {table}").click()


def open_task(page, name):
    """Open the task called ``name`` from the inbox."""
    go(page, "Inbox")
    page.get_by_role("link", name=name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def choose_file(page, label, name, text=None, **dates):
    """Choose a real PDF called ``name`` (saying ``text``) for the file field labelled ``label``, and fill
    the dates it asks for beside it (``expires="2027-12-31"``: "Expires on")."""
    page.get_by_label(label, exact=False).first.set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": pdf(text or name)})
    row = re.search(r", row \d+$", label)
    for word, value in dates.items():
        said = {"effective": "Effective from", "expires": "Expires on"}[word] + (row.group(0) if row else "")
        page.get_by_label(said).fill(value)


def told_done(page, name):
    expect(page.get_by_role("status")).to_contain_text(f"Done: {name}")


def ask_for_a_supplier(page, personal_data="No"):
    """Fill the supplier onboarding's start form as procurement would, for Acme Data (not sent yet)."""
    start(page, "AI supplier onboarding (A.10.3)")
    field(page, "Supplier").fill("Acme Data")
    page.get_by_label("Supplier contact's e-mail").fill("anna@acme.example")
    page.get_by_label("Business owner").select_option("olivia")
    page.get_by_label("model or algorithm").check()
    page.get_by_label("AI systems it touches").fill("credit-scoring")
    page.get_by_role("group", name="Personal data involved").get_by_label(personal_data).check()


def supplier_answers(browser, demo):
    """Acme's contact answers the due diligence through the link e-mailed to her (read off the Outbox)."""
    anna = outside_party(browser)
    anna.goto(link_in_outbox(person(browser, demo, "olivia"), "anna@acme.example"))
    anna.get_by_label("Legal name").fill("Acme Data Ltd")
    anna.get_by_label("Country").fill("IE")
    for promise in ("Data processing agreement signed", "Commits to notify incidents", "Commits to notify changes"):
        anna.get_by_role("group", name=promise).get_by_label("Yes").check()
    choose_file(anna, "Signed data processing agreement (PDF)", "acme-dpa.pdf", effective="2026-01-01")
    anna.get_by_role("button", name="Send").click()
    expect(anna.get_by_role("heading", name="Thank you")).to_be_visible()
    return anna
