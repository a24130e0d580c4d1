from django.apps import AppConfig


class CurationConfig(AppConfig):
    """What curators do: review, records, documents, import / export, backup. It has no models of
    its own: it changes the archive's and the annotations' through their services."""

    name = "curation"
