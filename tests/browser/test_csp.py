"""The pages under their Content-Security-Policy in Chromium: the agent pages (a live chat over the
websocket included), the visitor page, the widget's iframe on the demo page, the admin and Swagger
UI all work, and the browser refuses nothing. The `new_page` fixture fails any browser test on a
violation; this one makes sure every kind of page is visited."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from tests.factories import AgentFactory, CannedMessageFactory
from tests.support.browser import sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager(sales):
    manager = AgentFactory(
        display_name="Mona Manager", departments=[sales], ringer=False, user__is_staff=True, user__is_superuser=True
    )
    manager.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="canned"))
    return manager


def test_pages_work_and_nothing_is_refused(daphne_server, new_page, csp_violations, manager, sales):
    agent = new_page()
    sign_in(agent, daphne_server, manager)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Plan change?")
    agent.get_by_role("button", name="Accept").click()
    panel = agent.get_by_role("tabpanel")
    panel.get_by_label("Message").fill("Hello Vera")
    panel.get_by_label("Message").press("Enter")
    expect(visitor.locator(".message.agent")).to_contain_text("Hello Vera")  # the websocket under connect-src

    CannedMessageFactory(department=sales, text="Welcome!", shortcut="hi")
    for path, ready in [
        ("/tickets/", "All Tickets"),
        ("/canned/", "Welcome!"),
        ("/canned/new/", "Add Canned Message"),
        ("/canned/categories/", "Categories"),
    ]:
        agent.goto(f"{daphne_server.url}{path}")
        expect(agent.get_by_text(ready).first).to_be_visible()

    agent.goto(f"{daphne_server.url}/admin/helpdesk/agent/{manager.pk}/change/")
    expect(agent.get_by_role("heading", name="Change agent")).to_be_visible()
    # The departments selector is drawn by the admin's own JavaScript.
    expect(agent.get_by_role("button", name=re.compile("Choose all"))).to_be_visible()
    agent.goto(f"{daphne_server.url}/admin/")
    expect(agent.get_by_role("heading", name=re.compile("Site administration"))).to_be_visible()

    agent.goto(f"{daphne_server.url}/api/docs/")
    expect(agent.get_by_text("/api/v1/departments/").first).to_be_visible()  # Swagger UI drew the schema
    agent.goto(f"{daphne_server.url}/api/v1/departments/")  # DRF's browsable API
    expect(agent.get_by_text('"slug": "sales"')).to_be_visible()

    shop = new_page()
    shop.goto(f"{daphne_server.url}/demo/")
    shop.get_by_role("button", name="Chat with us").click()
    widget = shop.frame_locator("iframe[title='Live chat']")
    expect(widget.get_by_role("button", name="Start chat")).to_be_visible()

    assert csp_violations == []
