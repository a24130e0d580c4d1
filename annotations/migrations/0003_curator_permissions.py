"""The curators group gets the model permissions of its role, so that a curator who is also staff
(``grant_curator --staff``) can use the admin for annotations, records and documents. The curation
pages and API check membership of the group (``annotations.permissions.is_curator``)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATOR_PERMISSIONS = {
    "annotations": [
        "view_annotation", "change_annotation", "delete_annotation", "view_entitytype", "add_entitytype",
        "change_entitytype", "view_tag", "add_tag", "change_tag", "view_annotationgroup",
    ],
    "archive_site": ["view_document", "add_document", "change_document", "view_record", "add_record", "change_record"],
}


def grant(apps, schema_editor):
    for label in CURATOR_PERMISSIONS:  # permissions are otherwise only made after all migrations
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="curators")
    for label, codenames in CURATOR_PERMISSIONS.items():
        group.permissions.add(*Permission.objects.filter(content_type__app_label=label, codename__in=codenames))


def ungrant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="curators").first()
    if group is not None:
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0002_seed_entity_types_and_curators"),
        ("archive_site", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, ungrant)]
