from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENT_PERMISSIONS = [
    "view_cannedmessage",
    "add_cannedmessage",
    "change_cannedmessage",
    "view_cannedcategory",
    "add_cannedcategory",
    "change_cannedcategory",
]


def agents_may_add_and_change(apps, schema_editor):
    """The "Agents" group: every agent may view, add and change canned messages and categories;
    deleting is left to managers (the permission can be granted per group in the admin)."""
    app_config = apps.get_app_config("canned")
    app_config.models_module = True  # permissions are normally created after all migrations
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Agent = apps.get_model("helpdesk", "Agent")
    group, _ = Group.objects.get_or_create(name="Agents")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="canned", codename__in=AGENT_PERMISSIONS))
    for agent in Agent.objects.select_related("user"):
        agent.user.groups.add(group)


class Migration(migrations.Migration):
    dependencies = [
        ("canned", "0001_initial"),
        ("helpdesk", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(agents_may_add_and_change, migrations.RunPython.noop)]
