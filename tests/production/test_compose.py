"""deploy/compose.yaml and deploy/nginx.conf, held to the production shape that tests/production runs.

No container engine runs on these machines, so the compose file is compared with
`tools/devstack.py` `prod_processes` (the same processes, commands and settings), its health checks
are run against those processes, and deploy/nginx.conf runs for real in Debian's nginx (`make nginx`)
in front of the two Daphnes: TLS, X-Forwarded-*, round robin over both, websockets through it."""

import asyncio
import http.client
import json
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
import yaml
from django.db import connection

from chat.models import Chat
from tests.support.chat_clients import AgentSide, VisitorSide, exchange
from tests.support.processes import BASE_DIR, BIN_DIR, ManagedProcess, free_port, process_env, wait_until
from tools.devstack import PROD_SETTINGS, PROD_UNSET, prod_processes

DEPLOY = BASE_DIR / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
NGINX_CONF = (DEPLOY / "nginx.conf").read_text()
APP_SERVICES = ("migrate", "daphne-1", "daphne-2", "worker", "beat")
DAPHNES = ("daphne-1", "daphne-2")
DAPHNE_PORT = "8000"  # where Daphne listens in its container: its command, its probe, nginx's upstream
NGINX = Path("/usr/sbin/nginx")
# Where the address, port or file differs between a container and this machine.
PLACE_OPTIONS = {"-b": "<address>", "-p": "<port>", "--schedule": "<file>"}
# The settings every process needs; the env file must set each (the rest have production defaults).
REQUIRED_SETTINGS = {
    "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
    "BEHIND_TLS_PROXY", "TRUSTED_PROXY_COUNT",
}  # fmt: skip
POSTGRES_SETTINGS = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}  # the postgres image's
PLACEHOLDER = "CHANGE-ME"
ACCESS_LOG_LINE = re.compile(
    r'"\S+ (?P<path>\S+) \S+" (?P<status>\d+) .* upstream=(?P<upstream>\S+) request_id=(?P<id>\w+)'
)


def read_env_file(path: Path) -> dict[str, str]:
    """VARIABLE=value lines, as compose reads an env_file (comments and blank lines skipped)."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


ENV_EXAMPLE = read_env_file(DEPLOY / "env.example")


def command_shape(args: list[str]) -> list[str]:
    """A command without what differs by machine: the program's directory, Daphne's address and
    port, beat's schedule file, and the worker's child count (compose leaves it at one per CPU;
    the local stack fixes it for this 2-core machine)."""
    shaped, rest = [], iter([Path(args[0]).name, *args[1:]])
    for arg in rest:
        if arg in PLACE_OPTIONS:
            shaped += [arg, PLACE_OPTIONS[arg]]
            next(rest)
        elif arg == "--concurrency":
            next(rest)
        else:
            shaped.append(arg)
    return shaped


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def upstream_servers(conf: str) -> list[str]:
    block = re.search(r"upstream helpdesk \{(.*?)\}", conf, re.S)[1]
    return re.findall(r"^\s*server\s+(\S+?);", block, re.M)


# The compose file against the production shape ------------------------------------------------


def test_compose_runs_the_processes_of_the_production_shape():
    assert set(SERVICES) == {"postgres", "redis", "nginx", *APP_SERVICES}
    specs = prod_processes([8001, 8002], Path("/beat-schedule"))
    assert [spec.name for spec in specs] == [*DAPHNES, "worker", "beat"]
    for spec in specs:
        service = SERVICES[spec.name]
        assert command_shape(service["command"]) == command_shape(spec.args), spec.name
        assert spec.env.keys() <= service["environment"].keys(), spec.name
        assert service["environment"]["PGAPPNAME"] == spec.env["PGAPPNAME"]
    for name in DAPHNES:
        command = SERVICES[name]["command"]
        assert (option(command, "-b"), option(command, "-p")) == ("0.0.0.0", DAPHNE_PORT)


def test_exactly_one_beat_and_two_daphnes():
    commands = {name: service.get("command") or [] for name, service in SERVICES.items()}
    beats = [name for name, args in commands.items() if "beat" in args or {"--beat", "-B"} & set(args)]
    assert beats == ["beat"]
    assert [name for name, args in commands.items() if args[:1] == ["daphne"]] == list(DAPHNES)
    assert "deploy" not in SERVICES["beat"]  # no replicas of beat


def test_app_services_share_the_image_and_settings_and_wait_for_migrations():
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert (service["build"]["context"], service["image"], service["env_file"]) == ("..", "helpdesk:latest", ".env")
        depends = {dependency: rule["condition"] for dependency, rule in service["depends_on"].items()}
        assert {"postgres": "service_healthy", "redis": "service_healthy"}.items() <= depends.items(), name
        if name != "migrate":
            assert depends["migrate"] == "service_completed_successfully", name
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert SERVICES["migrate"]["restart"] == "no"
    # What else `make prod-local` does once (tools/devstack.py set_up_database) is built into the image.
    assert "python manage.py collectstatic --noinput" in (BASE_DIR / "Dockerfile").read_text()


def test_the_shared_metrics_directory_is_writable_by_the_images_user():
    """Every process writes its metrics into one tmpfs volume (multiprocess mode); the processes
    run as the Dockerfile's user, so the volume must be theirs (a root-owned tmpfs refuses them)."""
    uid = re.search(r"useradd .*--uid (\d+)", (BASE_DIR / "Dockerfile").read_text())[1]
    options = dict(part.split("=", 1) for part in COMPOSE["volumes"]["metrics"]["driver_opts"]["o"].split(","))
    assert (options["uid"], options["gid"]) == (uid, uid)
    for name in APP_SERVICES:
        directory = SERVICES[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert f"metrics:{directory}" in SERVICES[name]["volumes"], name


def test_health_checks_and_the_order_they_impose():
    for name in DAPHNES:
        probe = " ".join(SERVICES[name]["healthcheck"]["test"])
        assert f"'http://127.0.0.1:{DAPHNE_PORT}/readyz'" in probe and "ALLOWED_HOSTS" in probe
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"][1]
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "inspect ping" in SERVICES["worker"]["healthcheck"]["test"][1]
    nginx_waits_for = SERVICES["nginx"]["depends_on"]
    assert {name: nginx_waits_for[name]["condition"] for name in DAPHNES} == dict.fromkeys(DAPHNES, "service_healthy")


def test_only_nginx_is_published_and_it_fronts_both_daphnes():
    assert [name for name, service in SERVICES.items() if "ports" in service] == ["nginx"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in SERVICES["nginx"]["volumes"]
    assert upstream_servers(NGINX_CONF) == [f"{name}:{DAPHNE_PORT}" for name in DAPHNES]


# The env file ----------------------------------------------------------------------------------


def test_env_example_sets_what_the_processes_need_as_the_production_shape_does():
    assert ENV_EXAMPLE.keys() >= REQUIRED_SETTINGS | POSTGRES_SETTINGS
    assert PROD_SETTINGS.items() <= ENV_EXAMPLE.items()
    assert not set(PROD_UNSET) & ENV_EXAMPLE.keys()
    # One proxy (this nginx) appends the client's address to X-Forwarded-For.
    assert ENV_EXAMPLE["TRUSTED_PROXY_COUNT"] == "1"
    assert "$proxy_add_x_forwarded_for" in NGINX_CONF
    # Every variable is one the settings read (a misspelt one would silently do nothing).
    settings_source = (BASE_DIR / "helpdesk" / "settings.py").read_text()
    unread = {key for key in ENV_EXAMPLE.keys() - POSTGRES_SETTINGS if f'"{key}"' not in settings_source}
    assert not unread


def test_env_example_points_at_the_compose_services_and_holds_no_secret():
    database = urllib.parse.urlsplit(ENV_EXAMPLE["DATABASE_URL"])
    assert (database.username, database.password, database.path) == (
        ENV_EXAMPLE["POSTGRES_USER"], ENV_EXAMPLE["POSTGRES_PASSWORD"], f"/{ENV_EXAMPLE['POSTGRES_DB']}"
    )  # fmt: skip
    assert (database.hostname, database.port) == ("postgres", 5432)
    assert urllib.parse.urlsplit(ENV_EXAMPLE["REDIS_URL"]).hostname == "redis"
    for key in ("SECRET_KEY", "POSTGRES_PASSWORD", "EMAIL_HOST_PASSWORD"):
        assert ENV_EXAMPLE[key] == PLACEHOLDER, key
    assert not any("$" in value for value in ENV_EXAMPLE.values())  # compose would expand it
    # The filled-in copy stays out of git and out of the image (the Dockerfile copies the checkout).
    assert "deploy/.env" in (BASE_DIR / ".gitignore").read_text().split()
    assert "deploy/.env" in (BASE_DIR / ".dockerignore").read_text().split()


def test_env_example_passes_the_deployment_checklist():
    """With only the env file's settings (its secret filled in), Django's `check --deploy` is clean."""
    environ = {**ENV_EXAMPLE, "SECRET_KEY": secrets.token_urlsafe(50), "PATH": os.environ["PATH"]}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# The real nginx in front of the production shape ----------------------------------------------


@dataclass
class Nginx:
    process: ManagedProcess
    http_port: int
    https_port: int
    ssl_context: ssl.SSLContext
    host = "localhost"  # in ALLOWED_HOSTS (default) and in the test certificate

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.https_port}"

    @property
    def ws_url(self) -> str:
        return f"wss://{self.host}:{self.https_port}"

    def request(self, method: str, path: str, *, body=None, headers=None, https=True):
        """(status, headers, body) of one request on a new connection."""
        if https:
            client = http.client.HTTPSConnection("127.0.0.1", self.https_port, context=self.ssl_context, timeout=15)
        else:
            client = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=15)
        port = self.https_port if https else self.http_port
        all_headers = {"Host": f"{self.host}:{port}", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        try:
            client.request(method, path, body=body, headers=all_headers)
            response = client.getresponse()
            return response.status, response.headers, response.read()
        finally:
            client.close()

    def access_log(self, path_prefix: str = "/") -> list[dict[str, str]]:
        """The access log's lines (nginx.conf's `helpdesk` format) for paths starting with
        `path_prefix`: path, status, upstream, id (the request id)."""
        lines = (ACCESS_LOG_LINE.search(line) for line in self.process.lines)
        return [match.groupdict() for match in lines if match and match["path"].startswith(path_prefix)]


def render_nginx_conf(directory: Path, daphne_ports: list[int], http_port: int, https_port: int) -> Path:
    """deploy/nginx.conf with this machine's addresses: the Daphnes' ports for the compose
    services' names, loopback ports for 80 and 443, the test certificate, temporary files here."""
    temp_paths = "".join(
        f"\n    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    replacements = [
        *(
            (f"server {name}:{DAPHNE_PORT};", f"server 127.0.0.1:{port};", 1)
            for name, port in zip(DAPHNES, daphne_ports, strict=True)
        ),
        ("listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;", 1),
        ("listen 443 ssl default_server;", f"listen 127.0.0.1:{https_port} ssl default_server;", 1),
        ("/etc/nginx/certs/", f"{directory}/", 2),
        ("\nhttp {", "\nhttp {" + temp_paths, 1),
    ]
    conf = NGINX_CONF
    for old, new, count in replacements:
        assert conf.count(old) == count, f"deploy/nginx.conf no longer has {old!r} {count} time(s)"
        conf = conf.replace(old, new)
    path = directory / "nginx.conf"
    path.write_text(conf)
    return path


def start_nginx(stack, directory: Path) -> Nginx:
    if not NGINX.exists():
        pytest.fail("/usr/sbin/nginx is missing: `make test` installs it (make nginx)")
    directory.mkdir()
    ca = trustme.CA()
    certificate = ca.issue_cert(Nginx.host, "127.0.0.1")
    (directory / "fullchain.pem").write_bytes(b"".join(pem.bytes() for pem in certificate.cert_chain_pems))
    certificate.private_key_pem.write_to_path(str(directory / "privkey.pem"))
    ssl_context = ssl.create_default_context()
    ca.configure_trust(ssl_context)
    http_port, https_port = free_port(), free_port()
    daphne_ports = [urllib.parse.urlsplit(url).port for url in stack.urls]
    conf = render_nginx_conf(directory, daphne_ports, http_port, https_port)
    settings = f"daemon off; pid {directory / 'nginx.pid'};" + (" user root;" if os.geteuid() == 0 else "")
    args = [str(NGINX), "-p", str(directory), "-c", str(conf), "-e", "stderr", "-g", settings]
    process = ManagedProcess(args, process_env(), ready_port=https_port).start(timeout=15)
    return Nginx(process, http_port, https_port, ssl_context)


def run_health_check(test: list[str], env: dict, port: int | None = None) -> subprocess.CompletedProcess:
    """A compose `healthcheck.test` run here: compose's `$$` is the shell's `$`, the programs are
    the virtualenv's, and a Daphne probe goes to `port`."""
    kind, *args = test
    args = ["sh", "-c", args[0]] if kind == "CMD-SHELL" else args
    args = [arg.replace("$$", "$") for arg in args]
    if port is not None:
        args = [arg.replace(f"127.0.0.1:{DAPHNE_PORT}", f"127.0.0.1:{port}") for arg in args]
    env = {**env, "PATH": f"{BIN_DIR}{os.pathsep}{env['PATH']}", "HOSTNAME": socket.gethostname()}
    return subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=30)


class NginxAgent(AgentSide):
    """Resyncs over REST through nginx too."""

    async def resync(self) -> None:
        path = f"/api/v1/chats/{self.chat_id}/messages/?after_seq={self.last_seq}"
        headers = {"Authorization": f"Token {self.api_token}"}
        status, _, body = await asyncio.to_thread(self.server.request, "GET", path, headers=headers)
        assert status == 200, body
        for message in json.loads(body):
            self.delivered.append(message["seq"])
            self.apply(message)
        self.gap = False


def visitor_address(chat_id: int) -> str:
    """On a worker thread, whose connection is given back after (one left open keeps PostgreSQL
    from dropping the test database)."""
    try:
        return Chat.objects.get(pk=chat_id).visitor.ip_address
    finally:
        connection.close()


@pytest.fixture
def behind_nginx(prod_stack_factory, tmp_path):
    """The production shape with the env file's proxy setting, and deploy/nginx.conf in front."""
    stack = prod_stack_factory(TRUSTED_PROXY_COUNT=ENV_EXAMPLE["TRUSTED_PROXY_COUNT"])
    nginx = start_nginx(stack, tmp_path / "nginx")
    yield stack, nginx
    nginx.process.stop()


@pytest.mark.django_db(transaction=True)
async def test_health_checks_and_nginx_conf_on_the_production_shape(behind_nginx, chat, api_token):
    stack, nginx = behind_nginx
    # Ready once the worker is seen and beat's first sweep has run.
    for daphne in (0, 1):
        wait_until(lambda daphne=daphne: stack.http("GET", "/readyz", daphne=daphne).status == 200, timeout=20)

    # The compose health checks, run against these processes. The Daphne probe passes on both,
    # and fails when its Host is not one Django allows.
    for name, url in zip(DAPHNES, stack.urls, strict=True):
        probe = SERVICES[name]["healthcheck"]["test"]
        port = urllib.parse.urlsplit(url).port
        result = run_health_check(probe, stack.env, port)
        assert result.returncode == 0, result.stderr
        assert run_health_check(probe, {**stack.env, "ALLOWED_HOSTS": "help.example.com"}, port).returncode != 0
    result = run_health_check(SERVICES["worker"]["healthcheck"]["test"], stack.env)
    assert result.returncode == 0 and "pong" in result.stdout, result.stdout + result.stderr

    # Plain HTTP is sent to HTTPS.
    status, headers, _ = nginx.request("GET", "/agent/", https=False)
    assert (status, headers["Location"]) == (301, "https://localhost/agent/")
    # /readyz through nginx, answered by both Daphnes in turn; nginx's request id reaches Django.
    for _ in range(4):
        status, headers, body = nginx.request("GET", "/readyz")
        assert status == 200, body
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    readyz = wait_until(lambda: len(lines := nginx.access_log("/readyz")) == 4 and lines)
    assert {line["upstream"] for line in readyz} == {urllib.parse.urlsplit(url).netloc for url in stack.urls}
    assert headers["X-Request-ID"] == readyz[-1]["id"]
    # Metrics are scraped on the private network, never through nginx.
    status, _, _ = nginx.request("GET", "/metrics")
    assert status == 404
    assert wait_until(lambda: nginx.access_log("/metrics"))[-1]["upstream"] == "-"
    # Django sees HTTPS (X-Forwarded-Proto), the public host and port (Host), and the client's
    # address as nginx appended it to X-Forwarded-For, not what the client claimed there.
    status, headers, body = nginx.request(
        "POST", "/api/v1/visitor/chats/", headers={"X-Forwarded-For": "203.0.113.66"},
        body={"name": "Vera", "email": "vera@example.org", "question": "Through nginx?"},
    )  # fmt: skip
    assert status == 201, body
    started = json.loads(body)
    assert started["ws_url"].startswith(f"{nginx.ws_url}/ws/visitor/chats/{started['chat_id']}/")
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert await asyncio.to_thread(visitor_address, started["chat_id"]) == "127.0.0.1"

    # A chat through nginx's websocket upgrade: the visitor's socket and the agent's go to the two
    # Daphnes in turn, so each message crosses from one Daphne to the other.
    visitor, alice = VisitorSide(nginx, chat.pk, chat.token), NginxAgent(nginx, chat.pk, api_token)
    for side in (visitor, alice):
        side.connect_options = {"ssl": nginx.ssl_context}
        await side.connect()
    await exchange(visitor, "Hello from the visitor", "v-1", visitor, alice)
    await exchange(alice, "Hello from Alice", "a-1", visitor, alice)
    await visitor.disconnect()
    await alice.disconnect()
    # nginx logs a socket when it closes.
    sockets = wait_until(lambda: len(lines := nginx.access_log("/ws/")) == 2 and lines)
    assert [line["status"] for line in sockets] == ["101", "101"]
    assert {line["upstream"] for line in sockets} == {urllib.parse.urlsplit(url).netloc for url in stack.urls}
    # The socket's token (in its query) is not logged.
    assert not any(chat.token in line or api_token in line for line in nginx.process.lines)
