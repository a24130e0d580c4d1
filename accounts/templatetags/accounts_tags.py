"""``{% load accounts_tags %}{% signup_open as open %}``: lets the base template offer "Sign up"
only when self-service accounts are open, without archive_site reading this app's settings."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def signup_open() -> bool:
    return bool(settings.ALLOW_SIGNUP)
