"""Chat reports (chat/reports.py, GET /api/v1/reports/chats/): every figure pinned against
hand-built chats with known timestamps, in a time zone that is not UTC, on whichever database
DATABASE_URL names (SQLite or PostgreSQL: the numbers must be the same)."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import Chat, ChatParticipant, Message, Transfer
from chat.reports import FIGURES, ReportRange, chat_report
from tests.factories import AgentFactory, ChatFactory, DepartmentFactory
from tests.support.api import api_client_for
from tickets.models import Ticket

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    """A moment in Berlin time, e.g. "2026-01-10 23:50:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def manager(sales):
    agent = AgentFactory(display_name="Mia Manager", departments=[sales])
    agent.user.user_permissions.add(Permission.objects.get(content_type__app_label="chat", codename="view_reports"))
    return agent


def make_chat(*, started, department, owner=None, wait=None, handle=None, status=None, reason="", rating=None):
    accepted = started + s(wait) if wait is not None else None
    chat = ChatFactory(
        department=department,
        owner=owner,
        started_at=started,
        accepted_at=accepted,
        ended_at=accepted + s(handle) if handle is not None else None,
        status=status or (Chat.Status.ENDED if handle is not None else Chat.Status.ACTIVE),
        missed_reason=reason,
        rating_score=rating,
        missed_deadline=started + s(300),
    )
    if owner:
        ChatParticipant.objects.create(chat=chat, agent=owner, joined_at=accepted)
    return chat


def say(chat, kind, after_accept, *, agent=None, internal=False):
    chat.last_seq += 1
    chat.save(update_fields=["last_seq"])
    return Message.objects.create(
        chat=chat,
        seq=chat.last_seq,
        sender_kind=kind,
        sender_name=agent.display_name if agent else "Visitor",
        sender_agent=agent,
        body="text",
        created_at=chat.accepted_at + s(after_accept),
        internal=internal,
    )


def offline_message(department, when):
    ticket = Ticket.objects.create(
        subject="Offline",
        requester_name="V",
        requester_email="v@example.org",
        department=department,
        channel=Ticket.Channel.OFFLINE_MESSAGE,
        kind=Ticket.Kind.MISSED_CHAT,
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=when)
    return ticket


@pytest.fixture
def world(berlin, sales, support):
    """Two local days, 10 and 11 January 2026 in Berlin (UTC+1), and chats just outside them."""
    alice = AgentFactory(display_name="Alice", departments=[sales])
    bob = AgentFactory(display_name="Bob", departments=[support])
    # 10 Jan: answered in 30 s; a note at +5 s is no answer, the first reply comes at +10 s.
    c1 = make_chat(started=at("2026-01-10 09:00:00"), department=sales, owner=alice, wait=30, handle=600, rating=5)
    say(c1, Message.SenderKind.SYSTEM, 0)
    say(c1, Message.SenderKind.AGENT, 5, agent=alice, internal=True)
    say(c1, Message.SenderKind.AGENT, 10, agent=alice)
    say(c1, Message.SenderKind.VISITOR, 15)
    say(c1, Message.SenderKind.AGENT, 40, agent=alice)
    Transfer.objects.create(chat=c1, from_agent=bob, to_agent=alice, status="accepted", expires_at=timezone.now())
    Transfer.objects.create(chat=c1, from_agent=alice, to_agent=bob, status="declined", expires_at=timezone.now())
    # 10 Jan 23:50, accepted after midnight: it counts on the day it started.
    c2 = make_chat(started=at("2026-01-10 23:50:00"), department=sales, owner=alice, wait=40, handle=1200, rating=3)
    say(c2, Message.SenderKind.VISITOR, 1)
    say(c2, Message.SenderKind.AGENT, 20, agent=alice)
    # 11 Jan 00:30 in Berlin is still 10 Jan in UTC: local day 11. Active, no reply yet.
    make_chat(started=at("2026-01-11 00:30:00"), department=support, owner=bob, wait=90)
    make_chat(started=at("2026-01-11 10:00:00"), department=sales, status=Chat.Status.MISSED, reason="no_answer")
    make_chat(started=at("2026-01-11 11:00:00"), department=sales, status=Chat.Status.MISSED, reason="abandoned")
    # Outside: the minute before the first day, and the second day's end (exclusive).
    make_chat(started=at("2026-01-09 23:59:00"), department=sales, owner=alice, wait=1, handle=1)
    make_chat(started=at("2026-01-12 00:00:00"), department=sales, owner=alice, wait=1, handle=1)
    offline_message(support, at("2026-01-10 08:00:00"))
    offline_message(sales, at("2026-01-11 12:00:00"))
    offline_message(sales, at("2026-01-12 00:00:01"))
    return {"alice": alice, "bob": bob}


SPAN = ReportRange(date(2026, 1, 10), date(2026, 1, 11))

TOTAL = {
    "chats_started": 5,
    "chats_accepted": 3,
    "chats_missed": 1,
    "chats_abandoned": 1,
    "offline_messages": 2,
    "missed_rate": 0.25,  # 1 missed of the 4 chats that waited it out
    "wait_p50_seconds": 40.0,  # of 30, 40, 90: rank ceil(1.5) = 2
    "wait_p90_seconds": 90.0,  # rank ceil(2.7) = 3
    "first_response_p50_seconds": 10.0,  # of 10, 20 (the active chat has no reply): rank 1
    "first_response_p90_seconds": 20.0,  # rank ceil(1.8) = 2
    "handle_p50_seconds": 600.0,  # of 600, 1200
    "messages": 5,  # no system message, no note
    "transfers": 1,  # accepted ones only
    "rating_avg": 4.0,
    "ratings": 2,
}
NOTHING = {name: (0 if name in ("chats_started", "chats_accepted", "chats_missed", "chats_abandoned",
           "offline_messages", "messages", "transfers", "ratings") else None) for name in FIGURES}  # fmt: skip


def test_total_pins_every_figure(world):
    report = chat_report(span=SPAN, group_by="day")
    assert report["total"] == TOTAL
    assert list(report["total"]) == list(FIGURES)
    assert (report["from"], report["to"], report["group_by"]) == ("2026-01-10", "2026-01-11", "day")


def test_days_are_local_days_and_a_chat_counts_on_the_day_it_started(world):
    rows = chat_report(span=SPAN, group_by="day")["rows"]
    assert [(row["key"], row["label"]) for row in rows] == [("2026-01-10", "2026-01-10"), ("2026-01-11", "2026-01-11")]
    first, second = ({k: v for k, v in row.items() if k not in ("key", "label")} for row in rows)
    assert first == {
        **TOTAL,
        "chats_started": 2,
        "chats_accepted": 2,
        "chats_missed": 0,
        "chats_abandoned": 0,
        "offline_messages": 1,
        "missed_rate": 0.0,
        "wait_p50_seconds": 30.0,
        "wait_p90_seconds": 40.0,
    }
    assert second == {
        **NOTHING,
        "chats_started": 3,
        "chats_accepted": 1,
        "chats_missed": 1,
        "chats_abandoned": 1,
        "offline_messages": 1,
        "missed_rate": 0.5,
        "wait_p50_seconds": 90.0,
        "wait_p90_seconds": 90.0,
    }


def test_in_utc_the_chat_after_local_midnight_is_on_the_earlier_day(world, settings):
    settings.TIME_ZONE = "UTC"
    rows = chat_report(span=SPAN, group_by="day")["rows"]
    # UTC days: 10 Jan holds the 00:30 Berlin chat too; the 23:59 Berlin one on the 9th (22:59 UTC) stays out.
    assert [row["chats_started"] for row in rows] == [3, 3]  # 11 Jan UTC gains the 12 Jan 00:00 Berlin chat


def test_per_agent_the_unowned_chats_and_offline_messages_have_a_row_of_their_own(world):
    rows = {row["label"]: row for row in chat_report(span=SPAN, group_by="agent")["rows"]}
    assert list(rows) == ["Alice", "Bob", "No agent"]
    alice, bob, nobody = rows["Alice"], rows["Bob"], rows["No agent"]
    assert alice["key"] == world["alice"].pk and nobody["key"] is None
    assert (alice["chats_started"], alice["chats_accepted"], alice["messages"], alice["transfers"]) == (2, 2, 5, 1)
    assert (alice["wait_p50_seconds"], alice["first_response_p90_seconds"], alice["handle_p50_seconds"]) == (
        30.0,
        20.0,
        600.0,
    )
    assert (alice["rating_avg"], alice["offline_messages"], alice["missed_rate"]) == (4.0, 0, 0.0)
    assert (bob["chats_started"], bob["wait_p90_seconds"], bob["first_response_p50_seconds"]) == (1, 90.0, None)
    assert (bob["handle_p50_seconds"], bob["rating_avg"], bob["ratings"]) == (None, None, 0)
    assert (nobody["chats_missed"], nobody["chats_abandoned"], nobody["offline_messages"]) == (1, 1, 2)
    assert (nobody["chats_accepted"], nobody["wait_p50_seconds"], nobody["missed_rate"]) == (0, None, 1.0)


def test_per_department_and_filtered_by_department(world, sales):
    rows = {row["key"]: row for row in chat_report(span=SPAN, group_by="department")["rows"]}
    assert list(rows) == ["sales", "support"]
    assert rows["sales"]["label"] == "Sales"
    assert (rows["sales"]["chats_started"], rows["sales"]["offline_messages"]) == (4, 1)
    assert (rows["support"]["chats_started"], rows["support"]["offline_messages"]) == (1, 1)
    only_sales = chat_report(span=SPAN, group_by="day", department=sales)["total"]
    assert only_sales == {
        **TOTAL,
        "chats_started": 4,
        "chats_accepted": 2,
        "offline_messages": 1,
        "missed_rate": 0.3333,
        "wait_p50_seconds": 30.0,
        "wait_p90_seconds": 40.0,
    }
    assert [row["key"] for row in chat_report(span=SPAN, group_by="department", department=sales)["rows"]] == ["sales"]


def test_no_chats_no_made_up_zeros(berlin, sales):
    report = chat_report(span=SPAN, group_by="day")
    assert report["total"] == NOTHING
    assert [row["chats_started"] for row in report["rows"]] == [0, 0]
    assert chat_report(span=SPAN, group_by="agent")["rows"] == []


def test_a_chat_without_department_has_a_row_without_key(berlin, sales):
    make_chat(started=at("2026-01-10 12:00:00"), department=None, wait=3, handle=4, owner=AgentFactory())
    rows = chat_report(span=SPAN, group_by="department")["rows"]
    assert [(row["key"], row["label"], row["wait_p50_seconds"]) for row in rows] == [(None, "No department", 3.0)]


def test_milliseconds_are_kept(berlin, sales):
    make_chat(started=at("2026-01-10 12:00:00.250000"), department=sales, wait=1.5, owner=AgentFactory())
    assert chat_report(span=SPAN, group_by="day")["total"]["wait_p50_seconds"] == 1.5


# The API ---------------------------------------------------------------------------------


URL = "/api/v1/reports/chats/"


def test_api_answers_the_report(world, manager):
    response = api_client_for(manager).get(URL, {"from": "2026-01-10", "to": "2026-01-11", "group_by": "agent"})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["from", "to", "group_by", "rows", "total"]
    assert body["total"] == TOTAL
    assert [row["label"] for row in body["rows"]] == ["Alice", "Bob", "No agent"]


def test_api_filters_by_department(world, manager):
    body = api_client_for(manager).get(URL, {"from": "2026-01-10", "to": "2026-01-11", "department": "sales"}).json()
    assert body["total"]["chats_started"] == 4 and body["group_by"] == "day"


def test_api_defaults_to_the_last_seven_days_by_day(berlin, manager):
    body = api_client_for(manager).get(URL).json()
    today = timezone.localdate(timezone=BERLIN)
    assert (body["from"], body["to"]) == ((today - timedelta(days=6)).isoformat(), today.isoformat())
    assert len(body["rows"]) == 7


def test_api_csv_download(world, manager):
    response = api_client_for(manager).get(
        URL, {"from": "2026-01-10", "to": "2026-01-11", "group_by": "department", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="chats-by-department-2026-01-10-to-2026-01-11.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["key", "label", *FIGURES]
    assert [line[:3] for line in lines[1:]] == [
        ["sales", "Sales", "4"],
        ["support", "Support", "1"],
        ["total", "Total", "5"],
    ]
    assert lines[2][FIGURES.index("rating_avg") + 2] == ""  # null is an empty cell


def test_csv_quotes_what_a_spreadsheet_would_run(berlin, sales, manager):
    DepartmentFactory(name="=HYPERLINK(1)", slug="formula")
    make_chat(started=at("2026-01-10 12:00:00"), department=DepartmentFactory(slug="formula"))
    content = api_client_for(manager).get(URL, {"from": "2026-01-10", "group_by": "department", "format": "csv"})
    assert "'=HYPERLINK(1)" in content.content.decode()


def test_options_is_json_also_with_format_csv(manager):
    response = api_client_for(manager).options(URL, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_anonymous_is_401_and_an_agent_without_the_permission_403(world, agent):
    assert APIClient().get(URL).status_code == 401
    response = api_client_for(agent).get(URL, {"format": "csv"})
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-1-1"}, "to"),
        ({"to": "2026-01-01\n"}, "to"),
        ({"from": "1969-12-31"}, "from"),
        ({"from": "3000-01-01"}, "from"),
        ({"from": "2026-01-11", "to": "2026-01-10"}, "to"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
        ({"group_by": "week"}, "group_by"),
        ({"group_by": ""}, "group_by"),
    ],
)
def test_bad_input_is_400(manager, query, field):
    response = api_client_for(manager).get(URL, {**query, "format": "csv"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body and body["detail"]


def test_366_days_are_fine(manager):
    assert api_client_for(manager).get(URL, {"from": "2024-01-01", "to": "2024-12-31"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "span"),
    [
        ({"from": "2026-03-01"}, ("2026-03-01", "2026-03-07")),
        ({"to": "2026-03-07"}, ("2026-03-01", "2026-03-07")),
        ({"from": "1970-01-01"}, ("1970-01-01", "1970-01-07")),
        ({"to": "2999-12-31"}, ("2999-12-25", "2999-12-31")),
    ],
)
def test_one_end_given_makes_a_week(berlin, manager, query, span):
    body = api_client_for(manager).get(URL, query).json()
    assert (body["from"], body["to"]) == span


def test_an_unknown_department_is_404_as_elsewhere(manager):
    response = api_client_for(manager).get(URL, {"department": "nope"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["department"]
