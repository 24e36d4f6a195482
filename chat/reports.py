"""Chat reports: volume, waiting, first-response and handling times, per day, agent or department.

Every figure is computed by the database (docs/api.md defines each one): a few SQL statements
per report, whatever the number of chats, on SQLite and PostgreSQL alike. Percentiles are
nearest-rank: the p-th percentile of n values is the value at rank ceil(p × n / 100) in
ascending order, found with ROW_NUMBER() and COUNT() windows (SQLite ≥ 3.25 and PostgreSQL both
have them), so both backends give the same numbers. Durations are whole milliseconds (each
timestamp cut to the millisecond first: SQLite's julianday() reads no finer), reported in seconds.

Days are local days in settings.TIME_ZONE: the range's day boundaries are worked out here (at
most 367 of them, daylight saving time included) and handed to the query, which puts each chat
in the day whose [start, next start) holds its started_at.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from chat.models import Chat, Message, Transfer
from helpdesk.models import Agent, Department
from tickets.models import Ticket

GROUPINGS = ("day", "agent", "department")
MAX_DAYS = 366
NONE_KEY = -1  # the group of chats without an owner (agent) or department

# The figures, in the order rows and CSV columns show them.
FIGURES = (
    "chats_started",
    "chats_accepted",
    "chats_missed",
    "chats_abandoned",
    "offline_messages",
    "missed_rate",
    "wait_p50_seconds",
    "wait_p90_seconds",
    "first_response_p50_seconds",
    "first_response_p90_seconds",
    "handle_p50_seconds",
    "messages",
    "transfers",
    "rating_avg",
    "ratings",
)
COUNTS = ("chats_started", "chats_accepted", "chats_missed", "chats_abandoned", "offline_messages", "messages")
COUNTS += ("transfers", "ratings")


@dataclass(frozen=True)
class ReportRange:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def report_time_zone() -> ZoneInfo:
    """The zone a report's days are in: the site's (agents have no zone of their own)."""
    return ZoneInfo(settings.TIME_ZONE)


def default_range(today: date | None = None) -> ReportRange:
    """The last 7 days, today included, in the report time zone."""
    if today is None:
        today = datetime.now(report_time_zone()).date()
    return ReportRange(today - timedelta(days=6), today)


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _adapt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _seconds(later: str, earlier: str) -> str:
    """SQL for `later - earlier` in seconds, both cut to the millisecond."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM (date_trunc('milliseconds', {later}) - date_trunc('milliseconds', {earlier})))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _percentiles(source: str, percents: tuple[int, ...], prefix: str) -> str:
    """SQL selecting grp and, per percent p, the nearest-rank percentile as <prefix>_p<p> of the
    (grp, v) rows of `source` (NULL values left out)."""
    picks = ", ".join(f"MAX(CASE WHEN rn = ({p} * n + 99) / 100 THEN v END) AS {prefix}_p{p}" for p in percents)
    return (
        f"SELECT grp, {picks} FROM ("
        f"SELECT grp, v, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY v) AS rn, "
        f"COUNT(*) OVER (PARTITION BY grp) AS n FROM {source} WHERE v IS NOT NULL) ranked GROUP BY grp"
    )


def _days_cte(days: list[date], zone: ZoneInfo) -> tuple[str, list]:
    rows, params = [], []
    for index, day in enumerate(days):
        rows.append("(%s, %s, %s)")
        params += [index, _adapt(_day_start(day, zone)), _adapt(_day_start(day + timedelta(days=1), zone))]
    return "days(k, lo, hi) AS (VALUES " + ", ".join(rows) + ")", params


def _chat_figures(span: ReportRange, group_by: str | None, department: Department | None) -> dict[int, dict]:
    """The chat figures per group (group_by None: one group, 0, for the total)."""
    zone = report_time_zone()
    chat, message, transfer = Chat._meta.db_table, Message._meta.db_table, Transfer._meta.db_table
    lo, hi = _day_start(span.first, zone), _day_start(span.last + timedelta(days=1), zone)
    ctes, params = [], []
    joins = ""
    if group_by == "day":
        days_sql, days_params = _days_cte(span.days, zone)
        ctes.append(days_sql)
        params += days_params
        joins = " JOIN days ON c.started_at >= days.lo AND c.started_at < days.hi"
        group = "days.k"
    elif group_by == "agent":
        group = f"COALESCE(c.owner_id, {NONE_KEY})"
    elif group_by == "department":
        group = f"COALESCE(c.department_id, {NONE_KEY})"
    else:
        group = "0"
    where = "c.started_at >= %s AND c.started_at < %s"
    params += [_adapt(lo), _adapt(hi)]
    if department is not None:
        where += " AND c.department_id = %s"
        params.append(department.pk)
    ctes.append(
        f"scope AS (SELECT c.id, {group} AS grp, c.accepted_at, c.status, c.missed_reason, c.rating_score, "
        f"{_seconds('c.accepted_at', 'c.started_at')} AS wait, "
        f"CASE WHEN c.ended_at IS NOT NULL THEN {_seconds('c.ended_at', 'c.accepted_at')} END AS handle "
        f"FROM {chat} c{joins} WHERE {where})"
    )
    # The first message an agent sent to the visitor (internal notes are not answers).
    ctes.append(
        f"first_reply AS (SELECT s.grp, {_seconds('MIN(m.created_at)', 's.accepted_at')} AS v "
        f"FROM scope s JOIN {message} m ON m.chat_id = s.id "
        f"WHERE s.accepted_at IS NOT NULL AND m.sender_kind = %s AND m.internal = %s "
        f"GROUP BY s.id, s.grp, s.accepted_at)"
    )
    params += [Message.SenderKind.AGENT, False]
    ctes.append("waits AS (SELECT grp, wait AS v FROM scope WHERE accepted_at IS NOT NULL)")
    ctes.append("handles AS (SELECT grp, handle AS v FROM scope WHERE accepted_at IS NOT NULL)")
    ctes.append(f"wait_p AS ({_percentiles('waits', (50, 90), 'wait')})")
    ctes.append(f"reply_p AS ({_percentiles('first_reply', (50, 90), 'reply')})")
    ctes.append(f"handle_p AS ({_percentiles('handles', (50,), 'handle')})")
    ctes.append(
        f"msgs AS (SELECT s.grp, COUNT(*) AS n FROM scope s JOIN {message} m ON m.chat_id = s.id "
        f"WHERE m.sender_kind IN (%s, %s) AND m.internal = %s GROUP BY s.grp)"
    )
    params += [Message.SenderKind.VISITOR, Message.SenderKind.AGENT, False]
    ctes.append(
        f"moves AS (SELECT s.grp, COUNT(*) AS n FROM scope s JOIN {transfer} t ON t.chat_id = s.id "
        f"WHERE t.status = %s GROUP BY s.grp)"
    )
    params.append(Transfer.Status.ACCEPTED)
    ctes.append(
        "totals AS (SELECT grp, COUNT(*) AS started, "
        "SUM(CASE WHEN accepted_at IS NOT NULL THEN 1 ELSE 0 END) AS accepted, "
        "SUM(CASE WHEN status = %s AND missed_reason <> %s THEN 1 ELSE 0 END) AS missed, "
        "SUM(CASE WHEN status = %s AND missed_reason = %s THEN 1 ELSE 0 END) AS abandoned, "
        "AVG(rating_score * 1.0) AS rating_avg, COUNT(rating_score) AS ratings FROM scope GROUP BY grp)"
    )
    abandoned = Chat.MissedReason.ABANDONED
    params += [Chat.Status.MISSED, abandoned, Chat.Status.MISSED, abandoned]
    sql = (
        "WITH "
        + ", ".join(ctes)
        + " SELECT t.grp, t.started, t.accepted, t.missed, t.abandoned, t.rating_avg, t.ratings, "
        "wait_p.wait_p50, wait_p.wait_p90, reply_p.reply_p50, reply_p.reply_p90, handle_p.handle_p50, "
        "COALESCE(msgs.n, 0), COALESCE(moves.n, 0) FROM totals t "
        "LEFT JOIN wait_p ON wait_p.grp = t.grp LEFT JOIN reply_p ON reply_p.grp = t.grp "
        "LEFT JOIN handle_p ON handle_p.grp = t.grp LEFT JOIN msgs ON msgs.grp = t.grp "
        "LEFT JOIN moves ON moves.grp = t.grp"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    figures = {}
    for grp, started, accepted, missed, abandoned_, rating, ratings, w50, w90, r50, r90, h50, msgs, moves in found:
        figures[int(grp)] = {
            "chats_started": int(started),
            "chats_accepted": int(accepted or 0),
            "chats_missed": int(missed or 0),
            "chats_abandoned": int(abandoned_ or 0),
            "wait_p50_seconds": _round(w50, 3),
            "wait_p90_seconds": _round(w90, 3),
            "first_response_p50_seconds": _round(r50, 3),
            "first_response_p90_seconds": _round(r90, 3),
            "handle_p50_seconds": _round(h50, 3),
            "messages": int(msgs),
            "transfers": int(moves),
            "rating_avg": _round(rating, 2),
            "ratings": int(ratings),
        }
    return figures


def _offline_counts(span: ReportRange, group_by: str | None, department: Department | None) -> dict[int, int]:
    """Offline messages (tickets left with the offline form) per group; none has an agent."""
    zone = report_time_zone()
    lo, hi = _day_start(span.first, zone), _day_start(span.last + timedelta(days=1), zone)
    ctes, params, joins = "", [], ""
    if group_by == "day":
        days_sql, params = _days_cte(span.days, zone)
        ctes = "WITH " + days_sql + " "
        joins = " JOIN days ON t.created_at >= days.lo AND t.created_at < days.hi"
        group = "days.k"
    elif group_by == "department":
        group = f"COALESCE(t.department_id, {NONE_KEY})"
    elif group_by == "agent":
        group = str(NONE_KEY)
    else:
        group = "0"
    where = "t.channel = %s AND t.created_at >= %s AND t.created_at < %s"
    params += [Ticket.Channel.OFFLINE_MESSAGE, _adapt(lo), _adapt(hi)]
    if department is not None:
        where += " AND t.department_id = %s"
        params.append(department.pk)
    sql = f"{ctes}SELECT {group} AS grp, COUNT(*) FROM {Ticket._meta.db_table} t{joins} WHERE {where} GROUP BY grp"
    if group_by is None or group_by == "agent":
        sql = f"{ctes}SELECT COUNT(*) FROM {Ticket._meta.db_table} t{joins} WHERE {where}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count = cursor.fetchone()[0]
        return {int(group): count} if count else {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(grp): count for grp, count in cursor.fetchall()}


def _round(value, places: int) -> float | None:
    return None if value is None else round(float(value), places)


def _empty() -> dict:
    return {name: 0 if name in COUNTS else None for name in FIGURES}


def _complete(chats: dict | None, offline: int) -> dict:
    figures = _empty()
    if chats:
        figures.update(chats)
    figures["offline_messages"] = offline
    # Of the chats that waited for an answer (the abandoned ones excluded), the share missed.
    answered_or_missed = figures["chats_started"] - figures["chats_abandoned"]
    figures["missed_rate"] = round(figures["chats_missed"] / answered_or_missed, 4) if answered_or_missed else None
    return {name: figures[name] for name in FIGURES}


def chat_report(*, span: ReportRange, group_by: str, department: Department | None = None) -> dict:
    """{"from", "to", "group_by", "rows": [{"key", "label", …figures}], "total": {…figures}}."""
    chats = _chat_figures(span, group_by, department)
    offline = _offline_counts(span, group_by, department)
    total_chats = _chat_figures(span, None, department).get(0)
    total_offline = sum(offline.values())
    rows = []
    if group_by == "day":
        for index, day in enumerate(span.days):
            rows.append(
                {"key": day.isoformat(), "label": day.isoformat()} | _complete(chats.get(index), offline.get(index, 0))
            )
    else:
        groups = set(chats) | set(offline)
        model = Agent if group_by == "agent" else Department
        named = {obj.pk: obj for obj in model.objects.filter(pk__in=groups - {NONE_KEY})}
        for grp in groups:
            figures = _complete(chats.get(grp), offline.get(grp, 0))
            obj = named.get(grp)
            if obj is None:  # no owner or department (or deleted since)
                key, label = None, _("No agent") if group_by == "agent" else _("No department")
            elif group_by == "agent":
                key, label = obj.pk, obj.display_name
            else:
                key, label = obj.slug, obj.name
            rows.append({"key": key, "label": label} | figures)
        rows.sort(key=lambda row: (row["key"] is None, row["label"].casefold()))
    return {
        "from": span.first.isoformat(),
        "to": span.last.isoformat(),
        "group_by": group_by,
        "rows": rows,
        "total": _complete(total_chats, total_offline),
    }
