from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk"

    def ready(self):
        from helpdesk.agents import receivers  # noqa: F401  (connects them)
