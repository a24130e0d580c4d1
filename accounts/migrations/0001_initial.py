"""The attempt counters and the user-name skeletons; the skeletons of the users that exist already
are recorded (oldest account first: where two existing names look alike, the older keeps the digest)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def record_existing_skeletons(apps, schema_editor):
    from accounts.usernames import skeleton_digest

    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    skeleton_model = apps.get_model("accounts", "UsernameSkeleton")
    rows = [skeleton_model(user_id=pk, digest=skeleton_digest(name))
            for pk, name in user_model.objects.order_by("pk").values_list("pk", "username").iterator()]
    skeleton_model.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='UsernameSkeleton',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='username_skeleton', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('digest', models.CharField(max_length=64, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name='Attempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(max_length=32)),
                ('key', models.CharField(max_length=64)),
                ('at', models.DateTimeField(db_index=True)),
            ],
            options={
                'indexes': [models.Index(fields=['key', 'at'], name='accounts_attempt_key_at')],
            },
        ),
        migrations.RunPython(record_existing_skeletons, migrations.RunPython.noop),
    ]
