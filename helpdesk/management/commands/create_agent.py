from django.core.management.base import BaseCommand, CommandError

from helpdesk.actors import SYSTEM
from helpdesk.agents import services
from helpdesk.models import Department
from helpdesk.platform.errors import DomainError


class Command(BaseCommand):
    help = "Create a chat-enabled agent (Online) and print its API token alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="", help="Display name shown to visitors (default: the username).")
        parser.add_argument("--departments", default="", help="Comma-separated department slugs, e.g. sales,support.")

    def handle(self, *args, username, password, email, name, departments, **options):
        slugs = [slug.strip() for slug in departments.split(",") if slug.strip()]
        found = list(Department.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {d.slug for d in found})
        if missing:
            raise CommandError(f"Unknown department(s): {', '.join(missing)}")
        try:
            agent, token = services.agent_create(
                actor=SYSTEM, username=username, password=password, email=email, name=name, departments=found
            )
        except DomainError as error:
            raise CommandError(error.detail) from error
        self.stdout.write(f"Created agent {agent.display_name} (id {agent.pk}).")
        self.stdout.write(token.key)
