"""The Reports page (/reports/): for holders of chat.view_reports, linked in the top bar only for them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests.factories import AgentFactory, ChatFactory


@pytest.fixture
def manager(sales):
    agent = AgentFactory(display_name="Mia Manager", departments=[sales])
    agent.user.user_permissions.add(Permission.objects.get(content_type__app_label="chat", codename="view_reports"))
    return agent


def signed_in(client, agent):
    client.force_login(agent.user)
    return client


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/reports/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_agent_without_the_permission_gets_403_and_no_menu_entry(client, agent):
    signed_in(client, agent)
    assert client.get("/reports/").status_code == 403
    assert 'href="/reports/"' not in client.get("/tickets/").content.decode()


def test_the_manager_sees_tables_csv_links_and_the_chart_data(client, manager, sales):
    now = timezone.now()
    ChatFactory(
        department=sales, owner=manager, started_at=now, accepted_at=now + timedelta(seconds=12), status="active"
    )
    signed_in(client, manager)
    page = client.get("/reports/").content.decode()
    assert 'href="/reports/" aria-current="page">Reports</a>' in page  # the top bar's entry
    assert 'id="report-days" type="application/json"' in page
    assert page.count("Download CSV") == 3
    today = timezone.localdate()
    week = f"from={today - timedelta(days=6)}&amp;to={today}"
    assert f"/api/v1/reports/chats/?{week}&amp;group_by=agent&amp;format=csv" in page
    assert "Mia Manager" in page and "12 s" in page
    assert 'src="/static/vendor/chartjs/chart.umd.' in page  # hashed by the manifest storage


def test_a_department_filter_goes_into_the_csv_links(client, manager, sales):
    signed_in(client, manager)
    page = client.get("/reports/", {"from": "2026-01-01", "to": "2026-01-31", "department": "sales"}).content.decode()
    assert "/api/v1/reports/chats/?from=2026-01-01&amp;to=2026-01-31&amp;department=sales&amp;group_by=day" in page
    assert '<option value="sales" selected>' in page


def test_the_form_as_sent_with_all_departments(client, manager):
    signed_in(client, manager)
    page = client.get("/reports/", {"from": "2026-01-01", "to": "2026-01-07", "department": ""}).content.decode()
    assert "report-errors" not in page and "report-days" in page


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "`to` is before `from`."),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "A report covers at most 366 days."),
        ({"from": "soon"}, "Date has wrong format"),
        ({"department": "nope"}, "No department"),
    ],
)
def test_bad_filters_are_shown_as_form_errors(client, manager, query, error):
    signed_in(client, manager)
    response = client.get("/reports/", query)
    assert response.status_code == 200
    page = response.content.decode()
    assert "report-errors" in page and error in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert "report-days" not in page
