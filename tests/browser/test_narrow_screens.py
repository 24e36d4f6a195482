"""The Chat Dashboard at 1024 and 768 px wide: nothing scrolls sideways, the chat's controls are
in view and uncovered, and Visitor Info folds away behind a button (beside the chat when wider)."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or "/tmp")

# Whether the element is inside the viewport and is what a click at its centre would hit.
IN_VIEW_AND_UNCOVERED = """element => {
  const box = element.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const inView = box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight;
  const hit = document.elementFromPoint(x, y);
  return inView && !!hit && (hit === element || element.contains(hit));
}"""


def assert_usable(page, *elements):
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "the page scrolls sideways"
    for element in elements:
        expect(element).to_be_visible()
        assert element.evaluate(IN_VIEW_AND_UNCOVERED), f"{element} is out of view or covered"


@pytest.fixture
def in_a_chat(daphne_server, new_page, sales):
    def open_chat(width, height=700):
        alice = AgentFactory(display_name=f"Alice {width}", departments=[sales], ringer=False)
        page = new_page(viewport=(width, height))
        sign_in(page, daphne_server, alice)
        start_visitor_chat(
            new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Refund?"
        )
        page.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Accept").click()
        expect(page.get_by_role("tab", name=re.compile("Vera"))).to_be_visible()
        return page

    return open_chat


@pytest.mark.parametrize("width", [1024, 768])
def test_dashboard_at_narrow_widths_folds_visitor_info(in_a_chat, width):
    page = in_a_chat(width)
    panel = page.get_by_role("tabpanel")
    info = page.locator("#visitor-info")
    toggle = panel.get_by_role("button", name="Visitor Info")
    expect(info).to_be_hidden()
    assert_usable(
        page,
        panel.get_by_label("Message"),
        panel.get_by_role("button", name="Send"),
        panel.get_by_role("button", name="End Session"),
        panel.get_by_role("button", name="More Actions"),
        toggle,
        page.get_by_role("button", name=re.compile("^Account")),
    )
    page.screenshot(path=SHOTS / f"dashboard-{width}.png")

    toggle.click()
    expect(info).to_be_visible()
    expect(info).to_contain_text("Browser")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("heading", name="Visitor Info")).to_be_focused()
    assert_usable(page, page.get_by_role("heading", name="Visitor Info"))
    page.screenshot(path=SHOTS / f"dashboard-{width}-visitor-info.png")
    page.keyboard.press("Escape")
    expect(info).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()  # and with the mouse: Hide, in the panel that covers the button
    info.get_by_role("button", name="Hide").click()
    expect(info).to_be_hidden()


def test_wide_dashboard_shows_visitor_info_beside_the_chat(in_a_chat):
    page = in_a_chat(1440, 800)
    panel = page.get_by_role("tabpanel")
    expect(page.locator("#visitor-info")).to_contain_text("Browser")
    expect(panel.get_by_role("button", name="Visitor Info")).to_be_hidden()
    assert_usable(page, panel.get_by_role("button", name="Send"), page.get_by_role("heading", name="Visitor Info"))
