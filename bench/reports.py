"""Latency of the chat reports (chat/reports.py, GET /api/v1/reports/chats/) over 100,000 chats.

Builds the data set once in the configured database (DATABASE_URL, else a SQLite file in
.local/): 100,000 chats over the last 90 days in 4 departments and 20 agents, with their
messages (visitor, agent, a note now and then, system lines), transfers, ratings, missed and
abandoned chats, and offline messages. Then, per group_by and range (the page's default 7 days,
and all 90 days), times the selector in this process and the API through a Daphne server on
127.0.0.1, a bounded number of runs each, and writes bench/results/reports-<db>-<time>.json.

    make bench-reports           # or: python bench/reports.py --runs 30
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
CHATS = 100_000
DAYS = 90
MARK = "bench-reports"  # the question of every chat this benchmark made


def setup_database(chats: int) -> str:
    """Create the data set (unless it is there); returns an API token of a manager."""
    import django

    django.setup()
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from chat.models import Chat, Message, Transfer, Visitor
    from helpdesk.actors import SYSTEM
    from helpdesk.agents.services import agent_create, api_token_create
    from helpdesk.models import Agent, Department
    from tickets.models import Ticket

    departments = [
        Department.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]
        for slug in ("sales", "support", "billing", "returns")
    ]
    agents = []
    for n in range(20):
        agent = Agent.objects.filter(user__username=f"bench-agent-{n}").first()
        if agent is None:
            agent, _ = agent_create(
                actor=SYSTEM, username=f"bench-agent-{n}", password="bench-pass-123", departments=departments
            )
        agents.append(agent)
    manager = agents[0]
    manager.user.user_permissions.add(Permission.objects.get(content_type__app_label="chat", codename="view_reports"))
    have = Chat.objects.filter(question=MARK).count()
    if have < chats:
        rng = random.Random(5)
        now = timezone.now()
        visitor = Visitor.objects.create(name="Bench", email="bench@example.org", first_seen_at=now, last_seen_at=now)
        print(f"building {chats - have} chats…", flush=True)
        built = time.perf_counter()
        for start in range(have, chats, 10_000):
            batch = []
            for n in range(start, min(start + 10_000, chats)):
                started = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
                fate = rng.random()
                chat = Chat(
                    visitor=visitor,
                    department=rng.choice(departments + [None]) if rng.random() < 0.05 else rng.choice(departments),
                    question=MARK,
                    visitor_token_hash=f"bench-{n}",
                    started_at=started,
                    missed_deadline=started + timedelta(minutes=5),
                )
                if fate < 0.08:
                    chat.status, chat.missed_reason = Chat.Status.MISSED, Chat.MissedReason.NO_ANSWER
                    chat.ended_at = started + timedelta(minutes=5)
                elif fate < 0.12:
                    chat.status, chat.missed_reason = Chat.Status.MISSED, Chat.MissedReason.ABANDONED
                    chat.ended_at = started + timedelta(seconds=rng.uniform(5, 200))
                else:
                    chat.owner = rng.choice(agents)
                    chat.accepted_at = started + timedelta(seconds=rng.lognormvariate(3, 0.8))
                    chat.status = Chat.Status.ENDED
                    chat.ended_at = chat.accepted_at + timedelta(seconds=rng.lognormvariate(6, 0.7))
                    if rng.random() < 0.3:
                        chat.rating_score = rng.randint(1, 5)
                batch.append(chat)
            with transaction.atomic():
                made = Chat.objects.bulk_create(batch)
                messages, transfers = [], []
                for chat in made:
                    if chat.accepted_at is None:
                        continue
                    seq, at = 0, chat.accepted_at
                    lines = [("system", 0.0)]
                    if rng.random() < 0.1:
                        lines.append(("note", rng.uniform(1, 20)))
                    lines.append(("agent", rng.lognormvariate(2.5, 0.7)))
                    lines += [(rng.choice(("visitor", "agent")), rng.uniform(5, 60)) for _ in range(rng.randint(1, 6))]
                    for kind, gap in lines:
                        seq, at = seq + 1, at + timedelta(seconds=gap)
                        messages.append(
                            Message(
                                chat=chat,
                                seq=seq,
                                sender_kind="agent" if kind == "note" else kind,
                                sender_name="x",
                                sender_agent=chat.owner if kind in ("agent", "note") else None,
                                body="text",
                                created_at=at,
                                internal=kind == "note",
                            )
                        )
                    if rng.random() < 0.05:
                        transfers.append(
                            Transfer(
                                chat=chat,
                                from_agent=rng.choice(agents),
                                to_agent=chat.owner,
                                status="accepted",
                                expires_at=chat.accepted_at,
                            )
                        )
                    chat.last_seq = seq
                Message.objects.bulk_create(messages, batch_size=5000)
                Transfer.objects.bulk_create(transfers)
                Chat.objects.bulk_update([c for c in made if c.last_seq], ["last_seq"], batch_size=5000)
            print(f"  {min(start + 10_000, chats)} chats", flush=True)
        offline = [
            Ticket(
                subject=MARK,
                requester_name="Bench",
                requester_email="bench@example.org",
                department=rng.choice(departments),
                channel=Ticket.Channel.OFFLINE_MESSAGE,
                kind=Ticket.Kind.MISSED_CHAT,
            )
            for _ in range(chats // 50)
        ]
        made = Ticket.objects.bulk_create(offline)
        for ticket in made:  # auto_now_add: spread them afterwards
            ticket.created_at = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        Ticket.objects.bulk_update(made, ["created_at"], batch_size=5000)
        with connection.cursor() as cursor:  # fresh statistics for the planner, as autovacuum would
            cursor.execute("ANALYZE")
        print(f"built in {time.perf_counter() - built:.0f} s", flush=True)
    return api_token_create(actor=SYSTEM, user=manager.user).key


def _summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank
    return {
        "runs": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=CHATS)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per group_by and range")
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{BASE_DIR / '.local' / 'bench.sqlite3'}")
    env.setdefault("SECRET_KEY", "bench-only-secret")
    env.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    env.setdefault("ALLOW_PLAIN_HTTP", "1")  # its Daphne serves plain HTTP on 127.0.0.1
    os.environ.update(env)
    token = setup_database(args.chats)

    from django.db import connection

    from chat.reports import GROUPINGS, ReportRange, chat_report, default_range
    from tools.devstack import free_port, wait_for_port

    week = default_range()
    spans = {"7 days": week, f"{DAYS} days": ReportRange(week.last - timedelta(days=DAYS - 1), week.last)}
    results = {"selector": {}, "api": {}}
    for name, span in spans.items():
        for group_by in GROUPINGS:
            chat_report(span=span, group_by=group_by)  # warm up
            latencies = []
            for _ in range(args.runs):
                started = time.perf_counter()
                report = chat_report(span=span, group_by=group_by)
                latencies.append((time.perf_counter() - started) * 1000)
            results["selector"][f"{group_by}, {name}"] = _summary(latencies) | {
                "chats": report["total"]["chats_started"]
            }
    connection.close()

    port = free_port()
    daphne = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
        cwd=BASE_DIR,
        env={**env, "API_RATE_USER": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        for name, span in spans.items():
            for group_by in GROUPINGS:
                path = f"/api/v1/reports/chats/?from={span.first}&to={span.last}&group_by={group_by}"
                latencies = []
                for run in range(args.runs + 2):  # the first two warm up
                    started = time.perf_counter()
                    client.request("GET", path, headers=headers)
                    response = client.getresponse()
                    body = response.read()
                    if response.status != 200:
                        raise SystemExit(f"HTTP {response.status}: {body[:200]!r}")
                    if run >= 2:
                        latencies.append((time.perf_counter() - started) * 1000)
                results["api"][f"{group_by}, {name}"] = _summary(latencies)
    finally:
        daphne.terminate()
        daphne.wait(10)

    result = {
        "benchmark": "reports",
        "database": env["DATABASE_URL"].split(":", 1)[0],
        "chats": args.chats,
        "target_p95_ms": 300,
        **results,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = BASE_DIR / "bench" / "results" / f"reports-{result['database']}-{int(time.time())}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
