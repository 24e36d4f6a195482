"""Business hours: is a department open at a moment, and when does it open next.

A department's weekly opening hours (helpdesk.models.OpeningHours) are wall-clock times in its
`time_zone`; on its closed dates (ClosedDate, days in that time zone) it is closed all day. A
department without opening hours is always open, except on its closed dates.

Pure: no clock and no queries of its own. The caller passes the moment; `department_hours` reads
`department.opening_hours.all()` and `department.closed_dates.all()`, so prefetch both to ask
about many departments at once (chat.selectors.departments_with_availability).

Daylight saving time: each period is turned into real moments on its own date (zoneinfo), so
09:00-17:00 stays 09:00-17:00 local time on both sides of a change. A time that does not exist
that day (in the hour skipped in spring) counts as the same time by the offset before the change,
which is the first moment after the gap; a time that happens twice (in autumn) is its first
occurrence. Periods never cross midnight (the database says closes > opens); one closing at
END_OF_DAY (23:59) or later runs to midnight, so 22:00-23:59 and 00:00-02:00 the next day are one
stretch of opening.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far ahead `opens_at` looks for the next opening.
LOOK_AHEAD_DAYS = 14
END_OF_DAY = time(23, 59)
ALL_DAY = [(weekday, time(0), END_OF_DAY) for weekday in range(7)]


@dataclass(frozen=True)
class Hours:
    """Whether the department is open at the moment asked about; while closed, `opens_at` is the
    next opening (aware, in the department's time zone), or None when none is within
    LOOK_AHEAD_DAYS. None while open."""

    open: bool
    opens_at: datetime | None = None


def department_hours(department, at: datetime) -> Hours:
    """The department's hours at the aware moment `at`."""
    return hours_at(
        time_zone=department.time_zone,
        periods=[(period.weekday, period.opens, period.closes) for period in department.opening_hours.all()],
        closed_dates=[closed.date for closed in department.closed_dates.all()],
        at=at,
    )


def hours_at(
    *, time_zone: str, periods: Iterable[tuple[int, time, time]], closed_dates: Iterable[date], at: datetime
) -> Hours:
    """Open or not at `at` under weekly `periods` (weekday 0 = Monday, opens, closes: wall-clock
    times in `time_zone`) and `closed_dates` (days in `time_zone`); no periods: open all day."""
    if at.tzinfo is None:
        raise ValueError("hours_at needs an aware moment")
    zone = ZoneInfo(time_zone)
    by_weekday: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in periods or ALL_DAY:
        by_weekday.setdefault(weekday, []).append((opens, closes))
    closed = set(closed_dates)
    now = at.astimezone(UTC)
    today = now.astimezone(zone).date()
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        if day in closed:
            continue
        for opens, closes in sorted(by_weekday.get(day.weekday(), [])):
            start = _moment(day, opens, zone)
            if closes >= END_OF_DAY:
                end = _moment(day + timedelta(days=1), time(0), zone)
            else:
                end = _moment(day, closes, zone)
            if start <= now < end:
                return Hours(open=True)
            if start > now:
                # Periods of a day are in order, and later days start later still.
                return Hours(open=False, opens_at=start.astimezone(zone))
    return Hours(open=False)


def _moment(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    """The wall-clock time on `day` in `zone` as a UTC moment. Compared in UTC: Python compares
    two datetimes of one tzinfo by their wall-clock times, which is wrong across a DST change."""
    return datetime.combine(day, wall_clock, tzinfo=zone).astimezone(UTC)
