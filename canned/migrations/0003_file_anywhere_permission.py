from django.contrib.auth.management import create_permissions
from django.db import migrations


def managers_may_file_anywhere(apps, schema_editor):
    """Managers keep filing canned messages for all departments and any department; agents (the
    "Agents" group) file only under their own departments from now on."""
    app_config = apps.get_app_config("canned")
    app_config.models_module = True  # permissions are normally created after all migrations
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers, _ = Group.objects.get_or_create(name="Managers")
    file_anywhere = Permission.objects.get(content_type__app_label="canned", codename="add_global_cannedmessage")
    managers.permissions.add(file_anywhere)


class Migration(migrations.Migration):
    dependencies = [
        ("canned", "0002_agents_group"),
        ("helpdesk", "0002_managers_group"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="cannedmessage",
            options={
                "ordering": ["category__name", "shortcut", "id"],
                "permissions": [
                    (
                        "add_global_cannedmessage",
                        "Can file canned messages for all departments and for any department",
                    )
                ],
                "verbose_name": "canned message",
            },
        ),
        migrations.RunPython(managers_may_file_anywhere, migrations.RunPython.noop),
    ]
