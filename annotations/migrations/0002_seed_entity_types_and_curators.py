from django.db import migrations

ENTITY_TYPES = [
    ("person", "Person", "#fde2a7"),
    ("place", "Place", "#c7ecd2"),
    ("organisation", "Organisation", "#cfe0fb"),
    ("event", "Event", "#f6cfe0"),
    ("date", "Date", "#e5d9fb"),
    ("other", "Other", "#e6e6e6"),
]


def seed(apps, schema_editor):
    EntityType = apps.get_model("annotations", "EntityType")
    for key, label, color in ENTITY_TYPES:
        EntityType.objects.get_or_create(key=key, defaults={"label": label, "color": color})
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="curators")


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
