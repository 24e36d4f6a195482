"""What a visitor says about themselves reaches the agent as that and nothing more: an e-mail
address with mailto: syntax in it stays one recipient in the dashboard's link, and a name the
desk refuses (helpdesk/platform/validators.py) is a field error on the visitor page and the widget."""

import pytest
from playwright.sync_api import expect

from chat.models import Chat
from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)

# A valid address (RFC 5322 allows "?" and "=" before the "@") that, pasted into mailto:, would
# send to "vera" with a copy to mallory@evil.example.
SMUGGLING = "vera?cc=mallory@evil.example"


def test_the_mailto_link_is_the_visitors_one_address(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent = new_page()
    sign_in(agent, daphne_server, alice)
    start_visitor_chat(new_page(), daphne_server, name="Vera", email=SMUGGLING, question="Invoice?")
    agent.get_by_role("button", name="Accept").click()
    link = agent.get_by_role("tabpanel").get_by_role("link", name=SMUGGLING)
    expect(link).to_have_attribute("href", "mailto:vera%3Fcc%3Dmallory@evil.example")


@pytest.mark.parametrize(
    ("name", "error"),
    [("System", '"System" is reserved'), ("\u200b\u200b", "visible characters"), ("Vera\u202e", "text-direction")],
)
def test_a_refused_name_is_a_field_error_in_the_widget(daphne_server, new_page, sales, name, error):
    AgentFactory(departments=[sales])  # someone is available: the form starts a chat
    shop = new_page()
    shop.goto(f"{daphne_server.url}/demo/")
    shop.get_by_role("button", name="Chat with us").click()
    widget = shop.frame_locator("iframe[title='Live chat']")
    widget.get_by_label("Name").fill(name)
    widget.get_by_label("Email").fill("vera@example.org")
    widget.get_by_label("Question").fill("Hello?")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.locator("#error-name")).to_contain_text(error)
    expect(widget.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    assert not Chat.objects.exists()
