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
from django.db import connection, transaction
from django.utils.translation import gettext as _

from chat.models import Chat, Message, Transfer
from helpdesk.models import Agent, Department
from tickets.models import Ticket

GROUPINGS = ("day", "agent", "department")
MAX_DAYS = 366
NONE_KEY = -1  # the group of chats without an owner (agent) or department
REPORT_WORK_MEM = "64MB"  # PostgreSQL: memory for the report's sorts, for its transaction only
TOTAL_KEY = -2  # the total's group in the query ("total" when grouped by day)

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
        diff = f"date_trunc('milliseconds', {later}) - date_trunc('milliseconds', {earlier})"
        return f"CAST(EXTRACT(EPOCH FROM ({diff})) AS double precision)"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _local_day(column: str) -> tuple[str, list]:
    """SQL for the local date (YYYY-MM-DD) of a stored moment in the report time zone."""
    zone = settings.TIME_ZONE
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE %s, 'YYYY-MM-DD')", [zone]
    # Django's own function on SQLite (what TruncDate uses there); moments are stored in UTC.
    return f"django_datetime_cast_date({column}, %s, %s)", [zone, "UTC"]


def _group(group_by: str | None, column_prefix: str, moment: str) -> tuple[str, list, str]:
    """SQL for a row's group, its parameters, and the SQL literal of the total's group."""
    if group_by == "day":
        sql, params = _local_day(f"{column_prefix}.{moment}")
        return sql, params, "'total'"
    if group_by == "agent":
        column = "owner_id" if column_prefix == "c" else None
        return (f"COALESCE({column_prefix}.{column}, {NONE_KEY})" if column else str(NONE_KEY)), [], str(TOTAL_KEY)
    if group_by == "department":
        return f"COALESCE({column_prefix}.department_id, {NONE_KEY})", [], str(TOTAL_KEY)
    return str(TOTAL_KEY), [], str(TOTAL_KEY)


def _chat_figures(span: ReportRange, group_by: str, department: Department | None) -> dict:
    """The chat figures per group, and the total under TOTAL_KEY ("total" by day), in one statement:
    each chat's own figures first (its first reply and message count from the message index), then
    every chat twice, once in its group and once in the total, aggregated."""
    zone = report_time_zone()
    chat, message, transfer = Chat._meta.db_table, Message._meta.db_table, Transfer._meta.db_table
    lo, hi = _day_start(span.first, zone), _day_start(span.last + timedelta(days=1), zone)
    group, params, total = _group(group_by, "c", "started_at")
    where = "c.started_at >= %s AND c.started_at < %s"
    where_params = [_adapt(lo), _adapt(hi)]
    if department is not None:
        where += " AND c.department_id = %s"
        where_params.append(department.pk)
    agent, visitor = Message.SenderKind.AGENT, Message.SenderKind.VISITOR
    # Per chat: messages to and from the visitor (no notes, no system lines) and the first agent one.
    ctes = [
        "msg AS (SELECT m.chat_id, COUNT(*) AS n, "
        "MIN(CASE WHEN m.sender_kind = %s THEN m.created_at END) AS first_agent "
        f"FROM {message} m JOIN {chat} c ON c.id = m.chat_id "
        f"WHERE {where} AND m.internal = %s AND m.sender_kind IN (%s, %s) GROUP BY m.chat_id)",
        f"moves AS (SELECT t.chat_id, COUNT(*) AS n FROM {transfer} t JOIN {chat} c ON c.id = t.chat_id "
        f"WHERE {where} AND t.status = %s GROUP BY t.chat_id)",
    ]
    all_params = [agent, *where_params, False, visitor, agent, *where_params, Transfer.Status.ACCEPTED]
    ctes.append(
        f"per_chat AS (SELECT {group} AS grp, c.accepted_at, c.status, c.missed_reason, c.rating_score, "
        f"{_seconds('c.accepted_at', 'c.started_at')} AS wait, "
        f"CASE WHEN c.ended_at IS NOT NULL THEN {_seconds('c.ended_at', 'c.accepted_at')} END AS handle, "
        f"CASE WHEN c.accepted_at IS NOT NULL THEN {_seconds('msg.first_agent', 'c.accepted_at')} END AS reply, "
        f"COALESCE(msg.n, 0) AS messages, COALESCE(moves.n, 0) AS transfers "
        f"FROM {chat} c LEFT JOIN msg ON msg.chat_id = c.id LEFT JOIN moves ON moves.chat_id = c.id WHERE {where})"
    )
    all_params += [*params, *where_params]
    abandoned = Chat.MissedReason.ABANDONED
    counts = (
        "COUNT(*), SUM(CASE WHEN accepted_at IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = %s AND missed_reason <> %s THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = %s AND missed_reason = %s THEN 1 ELSE 0 END), "
        "AVG(rating_score * 1.0), COUNT(rating_score)"
    )
    if connection.vendor == "postgresql":
        # percentile_disc is the nearest rank (the first value whose cumulative share reaches p), and
        # GROUPING SETS gives the groups and the total in one pass.
        picks = ", ".join(
            f"percentile_disc({p / 100}) WITHIN GROUP (ORDER BY {v})"
            for v, p in (("wait", 50), ("wait", 90), ("reply", 50), ("reply", 90), ("handle", 50))
        )
        sql = (
            "WITH " + ", ".join(ctes) + f" SELECT CASE WHEN GROUPING(grp) = 1 THEN {total} ELSE grp END, {counts}, "
            f"{picks}, SUM(messages), SUM(transfers) FROM per_chat GROUP BY GROUPING SETS ((grp), ())"
        )
    else:
        # Nearest rank among the non-null values with ROW_NUMBER() and COUNT() windows; the total
        # is the chats again under the total's group.
        ctes.append(
            "both_ AS (SELECT * FROM per_chat UNION ALL SELECT "
            f"{total}, accepted_at, status, missed_reason, rating_score, wait, handle, reply, messages, transfers "
            "FROM per_chat)"
        )
        # NULLs sort last on PostgreSQL and first on SQLite unless told: they are put last.
        windows = ", ".join(
            f"COUNT({v}) OVER (PARTITION BY grp) AS {v}_n, "
            f"ROW_NUMBER() OVER (PARTITION BY grp ORDER BY CASE WHEN {v} IS NULL THEN 1 ELSE 0 END, {v}) AS {v}_rank"
            for v in ("wait", "reply", "handle")
        )
        ctes.append(f"ranked AS (SELECT *, {windows} FROM both_)")
        picks = ", ".join(
            f"MAX(CASE WHEN {v}_rank = ({p} * {v}_n + 99) / 100 THEN {v} END)"
            for v, p in (("wait", 50), ("wait", 90), ("reply", 50), ("reply", 90), ("handle", 50))
        )
        sql = (
            "WITH " + ", ".join(ctes) + f" SELECT grp, {counts}, {picks}, SUM(messages), SUM(transfers) "
            "FROM ranked GROUP BY grp"
        )
    all_params += [Chat.Status.MISSED, abandoned, Chat.Status.MISSED, abandoned]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The per-group sorts of up to a year of chats fit in memory instead of spilling to disk.
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        cursor.execute(sql, all_params)
        found = cursor.fetchall()
    figures = {}
    for grp, started, accepted, missed, abandoned_, rating, ratings, w50, w90, r50, r90, h50, msgs, moves in found:
        figures[grp if group_by == "day" else int(grp)] = {
            "chats_started": int(started),
            "chats_accepted": int(accepted or 0),
            "chats_missed": int(missed or 0),
            "chats_abandoned": int(abandoned_ or 0),
            "wait_p50_seconds": _round(w50, 3),
            "wait_p90_seconds": _round(w90, 3),
            "first_response_p50_seconds": _round(r50, 3),
            "first_response_p90_seconds": _round(r90, 3),
            "handle_p50_seconds": _round(h50, 3),
            "messages": int(msgs or 0),
            "transfers": int(moves or 0),
            "rating_avg": _round(rating, 2),
            "ratings": int(ratings),
        }
    return figures


def _offline_counts(span: ReportRange, group_by: str, department: Department | None) -> dict:
    """Offline messages (tickets left with the offline form) per group; none has an agent."""
    zone = report_time_zone()
    lo, hi = _day_start(span.first, zone), _day_start(span.last + timedelta(days=1), zone)
    group, params, _total = _group(group_by, "t", "created_at")
    where = "t.channel = %s AND t.created_at >= %s AND t.created_at < %s"
    params += [Ticket.Channel.OFFLINE_MESSAGE, _adapt(lo), _adapt(hi)]
    if department is not None:
        where += " AND t.department_id = %s"
        params.append(department.pk)
    sql = f"SELECT {group} AS grp, COUNT(*) FROM {Ticket._meta.db_table} t WHERE {where} GROUP BY 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {grp if group_by == "day" else int(grp): count for grp, count in cursor.fetchall()}


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
    total = _complete(chats.pop("total" if group_by == "day" else TOTAL_KEY, None), sum(offline.values()))
    rows = []
    if group_by == "day":
        for day in span.days:
            key = day.isoformat()
            rows.append({"key": key, "label": key} | _complete(chats.get(key), offline.get(key, 0)))
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
        "total": total,
    }
