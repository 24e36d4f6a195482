"""Latency of the '#' suggestions endpoint with 5,000 canned messages, as an agent types.

Runs the real stack on 127.0.0.1: Daphne serving the app, the database from DATABASE_URL (or a
fresh SQLite file in .local/), Redis from REDIS_URL. Requests go one after another over one
keep-alive connection, like one agent typing, with queries that are prefixes of real words and
shortcuts. Bounded by count; writes bench/results/canned-suggest-<time>.json.

    make bench-canned            # or: python bench/canned_suggest.py --requests 500
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
from pathlib import Path

from helpdesk.actors import SYSTEM

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
WORDS = ["refund", "shipping", "invoice", "password", "upgrade", "delivery", "account", "billing", "hello", "thanks"]


def setup_database(messages: int) -> str:
    """Create the data set; returns an API token of an agent who may read canned messages."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from canned.models import CannedCategory, CannedMessage
    from helpdesk.agents.services import agent_create, api_token_create
    from helpdesk.models import Agent, Department

    sales, _ = Department.objects.get_or_create(slug="sales", defaults={"name": "Sales"})
    support, _ = Department.objects.get_or_create(slug="support", defaults={"name": "Support"})
    agent = Agent.objects.filter(user__username="bench").first()
    if agent is None:
        agent, _ = agent_create(actor=SYSTEM, username="bench", password="bench-pass-123", departments=[sales, support])
    have = CannedMessage.objects.count()
    if have < messages:
        rng = random.Random(7)
        categories = [CannedCategory.objects.get_or_create(name=f"{w.title()} {i}")[0] for i, w in enumerate(WORDS * 2)]
        CannedMessage.objects.bulk_create(
            CannedMessage(
                text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))) + " {visitor.name}",
                shortcut=f"{rng.choice(WORDS)}-{n}",
                category=rng.choice(categories),
                department=rng.choice([sales, support, None]),
            )
            for n in range(have, messages)
        )
    return api_token_create(actor=SYSTEM, user=agent.user).key  # keys are not stored: a new one per run


def queries(count: int, seed: int = 11) -> list[str]:
    """What an agent types after '#': growing prefixes of words and shortcuts."""
    rng = random.Random(seed)
    typed = []
    while len(typed) < count:
        word = rng.choice(WORDS)
        typed += [word[:n] for n in range(0, rng.randint(2, len(word)) + 1)]
    return typed[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{BASE_DIR / '.local' / 'bench.sqlite3'}")
    env.setdefault("SECRET_KEY", "bench-only-secret")
    env.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    env.setdefault("ALLOW_PLAIN_HTTP", "1")  # its Daphne serves plain HTTP on 127.0.0.1
    os.environ.update(env)
    token = setup_database(args.messages)

    from tools.devstack import free_port, wait_for_port

    port = free_port()
    daphne = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        for _ in range(20):  # warm up: imports, connection, query plans
            connection.request("GET", "/api/v1/canned-messages/?q=re&department=sales", headers=headers)
            connection.getresponse().read()
        latencies, sizes = [], []
        for query in queries(args.requests):
            started = time.perf_counter()
            connection.request("GET", f"/api/v1/canned-messages/?q={query}&department=sales", headers=headers)
            response = connection.getresponse()
            body = response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise SystemExit(f"HTTP {response.status}: {body[:200]!r}")
            sizes.append(json.loads(body)["count"])
    finally:
        daphne.terminate()
        daphne.wait(10)

    cuts = statistics.quantiles(latencies, n=100)
    result = {
        "benchmark": "canned-suggest",
        "database": env["DATABASE_URL"].split(":", 1)[0],
        "messages": args.messages,
        "requests": len(latencies),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(latencies), 2),
        "mean_matches": round(statistics.mean(sizes), 1),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = BASE_DIR / "bench" / "results" / f"canned-suggest-{result['database']}-{int(time.time())}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
