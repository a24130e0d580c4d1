from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the document re-anchoring receivers)
