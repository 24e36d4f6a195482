import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from canned import services as canned
from canned.models import CannedMessage
from helpdesk.actors import SYSTEM
from helpdesk.agents import services
from helpdesk.models import Department

DEPARTMENTS = [("Sales", "sales"), ("Support", "support")]


class Command(BaseCommand):
    help = (
        "Seed the local installation once: departments Sales and Support, a superuser 'admin' and a "
        "chat-enabled agent 'agent'. Passwords are generated on the first run and kept in "
        ".local/credentials.json (git-ignored); later runs only print them."
    )

    def handle(self, *args, **options):
        for name, slug in DEPARTMENTS:
            Department.objects.get_or_create(slug=slug, defaults={"name": name})
        path = settings.LOCAL_DIR / "credentials.json"
        credentials = json.loads(path.read_text()) if path.exists() else {}
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            credentials["admin"] = secrets.token_urlsafe(12)
            services.agent_create(
                actor=SYSTEM,
                username="admin",
                password=credentials["admin"],
                name="Administrator",
                departments=list(Department.objects.all()),
                chat_enabled=False,
                is_superuser=True,
            )
        if not User.objects.filter(username="agent").exists():
            credentials["agent"] = secrets.token_urlsafe(12)
            services.agent_create(
                actor=SYSTEM,
                username="agent",
                password=credentials["agent"],
                name="Alex Agent",
                departments=list(Department.objects.all()),
            )
        self._seed_canned_messages()
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(credentials, indent=2))
        path.chmod(0o600)
        for username, password in credentials.items():
            self.stdout.write(f"  {username:6} password: {password}")

    def _seed_canned_messages(self):
        if CannedMessage.objects.exists():
            return
        sales = Department.objects.get(slug="sales")
        for text, shortcut, category, department in [
            ("Hi {visitor.name}, I'm {agent.name} from {department}. How can I help?", "hello", "Greetings", None),
            ("Thanks for chatting with us, {visitor.name}! Have a great day.", "bye", "Greetings", None),
            ("Your refund is on its way; you will get a confirmation at {visitor.email}.", "refund", "Refunds", None),
            ("Our plans are listed at https://example.com/pricing; upgrades are prorated.", "pricing", "Plans", sales),
        ]:
            canned.canned_message_create(
                actor=SYSTEM, text=text, shortcut=shortcut, new_category_name=category, department=department
            )
