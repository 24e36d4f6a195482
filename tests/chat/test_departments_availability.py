"""GET /api/v1/departments/ says, per department, whether a visitor's chat could start now and, if
not, why and when it opens, with the department's greeting, away message and widget colour
(issue 14): the widget shows the offline message form instead of letting the visitor wait."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.models import Agent, ClosedDate, Department, OpeningHours
from tests.factories import AgentFactory, DepartmentFactory, accepted_chat

pytestmark = pytest.mark.django_db

URL = "/api/v1/departments/"


def departments() -> dict[str, dict]:
    response = APIClient().get(URL)
    assert response.status_code == 200, response.content
    return {department["slug"]: department for department in response.json()}


def availability(slug: str) -> tuple:
    department = departments()[slug]
    return department["available"], department["offline_reason"], department["opens_at"]


def test_every_field_a_visitor_needs(sales):
    sales.greeting, sales.away_message, sales.widget_colour = "Hi!", "Back on Monday.", "#0f766e"
    sales.save()
    AgentFactory(departments=[sales])
    assert APIClient().get(URL).json() == [
        {
            "id": sales.pk,
            "name": "Sales",
            "slug": "sales",
            "routing": "broadcast",
            "available": True,
            "offline_reason": None,
            "opens_at": None,
            "greeting": "Hi!",
            "away_message": "Back on Monday.",
            "widget_colour": "#0f766e",
        }
    ]


def test_the_defaults_of_a_new_department(db):
    DepartmentFactory(slug="new")
    department = departments()["new"]
    assert department["greeting"] == Department.DEFAULT_GREETING
    assert (department["away_message"], department["widget_colour"]) == ("", "#2563eb")
    assert (department["available"], department["offline_reason"]) == (False, "no_agents")


@pytest.mark.parametrize(
    "agent",
    [
        {"chat_status": Agent.ChatStatus.OFFLINE},
        {"connected": False},  # Online, but their browser has been closed for longer than the grace: away
        {"chat_enabled": False},
        {"user__is_active": False},
    ],
    ids=["offline", "away", "not-chat-enabled", "deactivated"],
)
@pytest.mark.parametrize("routing", Department.Routing.values)
def test_no_agent_who_could_take_a_chat_is_no_agents(sales, agent, routing):
    sales.routing = routing
    sales.save()
    AgentFactory(departments=[sales], **agent)
    AgentFactory(departments=[DepartmentFactory(slug="other")])  # available, in another department
    assert availability("sales") == (False, "no_agents", None)
    assert availability("other") == (True, None, None)


def test_broadcast_needs_an_agent_with_room(sales):
    busy = AgentFactory(departments=[sales], max_concurrent_chats=1)
    accepted_chat(agent=busy, department=sales)
    assert availability("sales") == (False, "no_agents", None)
    AgentFactory(departments=[sales])
    assert availability("sales") == (True, None, None)


@pytest.mark.parametrize("routing", Department.ONE_AT_A_TIME)
def test_routed_one_at_a_time_an_agent_at_their_limit_is_enough_the_chat_queues(sales, routing):
    sales.routing = routing
    sales.save()
    busy = AgentFactory(departments=[sales], max_concurrent_chats=1)
    accepted_chat(agent=busy, department=sales)
    assert availability("sales") == (True, None, None)


def midnight_after(now: datetime, zone: str) -> datetime:
    local = now.astimezone(ZoneInfo(zone))
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=ZoneInfo(zone))


def parsed(opens_at: str) -> datetime:
    assert opens_at.endswith("Z")  # as every timestamp of the API, in UTC
    return datetime.fromisoformat(opens_at)


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_a_closed_date_is_outside_hours_even_with_agents_and_says_when_it_opens(sales, zone):
    sales.time_zone = zone
    sales.save()
    AgentFactory(departments=[sales])
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    ClosedDate.objects.create(department=sales, date=today, reason="Holiday")
    ClosedDate.objects.create(department=sales, date=today - timedelta(days=30))  # long past: no matter
    available, reason, opens_at = availability("sales")
    assert (available, reason) == (False, "outside_hours")
    assert parsed(opens_at) == midnight_after(timezone.now(), zone)  # no hours: open all the next day


def test_outside_the_weekly_hours_it_opens_at_the_next_period(sales):
    sales.time_zone = "Europe/Berlin"
    sales.save()
    now = timezone.now().astimezone(ZoneInfo("Europe/Berlin"))
    tomorrow = (now.weekday() + 1) % 7
    OpeningHours.objects.create(department=sales, weekday=tomorrow, opens=time(0), closes=time(23, 59))
    available, reason, opens_at = availability("sales")  # with nobody there either: outside hours wins
    assert (available, reason) == (False, "outside_hours")
    assert parsed(opens_at) == midnight_after(now, "Europe/Berlin")


def test_within_the_hours_it_is_open(sales):
    AgentFactory(departments=[sales])
    for weekday in range(7):
        OpeningHours.objects.create(department=sales, weekday=weekday, opens=time(0), closes=time(23, 59))
    assert availability("sales") == (True, None, None)


def test_no_opening_within_two_weeks_has_no_opens_at(sales):
    today = timezone.now().date()
    ClosedDate.objects.bulk_create(ClosedDate(department=sales, date=today + timedelta(days=n)) for n in range(-1, 16))
    assert availability("sales") == (False, "outside_hours", None)


def test_a_few_queries_however_many_departments(django_assert_max_num_queries):
    for n in range(10):
        department = DepartmentFactory(slug=f"d{n}", routing=Department.Routing.values[n % 3])
        AgentFactory(departments=[department], connected=n % 2 == 0)
        OpeningHours.objects.create(department=department, weekday=n % 7, opens=time(8), closes=time(18))
        ClosedDate.objects.create(department=department, date=date.today() + timedelta(days=n))
    with django_assert_max_num_queries(3):  # departments with staffing, their hours, their closed dates
        response = APIClient().get(URL)
    assert response.status_code == 200 and len(response.json()) == 10


def test_ordered_by_name_public_and_unpaginated(db):
    for name in ("Support", "Billing", "Sales"):
        DepartmentFactory(name=name, slug=name.lower())
    response = APIClient().get(URL, HTTP_AUTHORIZATION="Token stale")
    assert [department["name"] for department in response.json()] == ["Billing", "Sales", "Support"]
