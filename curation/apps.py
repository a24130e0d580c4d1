from django.apps import AppConfig


class CurationConfig(AppConfig):
    """What curators do: review, records, documents, import / export, backup. It has no models of
    its own: it changes the archive's and the annotations' through their services."""

    name = "curation"

    def ready(self) -> None:
        from . import tei  # noqa: F401  (connects the receiver that annotates the names a TEI source marks)
