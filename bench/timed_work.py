"""How late timed work runs: scheduled chat ends and missed-chat conversions, with hundreds
pending at once, and recovery after the Celery worker is killed with SIGKILL.

A real Celery worker (with beat, as `make run` starts it) on the run's Redis and database.
Work is scheduled through the services, `--rate` items a second for `--pending / --rate`
seconds, each due `--delay` seconds after it was scheduled, so about `--pending` are waiting
at once. Lateness is when the chat actually closed (`ended_at`) minus when it was due. Then
every chat must have exactly one ticket: nothing ran twice in effect.

The kill phase schedules `--kill-items` ends, kills the worker with SIGKILL before they are due
and starts it again after: the sweep (every `--sweep` seconds) must end each overdue chat
within one interval of the restart.

    make bench-timed          # or: python bench/timed_work.py --pending 1000
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import stack
from chat_load import create_chats


def start_worker(env: dict, sweep: int) -> subprocess.Popen:
    args = [
        str(stack.BIN_DIR / "celery"), "-A", "helpdesk", "worker", "--beat", "--loglevel", "WARNING",
        "--concurrency", "2", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--schedule", str(stack.LOCAL_DIR / "bench-beat-schedule"),
    ]  # fmt: skip
    worker = subprocess.Popen(
        args,
        cwd=stack.BASE_DIR,
        env=dict(env, CHAT_SWEEP_INTERVAL_SECONDS=str(sweep)),
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the pool children too
    )
    time.sleep(3)  # the worker connects and beat starts; nothing is due yet
    return worker


def lateness_ms(pairs) -> dict:
    late = sorted((done - due).total_seconds() * 1000 for due, done in pairs)
    return {
        "count": len(late),
        "p50_ms": round(stack_quantile(late, 50), 1),
        "p99_ms": round(stack_quantile(late, 99), 1),
        "max_ms": round(late[-1], 1),
        "min_ms": round(late[0], 1),
    }


def stack_quantile(values: list[float], q: int) -> float:
    return values[min(len(values) - 1, int(len(values) * q / 100))]


def wait_closed(chat_ids: list[int], timeout: float) -> None:
    from chat.models import Chat

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Chat.objects.filter(pk__in=chat_ids, ended_at__isnull=True).exists():
            return
        time.sleep(0.2)


def tickets_per_chat(chat_ids: list[int]) -> dict:
    from django.db.models import Count

    from tickets.models import Ticket

    counts = Ticket.objects.filter(source_chat_id__in=chat_ids).values("source_chat_id").annotate(n=Count("id"))
    by_chat = {row["source_chat_id"]: row["n"] for row in counts}
    return {
        "without_ticket": sum(1 for c in chat_ids if c not in by_chat),
        "with_more_than_one": sum(1 for n in by_chat.values() if n > 1),
    }


def scheduled_ends(chats, rate: float, delay: int) -> list[tuple[int, object]]:
    """Schedule an end for each chat, `rate` a second; returns (chat id, due moment)."""
    from chat import services
    from chat.models import Chat
    from helpdesk.models import Agent

    agents = {a.pk: a for a in Agent.objects.all()}
    owners = dict(Chat.objects.filter(pk__in=[c.id for c in chats]).values_list("pk", "owner_id"))
    due = []
    start = time.monotonic()
    for n, chat in enumerate(chats):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        ending = services.chat_schedule_end(actor=agents[owners[chat.id]], chat_id=chat.id, delay_seconds=delay)
        due.append((chat.id, ending.ends_at))
    return due


def missed_chats(count: int, rate: float) -> list[int]:
    """Start chats nobody accepts, `rate` a second; each is due CHAT_MISSED_AFTER_SECONDS later."""
    from chat import services
    from chat.visitor_info import VisitorFacts
    from helpdesk.models import Department

    department = Department.objects.get(slug="bench-0")  # made by create_chats; nobody accepts
    facts = VisitorFacts(ip_address="127.0.0.1", user_agent="bench", browser="", operating_system="", location="")
    made = []
    start = time.monotonic()
    for n in range(count):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        chat, _token = services.chat_start(
            name=f"Missed {n}", email=f"m{n}@example.com", question="Anyone?", department=department, facts=facts
        )
        made.append(chat.pk)
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1000, help="about this many waiting at once")
    parser.add_argument("--rate", type=float, default=20, help="items scheduled (and due) per second")
    parser.add_argument("--kill-items", type=int, default=200)
    parser.add_argument("--sweep", type=int, default=5, help="CHAT_SWEEP_INTERVAL_SECONDS for the worker")
    args = parser.parse_args()
    delay = max(1, round(args.pending / args.rate))
    env, started = stack.prepare_environment()
    env["CHAT_MISSED_AFTER_SECONDS"] = str(delay)
    stack.os.environ["CHAT_MISSED_AFTER_SECONDS"] = str(delay)
    worker = None
    result = {"benchmark": "timed-work", "database": stack.database_kind(env), "pending": args.pending}
    try:
        stack.django_setup()
        from django.utils import timezone

        from chat.models import Chat

        chats = create_chats(args.pending + args.kill_items, 20)
        worker = start_worker(env, args.sweep)

        print(f"ends: {args.pending} pending, {args.rate:.0f}/s, each due {delay}s after scheduling", flush=True)
        due = scheduled_ends(chats[: args.pending], args.rate, delay)
        wait_closed([c for c, _ in due], timeout=delay + 60)
        ended = dict(Chat.objects.filter(pk__in=[c for c, _ in due]).values_list("pk", "ended_at"))
        result["ends"] = {
            "delay_s": delay,
            "rate_per_s": args.rate,
            **lateness_ms((moment, ended[c]) for c, moment in due if ended[c]),
            "not_ended": sum(1 for c, _ in due if not ended[c]),
            **tickets_per_chat([c for c, _ in due]),
        }
        print(result["ends"], flush=True)

        print(f"missed chats: {args.pending} pending, {args.rate:.0f}/s, each due {delay}s after start", flush=True)
        missed = missed_chats(args.pending, args.rate)
        wait_closed(missed, timeout=delay + 60)
        rows = Chat.objects.filter(pk__in=missed).values_list("missed_deadline", "ended_at", "status")
        result["missed"] = {
            "delay_s": delay,
            "rate_per_s": args.rate,
            **lateness_ms((deadline, ended_at) for deadline, ended_at, _ in rows if ended_at),
            "not_missed": sum(1 for *_, status in rows if status != Chat.Status.MISSED),
            **tickets_per_chat(missed),
        }
        print(result["missed"], flush=True)

        print(f"kill: {args.kill_items} ends due in 6s, worker SIGKILLed at 2s, restarted at 9s", flush=True)
        kill_chats = chats[args.pending :]
        due = scheduled_ends(kill_chats, rate=1000, delay=6)
        time.sleep(2)
        os.killpg(worker.pid, signal.SIGKILL)  # as when its container is killed
        worker.wait()
        time.sleep(7)
        restart_moment = timezone.now()
        worker = start_worker(env, args.sweep)
        wait_closed([c for c, _ in due], timeout=args.sweep * 3 + 10)
        ended = dict(Chat.objects.filter(pk__in=[c for c, _ in due]).values_list("pk", "ended_at"))
        after_restart = [ended[c] - restart_moment for c, _ in due if ended[c]]
        result["kill"] = {
            "items": len(due),
            "sweep_interval_s": args.sweep,
            "not_ended": sum(1 for c, _ in due if not ended[c]),
            "ended_before_kill": sum(1 for c, m in due if ended[c] and ended[c] < m),
            "max_s_after_restart": round(max(after_restart, default=timedelta()).total_seconds(), 2),
            **tickets_per_chat([c for c, _ in due]),
        }
        print(result["kill"], flush=True)
    finally:
        if worker is not None:
            stack.stop([worker])
        stack.stop(started)
    path = stack.write_result(f"timed-work-{result['database']}", result)
    print_summary(result)
    print(f"results: {path}")
    return 0


def print_summary(result: dict) -> None:
    print(f"\n{'timed work':12} {'items':>6} {'late p50':>9} {'late p99':>9} {'max':>9} {'not run':>8} {'twice':>6}")
    for kind, missing in (("ends", "not_ended"), ("missed", "not_missed")):
        r = result.get(kind)
        if r:
            print(
                f"{kind:12} {r['count']:>6} {r['p50_ms']:>7} ms {r['p99_ms']:>6} ms {r['max_ms']:>6} ms "
                f"{r[missing]:>8} {r['with_more_than_one']:>6}"
            )
    k = result.get("kill")
    if k:
        print(
            f"worker SIGKILLed with {k['items']} ends pending: {k['not_ended']} not ended, "
            f"{k['with_more_than_one']} ended twice, the last {k['max_s_after_restart']} s after the restart "
            f"(sweep interval {k['sweep_interval_s']} s)"
        )


if __name__ == "__main__":
    sys.exit(main())
