"""The visitor on a phone and in another tab: the open widget covers a 390×844 or 360×640 screen
with a close button in its header and every control in view (End chat included); /demo/ is no
wider than the screen; the closed launcher counts the agent's messages; while the page is hidden an
agent's message puts a count in its title and plays a sound (once the visitor has interacted), and
both go when the page is shown again; a chat going on is loaded again on the site's next page."""

import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from tests.factories import AgentFactory
from tests.support.browser import in_a_thread, screenshot, start_visitor_chat
from tests.support.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

PHONES = [(390, 844), (360, 640)]

# Whether the element is inside the viewport and is what a click at its centre would hit.
IN_VIEW_AND_UNCOVERED = """element => {
  const box = element.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const inView = box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight;
  const hit = document.elementFromPoint(x, y);
  return inView && !!hit && (hit === element || element.contains(hit));
}"""

# The page's hidden state made controllable (headless tabs are always visible), in every frame,
# and every sound the page tries to play counted.
HIDDEN_AND_SOUNDS = """
window.__hidden = false;
window.__plays = 0;
Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => window.top.__hidden });
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get: () => (window.top.__hidden ? "hidden" : "visible"),
});
HTMLMediaElement.prototype.play = function () { window.__plays += 1; return Promise.resolve(); };
"""

SET_HIDDEN = """hidden => {
  window.__hidden = hidden;
  const frames = [window, ...Array.from(document.querySelectorAll("iframe"), (f) => f.contentWindow)];
  for (const target of frames) target.document.dispatchEvent(new Event("visibilitychange"));
}"""


def in_view(page, locator):
    expect(locator).to_be_visible()
    assert locator.evaluate(IN_VIEW_AND_UNCOVERED), f"{locator} is out of view or covered"


def no_sideways_scroll(page_or_frame):
    assert page_or_frame.evaluate("document.documentElement.scrollWidth <= innerWidth"), "scrolls sideways"


def chat_frame(page):
    """The widget's iframe as a Frame (for evaluate), once it has loaded the chat page."""
    return wait_until(lambda: next((f for f in page.frames if "/chat/?embed=1" in f.url), None))


def open_widget(page, server):
    page.goto(f"{server.url}/demo/")
    page.get_by_role("button", name="Chat with us").click()
    widget = page.frame_locator("iframe[title='Live chat']")
    expect(widget.get_by_role("button", name="Start chat")).to_be_enabled()  # visitor.js has the form
    return widget


def start_in_widget(widget, *, name="Vera", email="vera@example.org", question="Do you ship to Norway?"):
    widget.get_by_label("Name").fill(name)
    widget.get_by_label("Email").fill(email)
    widget.get_by_label("Question").fill(question)
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.get_by_text("Waiting for an agent")).to_be_visible()
    # The queue position comes over the visitor's socket: it is open, so what follows reaches it.
    expect(widget.get_by_text("You are number 1 in the queue")).to_be_visible()
    return Chat.objects.get(visitor__email=email)


@pytest.mark.parametrize("size", PHONES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_open_widget_covers_the_phone_with_every_control_in_view(daphne_server, new_page, sales, size):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=size)
    widget = open_widget(page, daphne_server)
    frame = page.locator("iframe[title='Live chat']")
    box = frame.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, *size)  # the whole screen
    expect(page.locator("button[aria-expanded]")).to_be_hidden()  # the bubble: under the open chat
    for control in ("Name", "Email", "Question", "Department"):
        in_view(page, widget.get_by_label(control))
    in_view(page, widget.get_by_role("button", name="Start chat"))
    in_view(page, widget.get_by_role("button", name="Close chat window"))

    # A long question is the header's title: it stays two lines, End chat stays on the screen.
    chat = start_in_widget(widget, question="Do you ship to Norway? " * 30)
    in_a_thread(services.chat_accept, actor=alice, chat_id=chat.pk)
    expect(widget.get_by_text("You are chatting with Alice Agent.")).to_be_visible()
    for number in range(12):  # more than fit: the list scrolls inside, the page does not
        in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body=f"Answer line {number}\nand more")
    expect(widget.locator(".message.agent")).to_have_count(12)
    for control in (
        widget.get_by_role("textbox", name="Message"),
        widget.get_by_role("button", name="Send"),
        widget.get_by_role("button", name="End chat"),
        widget.get_by_role("button", name="Close chat window"),
    ):
        in_view(page, control)
    assert widget.locator("body").evaluate("body => body.scrollHeight <= innerHeight"), "the chat page scrolls"
    no_sideways_scroll(page)
    screenshot(page, f"visitor-phone-{size[0]}x{size[1]}")

    widget.get_by_role("button", name="Close chat window").click()
    expect(frame).to_be_hidden()
    bubble = page.get_by_role("button", name="Chat with us")
    in_view(page, bubble)
    expect(bubble).to_be_focused()
    bubble.click()
    in_view(page, widget.get_by_role("button", name="End chat"))  # the same chat, still going on


def test_visitor_page_on_a_small_phone_keeps_end_chat_in_view(daphne_server, new_page, sales):
    AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=(360, 640))
    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Refund? " * 40)
    for control in ("Message", "Send", "End chat"):
        role = "textbox" if control == "Message" else "button"
        in_view(page, page.get_by_role(role, name=control, exact=True))
    no_sideways_scroll(page)
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight"), "the page scrolls"


@pytest.mark.parametrize("size", PHONES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_demo_page_fits_a_phone(daphne_server, new_page, size):
    page = new_page(viewport=size)
    page.goto(f"{daphne_server.url}/demo/")
    expect(page.get_by_text("chat/widget.js")).to_be_visible()
    no_sideways_scroll(page)
    in_view(page, page.get_by_role("button", name="Chat with us"))


def test_closed_launcher_counts_the_agents_messages_and_a_hidden_page_its_title(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=(390, 844))
    page.context.add_init_script(HIDDEN_AND_SOUNDS)
    widget = open_widget(page, daphne_server)
    chat = start_in_widget(widget)
    in_a_thread(services.chat_accept, actor=alice, chat_id=chat.pk)
    expect(widget.get_by_text("You are chatting with Alice Agent.")).to_be_visible()

    widget.get_by_role("button", name="Close chat window").click()
    bubble = page.get_by_role("button", name="Chat with us")
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Yes, we do.")
    expect(bubble).to_have_accessible_name("Chat with us (1 new message)")
    expect(bubble).to_have_text("1")
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="In 3 days.")
    expect(bubble).to_have_accessible_name("Chat with us (2 new messages)")
    screenshot(page, "visitor-phone-unread-badge")
    bubble.click()  # opening reads them
    expect(widget.locator(".message.agent")).to_have_count(2)
    widget.get_by_role("button", name="Close chat window").click()
    expect(bubble).to_have_accessible_name("Chat with us")
    expect(bubble).to_have_text("")

    # The visitor looks at another tab: the title counts, the sound plays (they typed earlier).
    title = page.title()
    page.evaluate(SET_HIDDEN, True)
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Anything else?")
    expect(page).to_have_title(f"(1) New message – {title}")
    wait_until(lambda: chat_frame(page).evaluate("window.__plays") == 1)
    page.evaluate(SET_HIDDEN, False)
    expect(page).to_have_title(title)


def test_visitor_page_title_and_sound_only_after_an_interaction(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page()
    page.context.add_init_script(HIDDEN_AND_SOUNDS)
    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Hello?")
    chat = Chat.objects.get()
    in_a_thread(services.chat_accept, actor=alice, chat_id=chat.pk)
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Hi Vera")
    expect(page.locator(".message.agent")).to_have_count(1)
    assert page.title() == "Chat with us"  # shown: nothing to call attention to

    # A reload replays the conversation: history, not news, even while hidden. The visitor has
    # not touched the reloaded page yet, so a new message changes the title but plays no sound.
    page.reload()
    expect(page.locator(".message.agent")).to_have_count(1)
    page.evaluate(SET_HIDDEN, True)
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Still there?")
    expect(page).to_have_title("(1) New message – Chat with us")
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Hello?")
    expect(page).to_have_title("(2) New message – Chat with us")
    assert page.evaluate("window.__plays") == 0
    page.evaluate(SET_HIDDEN, False)
    expect(page).to_have_title("Chat with us")

    page.get_by_role("textbox", name="Message").click()  # an interaction: sound is allowed now
    page.evaluate(SET_HIDDEN, True)
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="One more thing")
    expect(page).to_have_title("(1) New message – Chat with us")
    wait_until(lambda: page.evaluate("window.__plays") == 1)


def test_a_chat_going_on_is_counted_on_the_next_page_of_the_site(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=(390, 844))
    widget = open_widget(page, daphne_server)
    chat = start_in_widget(widget)
    in_a_thread(services.chat_accept, actor=alice, chat_id=chat.pk)
    expect(widget.get_by_text("You are chatting with Alice Agent.")).to_be_visible()

    page.reload()  # another page of the shop: the chat opens again as it was left, open
    expect(widget.get_by_text("You are chatting with Alice Agent.")).to_be_visible()
    widget.get_by_role("button", name="Close chat window").click()
    page.reload()  # closed this time: loaded, but not shown
    bubble = page.get_by_role("button", name="Chat with us")
    expect(bubble).to_be_visible()
    expect(page.locator("iframe[title='Live chat']")).to_be_hidden()
    chat_frame(page).wait_for_function("() => !document.getElementById('conversation-view').hidden")
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Still there?")
    expect(bubble).to_have_accessible_name("Chat with us (1 new message)")

    bubble.click()
    expect(widget.locator(".message.agent")).to_contain_text(["Still there?"])
