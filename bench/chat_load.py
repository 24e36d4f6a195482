"""Message latency, loss and server cost under load: the product against a bare Channels relay.

Starts everything on 127.0.0.1 (see bench/stack.py), creates `--chats` accepted chats spread
over `--agents` agents, opens one socket per visitor and per agent with the `websockets`
client, then sends messages at each rate in `--rates` for `--seconds`, alternating visitor→agent
and agent→visitor, open loop (a message goes out when it is due, whatever came back). Each
message is timed from the moment it is handed to the socket to the moment the other side's
socket reads it. The same run drives the baseline relays (bench/relay.py) with the same client.

    make bench-chat                                   # default: all targets, SQLite or DATABASE_URL
    python bench/chat_load.py --targets app --servers 2 --rates 200,500,1000

Bounded: every step stops after `--seconds` plus a drain of `--drain` seconds; a step whose p99
passes `--stop-p99-ms` ends the climb for that target. Writes bench/results/chat-load-*.json
and, with --plot, a PNG of p99 latency against rate.
"""

import argparse
import asyncio
import itertools
import json
import math
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import stack
from websockets.asyncio.client import connect

from helpdesk.actors import SYSTEM

TARGETS = {
    "app": "helpdesk.asgi:application",
    "relay-tuned": "bench.relay:tuned",
    "relay-stock": "bench.relay:stock",
}


@dataclass
class BenchChat:
    id: int
    token: str
    agent_token: str
    agent_index: int
    visitor_ws: object = None


@dataclass
class Step:
    """What one rate step sent and what came back."""

    tag: str
    sent: dict = field(default_factory=dict)  # client_id -> (perf_counter, direction)
    receipts: Counter = field(default_factory=Counter)
    latency: dict = field(default_factory=lambda: {"v2a": [], "a2v": []})
    errors: Counter = field(default_factory=Counter)


class Client:
    def __init__(self):
        self.step: Step | None = None
        self.readers: list[asyncio.Task] = []
        self.closed = 0

    async def read(self, ws, side: str) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                step = self.step
                if step is None:
                    continue
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "error":
                    step.errors[frame.get("code")] += 1
                if kind != "message":
                    continue
                sent = step.sent.get(frame.get("client_id"))
                if sent is None:
                    continue
                started, direction = sent
                if side != ("agent" if direction == "v2a" else "visitor"):
                    continue  # the sender's own copy
                step.receipts[frame["client_id"]] += 1
                if step.receipts[frame["client_id"]] == 1:
                    step.latency[direction].append((now - started) * 1000)
        except Exception:
            pass
        self.closed += 1

    async def open(self, url: str, side: str):
        ws = await connect(url, compression=None, max_queue=None, open_timeout=60, ping_interval=20)
        self.readers.append(asyncio.create_task(self.read(ws, side)))
        return ws


TEAM = 10


def create_chats(chats: int, agents: int) -> list[BenchChat]:
    """Accepted chats through the services, as the widget and the dashboard would make them."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup speed only
    from chat import services
    from chat.visitor_info import VisitorFacts
    from helpdesk.agents.services import agent_create
    from helpdesk.models import Agent, Department

    # Teams of ten agents per department: a new chat is offered to its department's agents only,
    # as in a real desk, so setting up thousands of chats does not fan out to thousands of agents.
    departments = [
        Department.objects.create(slug=f"bench-{d}", name=f"Bench {d}") for d in range(math.ceil(agents / TEAM))
    ]
    per_agent = math.ceil(chats / agents)
    team = []
    for n in range(agents):
        agent, token = agent_create(
            actor=SYSTEM, username=f"bench{n}", password="bench-pass-123", departments=[departments[n // TEAM]]
        )
        Agent.objects.filter(pk=agent.pk).update(max_concurrent_chats=min(per_agent + 1, 32000))
        agent.refresh_from_db()
        team.append((agent, token.key))
    facts = VisitorFacts(ip_address="127.0.0.1", user_agent="bench", browser="", operating_system="", location="")
    made = []
    for n in range(chats):
        chat, visitor_token = services.chat_start(
            name=f"Visitor {n}",
            email=f"v{n}@example.com",
            question="Load",
            department=departments[(n % agents) // TEAM],
            facts=facts,
        )
        agent, agent_token = team[n % agents]
        services.chat_accept(actor=agent, chat_id=chat.pk)
        made.append(BenchChat(chat.pk, visitor_token, agent_token, n % agents))
    return made


def quantile(values: list[float], q: int) -> float | None:
    if len(values) < 2:
        return round(values[0], 2) if values else None
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2)


async def open_sockets(client: Client, servers: stack.Servers, chats: list[BenchChat], agents: int):
    """One socket per visitor and per agent, spread over the servers; returns the agent sockets."""
    limit = asyncio.Semaphore(100)
    ports = itertools.cycle(servers.ports)
    by_agent: dict[int, list[BenchChat]] = {}
    for chat in chats:
        by_agent.setdefault(chat.agent_index, []).append(chat)

    async def visitor(chat, port):
        async with limit:
            chat.visitor_ws = await client.open(
                f"ws://127.0.0.1:{port}/ws/visitor/chats/{chat.id}/?token={chat.token}", "visitor"
            )

    async def agent(index, port):
        mine = by_agent[index]
        ids = ",".join(str(c.id) for c in mine)
        async with limit:
            return index, await client.open(
                f"ws://127.0.0.1:{port}/ws/agent/?token={mine[0].agent_token}&chats={ids}", "agent"
            )

    agent_sockets = dict(await asyncio.gather(*(agent(i, next(ports)) for i in by_agent)))
    await asyncio.gather(*(visitor(c, next(ports)) for c in chats))
    await asyncio.sleep(1)  # let group subscriptions settle before the first message
    return agent_sockets


async def run_step(client, chats, agent_sockets, rate: float, seconds: float, drain: float, tag: str) -> dict:
    step = client.step = Step(tag)
    loop = asyncio.get_running_loop()
    order = chats[:]
    random.Random(tag).shuffle(order)
    total = int(rate * seconds)
    lag = []
    start = loop.time()
    for k in range(total):
        due = start + k / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lag.append(-delay * 1000)
        chat = order[k % len(order)]
        direction = "v2a" if k % 2 == 0 else "a2v"
        client_id = f"{tag}-{k}"
        frame = {"type": "message.send", "chat_id": chat.id, "body": f"Message {k} of {tag}", "client_id": client_id}
        ws = chat.visitor_ws if direction == "v2a" else agent_sockets[chat.agent_index]
        step.sent[client_id] = (time.perf_counter(), direction)
        await ws.send(json.dumps(frame))
    sending = loop.time() - start
    deadline = loop.time() + drain
    while len(step.receipts) < total and loop.time() < deadline:
        await asyncio.sleep(0.05)
    received = len(step.receipts)
    both = step.latency["v2a"] + step.latency["a2v"]
    return {
        "rate": rate,
        "sent": total,
        "achieved_rate": round(total / sending, 1) if sending else None,
        "lost": total - received,
        "duplicated": sum(n - 1 for n in step.receipts.values() if n > 1),
        "errors": dict(step.errors),
        "client_lag_p99_ms": quantile(lag, 99) if lag else 0.0,
        **{
            f"{direction}_{name}": value
            for direction, values in (("v2a", step.latency["v2a"]), ("a2v", step.latency["a2v"]), ("all", both))
            for name, value in (
                ("p50_ms", quantile(values, 50)),
                ("p95_ms", quantile(values, 95)),
                ("p99_ms", quantile(values, 99)),
                ("max_ms", round(max(values), 2) if values else None),
            )
        },
    }


async def measured_step(client, servers, chats, agent_sockets, rate, seconds, drain, tag) -> dict:
    """One step, with the CPU each process spent on it per message sent."""
    probes = {
        "server": servers.cpu_seconds,
        "client": lambda: sum(stack.psutil.Process().cpu_times()[:2]),
        "redis": lambda: stack.process_cpu_seconds(("redis-server",)),
        "db": lambda: stack.process_cpu_seconds(("postgres", "postmaster")),
    }
    before = {name: probe() for name, probe in probes.items()}
    result = await run_step(client, chats, agent_sockets, rate, seconds, drain, tag)
    messages = max(1, result["sent"])
    for name, probe in probes.items():
        result[f"{name}_cpu_ms_per_message"] = round((probe() - before[name]) * 1000 / messages, 3)
    return result


async def measure_target(name: str, args, env: dict, chats: list[BenchChat]) -> dict:
    servers = stack.Servers(TARGETS[name], args.servers, env).start()
    client = Client()
    try:
        await asyncio.sleep(1)
        rss_before = servers.rss_bytes()
        opened_at = time.perf_counter()
        agent_sockets = await open_sockets(client, servers, chats, args.agents)
        sockets = len(chats) + len(agent_sockets)
        open_seconds = time.perf_counter() - opened_at
        rss_after = servers.rss_bytes()
        print(
            f"{name}: {sockets} sockets open in {open_seconds:.1f}s, server RSS {rss_after / 2**20:.0f} MiB", flush=True
        )
        # Warm up: imports, connections, query plans. Not counted.
        await run_step(client, chats, agent_sockets, min(args.rates), 2, args.drain, f"{name}-warm")
        steps = []
        for index, rate in enumerate(args.rates):
            tag = f"{name}-{index}-{rate:g}"  # client_ids must not repeat: a repeat is a resend
            result = await measured_step(client, servers, chats, agent_sockets, rate, args.seconds, args.drain, tag)
            steps.append(result)
            print_step(name, result)
            if (
                result["all_p99_ms"] is None
                or result["all_p99_ms"] > args.stop_p99_ms
                or result["lost"] > 0.05 * result["sent"]
            ):
                break
        held = None
        if args.hold:
            # Hold every socket open for a while under a trickle of messages (websocket pings
            # every 20 s on both sides are the heartbeats), then see what is still open.
            held = await measured_step(
                client, servers, chats, agent_sockets, args.hold_rate, args.hold, args.drain, f"{name}-hold"
            )
            held["sockets_open_after"] = sockets - client.closed
            held["server_rss_mib_after"] = round(servers.rss_bytes() / 2**20, 1)
            print_step(name, held)
            print(
                f"{name}: after {args.hold:g}s {held['sockets_open_after']} of {sockets} sockets open, "
                f"server RSS {held['server_rss_mib_after']} MiB",
                flush=True,
            )
        return {
            "target": name,
            "held": held,
            "app": TARGETS[name],
            "servers": args.servers,
            "sockets": sockets,
            "sockets_closed_during_run": client.closed,
            "seconds_to_open_sockets": round(open_seconds, 1),
            "server_rss_kib_per_socket": round((rss_after - rss_before) / 1024 / sockets, 1),
            "steps": steps,
        }
    finally:
        client.step = None
        for reader in client.readers:
            reader.cancel()
        servers.stop()


def print_step(name: str, r: dict) -> None:
    print(
        f"{name:12} {r['rate']:>6.0f}/s sent {r['sent']:>6} lost {r['lost']:>4} dup {r['duplicated']:>3}  "
        f"v→a p50 {r['v2a_p50_ms']} p99 {r['v2a_p99_ms']}  a→v p50 {r['a2v_p50_ms']} p99 {r['a2v_p99_ms']}  "
        f"max {r['all_max_ms']} ms  cpu ms/msg: server {r['server_cpu_ms_per_message']} "
        f"client {r['client_cpu_ms_per_message']}  client lag p99 {r['client_lag_p99_ms']} ms",
        flush=True,
    )


def plot(result: dict, path) -> None:
    title = f"{result['database']}, {result['servers']} Daphne process(es), {result['chats']} chats"
    plot_series([(t["target"], t["steps"]) for t in result["targets"]], path, title)


def plot_series(series: list[tuple[str, list[dict]]], path, title: str) -> None:
    """p99 (solid) and p50 (dashed) latency against rate, one colour per series."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5))
    for (label, steps), colour in zip(series, itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])):
        rates = [s["rate"] for s in steps]
        ax.plot(rates, [s["all_p99_ms"] for s in steps], marker="o", color=colour, label=f"{label} p99")
        ax.plot(rates, [s["all_p50_ms"] for s in steps], marker=".", linestyle="--", color=colour, label=f"{label} p50")
    ax.set_yscale("log")
    ax.set_xlabel("messages per second (both directions)")
    ax.set_ylabel("latency, ms (log)")
    ax.set_title(f"Message latency vs load — {title}")
    ax.axhline(25, color="grey", linewidth=0.8, linestyle=":")
    ax.axhline(100, color="grey", linewidth=0.8, linestyle=":")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--servers", type=int, default=1, help="Daphne processes per target")
    parser.add_argument("--targets", default="relay-stock,relay-tuned,app")
    parser.add_argument("--rates", default="100,200,500,1000,1500,2000")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--drain", type=float, default=3)
    parser.add_argument("--stop-p99-ms", type=float, default=1000)
    parser.add_argument("--hold", type=float, default=0, help="after the steps, hold all sockets this many seconds")
    parser.add_argument("--hold-rate", type=float, default=20, help="messages per second while holding")
    parser.add_argument("--plot", help="write a PNG of latency against rate to this path")
    parser.add_argument(
        "--with-rate-limits",
        action="store_true",
        help="count every frame against the websocket rate limits, as production does (limits set too high to bite)",
    )
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    env, started = stack.prepare_environment()
    if args.with_rate_limits:
        high = {"VISITOR": "1000000/min", "AGENT": "1000000/min", "IP": "10000000/min"}
        env.update({f"WS_{kind}_{who}": rate for who, rate in high.items() for kind in ("RATE", "FRAME_RATE")})
    try:
        stack.django_setup()
        made_at = time.perf_counter()
        chats = create_chats(args.chats, args.agents)
        print(f"created {len(chats)} chats in {time.perf_counter() - made_at:.1f}s", flush=True)
        result = {
            "benchmark": "chat-load",
            "database": stack.database_kind(env),
            "chats": args.chats,
            "agents": args.agents,
            "servers": args.servers,
            "rate_limits_counted": args.with_rate_limits,
            "seconds_per_step": args.seconds,
            "targets": [],
        }
        for name in args.targets.split(","):
            result["targets"].append(asyncio.run(measure_target(name, args, env, chats)))
    finally:
        stack.stop(started)
    path = stack.write_result(f"chat-load-{result['database']}-{args.servers}proc", result)
    if args.plot:
        plot(result, args.plot)
    print_summary(result)
    print(f"results: {path}")
    return 0


def print_summary(result: dict) -> None:
    baseline = {t["target"]: t for t in result["targets"]}.get("relay-tuned")
    print(
        f"\n{'target':12} {'rate/s':>7} {'v→a p50':>8} {'v→a p99':>8} {'a→v p99':>8} {'lost':>5} {'dup':>4} "
        f"{'cpu ms/msg':>10} {'× tuned relay':>13}"
    )
    for target in result["targets"]:
        base_steps = {s["rate"]: s for s in baseline["steps"]} if baseline else {}
        for s in target["steps"]:
            base = base_steps.get(s["rate"])
            ratio = (
                f"{s['server_cpu_ms_per_message'] / base['server_cpu_ms_per_message']:.2f}"
                if base and base["server_cpu_ms_per_message"]
                else "-"
            )
            print(
                f"{target['target']:12} {s['rate']:>7.0f} {s['v2a_p50_ms']!s:>8} {s['v2a_p99_ms']!s:>8} "
                f"{s['a2v_p99_ms']!s:>8} {s['lost']:>5} {s['duplicated']:>4} {s['server_cpu_ms_per_message']:>10} "
                f"{ratio:>13}"
            )
        print(f"{target['target']:12} sockets {target['sockets']}, {target['server_rss_kib_per_socket']} KiB RSS each")


if __name__ == "__main__":
    sys.exit(main())
