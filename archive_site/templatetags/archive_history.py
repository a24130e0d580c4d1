"""``{% load archive_history %}{{ change.old|history_value|default:"—" }}``: a value from
``archive_site.history.present`` as a person reads it on a history page (a list of names joined,
nothing for an empty value), for the reader's and the curators' history pages alike."""

from django import template

register = template.Library()


@register.filter
def history_value(value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
