from django.contrib.auth.management import create_permissions
from django.db import migrations

# An access attempt is a run of failed sign-ins; deleting it lifts the lockout it caused.
MANAGER_AXES_PERMISSIONS = ["view_accessattempt", "delete_accessattempt"]


def managers_unlock_sign_ins(apps, schema_editor):
    """Managers see who is locked out of signing in (django-axes' access attempts) and unlock
    them by deleting the attempts."""
    app_config = apps.get_app_config("axes")
    app_config.models_module = True  # permissions are normally created after all migrations
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers, _ = Group.objects.get_or_create(name="Managers")
    managers.permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename__in=MANAGER_AXES_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0004_api_tokens"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(managers_unlock_sign_ins, migrations.RunPython.noop)]
