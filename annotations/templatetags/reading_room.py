"""Template tags that put annotations on archive_site's pages without archive_site importing this app.

``{% annotated_text document %}``  the document's text with every visible annotation highlighted,
                                   the legend, the side list and the data the page script needs.
"""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AnonymousUser

from ..reading import read_filters, reading_room_context

register = template.Library()


@register.inclusion_tag("annotations/annotated_text.html", takes_context=True)
def annotated_text(context, document):
    request = context.get("request")
    user = getattr(request, "user", None) or AnonymousUser()
    filters = read_filters(request.GET) if request is not None else None
    ctx = reading_room_context(document, user, filters)
    ctx["request"] = request
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx
