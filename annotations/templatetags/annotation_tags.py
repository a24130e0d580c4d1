"""Template tags that let archive_site's pages show annotations without importing this app.

``{% load annotation_tags %}{% record_mentions record %}``: the visible annotations linking to a
record, across documents, with the quoted passage (same visibility rule as the API).
"""

from __future__ import annotations

from django import template

from .. import selectors
from ..permissions import is_published

register = template.Library()


@register.inclusion_tag("annotations/record_mentions.html", takes_context=True)
def record_mentions(context, record):
    request = context.get("request")
    user = getattr(request, "user", None)
    mentions = list(selectors.record_annotations(user, record))
    published = sum(1 for a in mentions if is_published(a))
    return {"record": record, "mentions": mentions, "published": published}
