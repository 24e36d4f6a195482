from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGER_CHAT_PERMISSIONS = ["view_reports", "monitor_chats"]


def managers_see_reports_and_the_monitor(apps, schema_editor):
    """Managers get the reports page and the live monitor (chat's new permissions)."""
    app_config = apps.get_app_config("chat")
    app_config.models_module = True  # permissions are normally created after all migrations
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers, _ = Group.objects.get_or_create(name="Managers")
    managers.permissions.add(
        *Permission.objects.filter(content_type__app_label="chat", codename__in=MANAGER_CHAT_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0008_department_answered_ticket_status"),
        ("chat", "0007_message_internal_report_permissions"),
    ]

    operations = [migrations.RunPython(managers_see_reports_and_the_monitor, migrations.RunPython.noop)]
