"""Steps the browser tests share (the pages come from the `new_page` fixture)."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connection

from tests.factories import PASSWORD


def in_a_thread(call, /, *args, **kwargs):
    """`call(*args, **kwargs)` on a thread of its own; its result. For service calls: Playwright's
    sync API keeps an event loop in the test's thread, where publishing after commit (through
    async_to_sync) cannot run."""

    def run():
        try:
            return call(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def sign_in(page, server, agent):
    page.goto(f"{server.url}/accounts/login/?next=/agent/")
    page.get_by_label("Username").fill(agent.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/agent/")
    page.wait_for_function(
        "() => !document.getElementById('connection') || document.getElementById('connection').hidden"
    )


def start_visitor_chat(page, server, *, name, email, question, department="Sales"):
    page.goto(f"{server.url}/chat/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Question").fill(question)
    page.get_by_label("Department").select_option(label=department)
    page.get_by_role("button", name="Start chat").click()
    page.get_by_text("Waiting for an agent").wait_for()


def screenshot(page, name: str) -> None:
    """Save `page` as SCREENSHOTS_DIR/<name>.png when that is set (`make screenshots` sets it to
    docs/screenshots, for the README); otherwise take nothing."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png")
