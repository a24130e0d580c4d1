"""Factories for the tests: real rows in the test database."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from archive_site.models import Document, Record


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    slug = factory.Sequence(lambda n: f"document-{n}")
    title = factory.Sequence(lambda n: f"Document {n}")
    author = "A. Historian"
    date = "1937"
    kind = "lecture"
    source = "test"
    language = "en"
    text = "On August 19, 1936, the first Moscow Show Trial opened.\n\nZinoviev and Kamenev were shot."


class RecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Record

    key = factory.Sequence(lambda n: f"record-{n}")
    kind = Record.Kind.PERSON
    label = factory.Sequence(lambda n: f"Person {n}")
    aliases = factory.LazyFunction(list)
    description = ""


class AnnotationFactory(factory.django.DjangoModelFactory):
    """An anchored annotation on the first word run of its document's text ([0, 9) by default)."""

    class Meta:
        model = "annotations.Annotation"

    document = factory.SubFactory(DocumentFactory)
    creator = factory.SubFactory(UserFactory)
    target_start = 0
    target_end = 9
    target_quote = factory.LazyAttribute(lambda o: o.document.text[o.target_start : o.target_end])
    target_prefix = factory.LazyAttribute(lambda o: o.document.text[max(0, o.target_start - 32) : o.target_start])
    target_suffix = factory.LazyAttribute(lambda o: o.document.text[o.target_end : o.target_end + 32])
    visibility = "public"
    status = "pending"


class AnnotationGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "annotations.AnnotationGroup"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group-{n}")
