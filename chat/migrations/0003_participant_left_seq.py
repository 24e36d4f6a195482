from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def record_where_each_left(apps, schema_editor):
    """For those who left before this field existed: the last message written by then."""
    ChatParticipant = apps.get_model("chat", "ChatParticipant")
    Message = apps.get_model("chat", "Message")
    last_seen = (
        Message.objects.filter(chat_id=OuterRef("chat_id"), created_at__lte=OuterRef("left_at"))
        .values("chat_id")
        .annotate(seq=Max("seq"))
        .values("seq")
    )
    ChatParticipant.objects.filter(left_at__isnull=False).update(left_seq=Coalesce(Subquery(last_seen), Value(0)))


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_transfers_invitations")]

    operations = [
        migrations.AddField(
            model_name="chatparticipant",
            name="left_seq",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(record_where_each_left, migrations.RunPython.noop),
    ]
