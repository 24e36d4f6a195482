"""Business hours (helpdesk/agents/hours.py) at fixed moments, across daylight saving changes, and
their settings in the Django admin (issue 14)."""

from datetime import UTC, date, datetime, time

import pytest
from django.test import Client

from helpdesk.agents.hours import LOOK_AHEAD_DAYS, Hours, department_hours, hours_at
from helpdesk.models import ClosedDate, Department, OpeningHours
from tests.factories import DepartmentFactory

BERLIN = "Europe/Berlin"
WEEKDAYS_9_TO_5 = [(weekday, time(9), time(17)) for weekday in range(5)]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def at(moment: datetime, periods=WEEKDAYS_9_TO_5, closed=(), zone=BERLIN) -> Hours:
    return hours_at(time_zone=zone, periods=periods, closed_dates=closed, at=moment)


# Monday 2026-01-12, winter time in Berlin (UTC+1).


def test_open_within_the_hours_closed_outside_with_the_next_opening():
    assert at(utc(2026, 1, 12, 11, 0)) == Hours(open=True)  # 12:00 in Berlin
    before = at(utc(2026, 1, 12, 7, 0))  # 08:00
    assert not before.open and before.opens_at == utc(2026, 1, 12, 8, 0)
    assert before.opens_at.tzinfo.key == BERLIN and before.opens_at.hour == 9  # in the department's time zone
    assert at(utc(2026, 1, 12, 8, 0)).open  # opening time: open
    closing = at(utc(2026, 1, 12, 16, 0))  # 17:00: closed, opens Tuesday 09:00
    assert not closing.open and closing.opens_at == utc(2026, 1, 13, 8, 0)


def test_friday_evening_opens_on_monday():
    friday_evening = at(utc(2026, 1, 16, 18, 0))
    assert not friday_evening.open and friday_evening.opens_at == utc(2026, 1, 19, 8, 0)
    assert at(utc(2026, 1, 17, 12, 0)).opens_at == utc(2026, 1, 19, 8, 0)  # Saturday


def test_the_weekday_is_the_one_in_the_departments_time_zone():
    # Sunday 23:30 UTC is Monday 00:30 in Berlin, and still Sunday 18:30 in New York.
    sunday_night = utc(2026, 1, 11, 23, 30)
    all_monday = [(0, time(0), time(23, 59))]
    assert at(sunday_night, periods=all_monday).open
    assert not at(sunday_night, periods=all_monday, zone="America/New_York").open


def test_several_periods_a_day_and_the_gap_between():
    periods = [(0, time(9), time(12)), (0, time(13), time(17))]
    assert at(utc(2026, 1, 12, 10, 0), periods).open
    lunch = at(utc(2026, 1, 12, 11, 30), periods)  # 12:30
    assert not lunch.open and lunch.opens_at == utc(2026, 1, 12, 12, 0)
    assert at(utc(2026, 1, 12, 12, 0), periods).open


def test_without_hours_always_open_except_on_closed_dates():
    assert at(utc(2026, 1, 12, 3, 0), periods=[]).open
    closed = at(utc(2026, 12, 25, 10, 0), periods=[], closed=[date(2026, 12, 25)])
    assert not closed.open and closed.opens_at == utc(2026, 12, 25, 23, 0)  # midnight in Berlin


def test_closed_dates_are_days_in_the_departments_time_zone():
    # New Year's Day in Auckland (UTC+13) starts at 11:00 UTC on New Year's Eve.
    new_year = [date(2026, 1, 1)]
    assert at(utc(2025, 12, 31, 10, 59), periods=[], closed=new_year, zone="Pacific/Auckland").open
    closed = at(utc(2025, 12, 31, 11, 0), periods=[], closed=new_year, zone="Pacific/Auckland")
    assert not closed.open and closed.opens_at == utc(2026, 1, 1, 11, 0)


def test_a_closed_date_closes_a_working_day():
    closed = at(utc(2026, 5, 1, 10, 0), closed=[date(2026, 5, 1)])  # a Friday, Labour Day
    assert not closed.open and closed.opens_at == utc(2026, 5, 4, 7, 0)  # Monday 09:00 summer time


def test_closing_at_23_59_runs_to_midnight_and_on_into_the_next_day():
    periods = [(0, time(22), time(23, 59)), (1, time(0), time(2))]
    assert at(utc(2026, 1, 12, 22, 59, 30), periods).open  # Monday 23:59:30 in Berlin
    assert at(utc(2026, 1, 12, 23, 0), periods).open  # Tuesday 00:00
    after = at(utc(2026, 1, 13, 1, 0), periods)  # Tuesday 02:00
    assert not after.open and after.opens_at == utc(2026, 1, 19, 21, 0)


def test_spring_forward_keeps_local_opening_times():
    # Clocks go from 02:00 CET to 03:00 CEST on Sunday 2026-03-29.
    friday = at(utc(2026, 3, 27, 17, 0))  # Friday 18:00 CET
    assert friday.opens_at == utc(2026, 3, 30, 7, 0)  # Monday 09:00 CEST, not 08:00 UTC
    assert at(utc(2026, 3, 30, 7, 0)).open and not at(utc(2026, 3, 30, 6, 59)).open
    # A period on the short Sunday itself: 01:00 CET (00:00 UTC) to 05:00 CEST (03:00 UTC).
    sunday = [(6, time(1), time(5))]
    assert at(utc(2026, 3, 29, 2, 59), sunday).open and not at(utc(2026, 3, 29, 3, 0), sunday).open
    # 02:30 does not exist that day: the period starts at the first moment after the gap.
    gap = at(utc(2026, 3, 29, 0, 30), [(6, time(2, 30), time(6))])
    assert gap.opens_at == utc(2026, 3, 29, 1, 30) and gap.opens_at.hour == 3


def test_fall_back_keeps_local_opening_times():
    # Clocks go from 03:00 CEST back to 02:00 CET on Sunday 2026-10-25.
    friday = at(utc(2026, 10, 23, 16, 0))  # Friday 18:00 CEST
    assert friday.opens_at == utc(2026, 10, 26, 8, 0)  # Monday 09:00 CET, not 07:00 UTC
    # The long Sunday: 01:00 CEST (23:00 UTC the day before) to 05:00 CET (04:00 UTC), five hours.
    sunday = [(6, time(1), time(5))]
    assert at(utc(2026, 10, 24, 23, 0), sunday).open and at(utc(2026, 10, 25, 3, 59), sunday).open
    assert not at(utc(2026, 10, 25, 4, 0), sunday).open


def test_no_opening_within_the_look_ahead_is_none():
    mondays = [(0, time(9), time(17))]
    tuesday = utc(2026, 1, 13, 12, 0)
    assert LOOK_AHEAD_DAYS == 14
    closed = [date(2026, 1, 19), date(2026, 1, 26)]  # the next two Mondays
    assert at(tuesday, mondays, closed) == Hours(open=False, opens_at=None)
    assert at(tuesday, mondays, closed[:1]).opens_at == utc(2026, 1, 26, 8, 0)


def test_a_moment_without_a_time_zone_is_refused():
    with pytest.raises(ValueError):
        at(datetime(2026, 1, 12, 12, 0))


@pytest.mark.django_db
def test_department_hours_reads_prefetched_hours_without_queries(django_assert_num_queries):
    department = DepartmentFactory(time_zone=BERLIN)
    OpeningHours.objects.create(department=department, weekday=0, opens=time(9), closes=time(17))
    ClosedDate.objects.create(department=department, date=date(2026, 1, 12), reason="Inventory")
    department = Department.objects.prefetch_related("opening_hours", "closed_dates").get(pk=department.pk)
    with django_assert_num_queries(0):
        hours = department_hours(department, utc(2026, 1, 12, 11, 0))
    assert hours == Hours(open=False, opens_at=utc(2026, 1, 19, 8, 0))


# The admin ---------------------------------------------------------------------------------------


def department_form(**changes) -> dict:
    data = {
        "name": "Billing",
        "slug": "billing",
        "routing": "broadcast",
        "answered_ticket_status": "closed",
        "greeting": "We answer within the hour",
        "away_message": "We are closed; leave a message.",
        "widget_colour": "#0f766e",
        "time_zone": BERLIN,
        "opening_hours-TOTAL_FORMS": "2",
        "opening_hours-INITIAL_FORMS": "0",
        "opening_hours-MIN_NUM_FORMS": "0",
        "opening_hours-MAX_NUM_FORMS": "1000",
        "opening_hours-0-weekday": "0",
        "opening_hours-0-opens": "09:00",
        "opening_hours-0-closes": "17:00",
        "opening_hours-1-weekday": "4",
        "opening_hours-1-opens": "09:00",
        "opening_hours-1-closes": "13:00",
        "closed_dates-TOTAL_FORMS": "1",
        "closed_dates-INITIAL_FORMS": "0",
        "closed_dates-MIN_NUM_FORMS": "0",
        "closed_dates-MAX_NUM_FORMS": "1000",
        "closed_dates-0-date": "2026-12-25",
        "closed_dates-0-reason": "Christmas",
    }
    return {**data, **changes}


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_the_admin_saves_a_department_with_its_visitor_settings_and_hours(admin):
    form = admin.get("/admin/helpdesk/department/add/").content.decode()
    for label in ("Greeting", "Away message", "Widget colour", "Time zone", "Opening hours", "Closed dates"):
        assert label in form
    assert '<option value="Europe/Berlin">' in form and 'type="color"' in form
    response = admin.post("/admin/helpdesk/department/add/", department_form())
    assert response.status_code == 302, response.content.decode()
    department = Department.objects.get(slug="billing")
    assert (department.greeting, department.away_message, department.widget_colour, department.time_zone) == (
        "We answer within the hour",
        "We are closed; leave a message.",
        "#0f766e",
        BERLIN,
    )
    assert [str(period) for period in department.opening_hours.all()] == ["Monday 09:00–17:00", "Friday 09:00–13:00"]
    assert [(c.date, c.reason) for c in department.closed_dates.all()] == [(date(2026, 12, 25), "Christmas")]
    assert admin.get(f"/admin/helpdesk/department/{department.pk}/change/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"widget_colour": "blue"}, "A colour as #rrggbb."),
        ({"opening_hours-0-closes": "08:00"}, "Close after opening"),
        ({"opening_hours-0-weekday": "7"}, "Select a valid choice"),
    ],
)
def test_the_admin_refuses_bad_settings_and_saves_nothing(admin, changes, error):
    response = admin.post("/admin/helpdesk/department/add/", department_form(**changes))
    assert response.status_code == 200 and error in response.content.decode()
    assert not Department.objects.filter(slug="billing").exists() and not OpeningHours.objects.exists()
