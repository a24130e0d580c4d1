"""``{% load curation_tags %}{% if user|is_curator %}``: lets the base template show curators
their link without importing this app's permission rules."""

from django import template

from annotations.permissions import can_curate

register = template.Library()


@register.filter
def is_curator(user) -> bool:
    return can_curate(user)
