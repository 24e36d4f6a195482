"""The Reports page in a browser: both charts drawn, a table downloaded as CSV, no serious
axe-core finding."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Chat
from tests.factories import AgentFactory, ChatFactory
from tests.support.accessibility import assert_accessible
from tests.support.browser import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Pixels that are not transparent: Chart.js drew something.
DRAWN = """(canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def test_reports_page_draws_its_charts_and_downloads_csv(daphne_server, new_page, sales, agents_group):
    manager = AgentFactory(display_name="Mia Manager", departments=[sales], ringer=False, chat_enabled=False)
    manager.user.groups.add(agents_group)
    manager.user.user_permissions.add(Permission.objects.get(content_type__app_label="chat", codename="view_reports"))
    now = timezone.now()
    for days_ago, wait in ((0, 20), (1, 45), (2, 30)):
        started = now - timedelta(days=days_ago, minutes=5)
        ChatFactory(
            department=sales,
            owner=manager,
            started_at=started,
            accepted_at=started + timedelta(seconds=wait),
            ended_at=started + timedelta(minutes=3),
            status=Chat.Status.ENDED,
        )
    ChatFactory(department=sales, started_at=now - timedelta(hours=1), status="missed", missed_reason="no_answer")
    page = new_page()
    sign_in(page, daphne_server, manager)
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports/")
    expect(page.locator(".charts[data-drawn=true]")).to_be_attached()
    for name in ("volume-chart", "times-chart"):
        assert page.locator(f"#{name}").evaluate(DRAWN) > 500
    per_agent = page.get_by_role("region", name="Per agent")
    expect(per_agent.get_by_role("row", name="Mia Manager")).to_be_visible()
    screenshot(page, "reports")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV (Per agent)").click()
    assert download.value.suggested_filename.startswith("chats-by-agent-")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("key,label,chats_started,chats_accepted,chats_missed")
    assert lines[1].startswith(f"{manager.pk},Mia Manager,3,3,0,")
    assert lines[-1].startswith("total,Total,4,3,1,")
    assert_accessible(page)
