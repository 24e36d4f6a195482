from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGED_APPS = ["helpdesk", "chat", "tickets", "canned", "authtoken"]


def managers_run_the_desk(apps, schema_editor):
    """The "Managers" group: everything on the help desk's own models (departments, agents,
    chats, tickets, canned messages, API tokens) plus viewing users; give a manager's user
    is_staff and this group."""
    for label in MANAGED_APPS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # permissions are normally created after all migrations
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Managers")
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=MANAGED_APPS))
    group.permissions.add(*Permission.objects.filter(content_type__app_label="auth", codename="view_user"))


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0001_initial"),
        ("chat", "0002_transfers_invitations"),
        ("tickets", "0002_history_comments_search"),
        ("canned", "0002_agents_group"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(managers_run_the_desk, migrations.RunPython.noop)]
