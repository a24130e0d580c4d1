from django.db import migrations

RELATION_TYPES = [
    ("accused", "accused", "The source accused the target (in a trial, a testimony, a denunciation)."),
    ("testified-against", "testified against", "The source gave evidence against the target."),
    ("member-of", "member of", "The source belonged to the target (a party organ, a bloc, a centre)."),
    ("executed-at", "executed at", "The source was executed at the target place."),
    ("sentenced-by", "sentenced by", "The source was sentenced by the target (a court, a troika)."),
    ("same-person-as", "same person as", "Both passages name one person."),
    ("related-to", "related to", "Any other link; say which in the comment."),
]


def seed(apps, schema_editor):
    RelationType = apps.get_model("annotations", "RelationType")
    for key, label, description in RELATION_TYPES:
        RelationType.objects.get_or_create(key=key, defaults={"label": label, "description": description})


class Migration(migrations.Migration):
    dependencies = [("annotations", "0004_relations_batches_tasks")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
