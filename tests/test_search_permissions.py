"""Annotation words reach only the users who may see the annotation (annotations.permissions)."""

import pytest

from annotations.models import AnnotationGroup
from annotations.signals import annotation_changed
from search import services

from .factories import AnnotationFactory, DocumentFactory, UserFactory


def annotate(**kw):
    annotation = AnnotationFactory(**kw)
    annotation_changed.send(sender=type(annotation), annotation=annotation, deleted=False)
    return annotation


def found(user, text):
    return [i.id for i in services.search(user=user, text=text, type="annotation").items]


@pytest.mark.django_db
def test_private_annotation_comment_is_searchable_by_its_creator_only(user, other_user, curator):
    a = annotate(creator=user, visibility="private", comment="Quagmire of denunciations")
    assert found(user, "quagmire") == [a.pk]
    assert found(other_user, "quagmire") == []
    assert found(None, "quagmire") == []
    assert found(curator, "quagmire") == []  # "only me" means only me: curators included


@pytest.mark.django_db
def test_group_annotation_is_searchable_by_group_members(user, other_user):
    group = AnnotationGroup.objects.create(name="readers")
    group.members.add(user)
    a = annotate(creator=UserFactory(username="dora"), visibility="group", group=group, comment="zebrafish note")
    assert found(user, "zebrafish") == [a.pk]
    assert found(other_user, "zebrafish") == []


@pytest.mark.django_db
def test_private_words_never_reach_document_search(user, other_user):
    doc = DocumentFactory(text="Plain text about the trials.")
    annotate(document=doc, creator=user, visibility="private", comment="xylophone")
    assert services.search(user=other_user, text="xylophone").count == 0


@pytest.mark.django_db
def test_making_an_annotation_public_then_deleting_it_updates_the_index(user, other_user):
    a = annotate(creator=user, visibility="private", comment="marmalade")
    a.visibility = "public"
    a.save()
    annotation_changed.send(sender=type(a), annotation=a, deleted=False)
    assert found(other_user, "marmalade") == [a.pk]
    a.delete()
    assert found(other_user, "marmalade") == []


@pytest.mark.django_db
def test_a_rejected_public_annotation_leaves_other_users_search_results(user, other_user, curator):
    from curation.review import review_annotation

    a = annotate(creator=user, visibility="public", status="approved", comment="Wombat theory of the trials")
    assert found(other_user, "wombat") == [a.pk] and found(None, "wombat") == [a.pk]
    review_annotation(user=curator, annotation=a, status="rejected", reason="Not supported by the text.")
    assert found(other_user, "wombat") == [] and found(None, "wombat") == []
    assert found(user, "wombat") == [a.pk] and found(curator, "wombat") == [a.pk]
