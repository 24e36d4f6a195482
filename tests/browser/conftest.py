"""Headless Chromium (Debian's package, driven by the playwright library) against a live Daphne
server and a real Celery worker."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: `make test` installs it (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


FAILURE_SHOTS = Path(__file__).resolve().parents[2] / ".local" / "browser-failures"


# Reports every Content-Security-Policy violation in a page or any of its frames.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => window.__reportCspViolation(
  `${event.effectiveDirective} refused ${event.blockedURI || "inline"} in ${event.documentURI}` +
  ` (${event.sourceFile || "page"}:${event.lineNumber})`));
"""


@pytest.fixture
def csp_violations():
    """What the browser refused under the pages' Content-Security-Policy in any `new_page`."""
    return []


@pytest.fixture
def new_page(browser, request, csp_violations):
    """Pages in separate browser contexts (separate cookies and sessionStorage), failing the
    test on any JavaScript error, dialog or Content-Security-Policy violation."""
    contexts, errors = [], []

    def make(viewport=(1280, 800)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        context.set_default_timeout(10_000)
        context.expose_binding("__reportCspViolation", lambda source, text: csp_violations.append(text))
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: errors.append(f"unexpected dialog: {dialog.message}"))
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and csp_violations.append(message.text),
        )
        return page

    yield make
    for index, context in enumerate(contexts):
        if getattr(request.node, "call_failed", False):
            FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
            for page in context.pages:
                page.screenshot(path=FAILURE_SHOTS / f"{request.node.name}-{index}.png")
        context.close()
    assert errors == []
    assert csp_violations == []
