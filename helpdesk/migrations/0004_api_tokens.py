import hashlib

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# Managers revoke tokens and add them (the key is shown once); nobody reads a key again.
MANAGER_TOKEN_PERMISSIONS = ["view_apitoken", "add_apitoken", "delete_apitoken"]


def hash_drf_tokens(apps, schema_editor):
    """Every DRF token becomes an ApiToken holding only its key's hash, and the plain key is
    deleted; the key itself keeps working."""
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("helpdesk", "ApiToken")
    for token in Token.objects.all():
        created = ApiToken.objects.create(
            user_id=token.user_id, prefix=token.key[:8], key_hash=hashlib.sha256(token.key.encode()).hexdigest()
        )
        ApiToken.objects.filter(pk=created.pk).update(created_at=token.created)
    Token.objects.all().delete()


def managers_revoke_tokens(apps, schema_editor):
    """The Managers group had every permission on DRF's tokens, viewing keys included; now it
    may view, add and delete ApiTokens, whose keys are not stored."""
    app_config = apps.get_app_config("helpdesk")
    app_config.models_module = True  # permissions are normally created after all migrations
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers = Group.objects.filter(name="Managers").first()
    if managers is None:
        return
    managers.permissions.remove(*Permission.objects.filter(content_type__app_label="authtoken"))
    managers.permissions.add(
        *Permission.objects.filter(content_type__app_label="helpdesk", codename__in=MANAGER_TOKEN_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0003_webhooks"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefix", models.CharField(max_length=8, verbose_name="key starts with")),
                ("key_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "API token", "ordering": ["-created_at"]},
        ),
        # Keys cannot be recovered from their hashes: going back leaves no tokens to use.
        migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop),
        migrations.RunPython(managers_revoke_tokens, migrations.RunPython.noop),
    ]
