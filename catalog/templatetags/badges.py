from django import template
from django.utils.text import slugify

register = template.Library()


@register.filter
def status_slug(value) -> str:
    """``partially_paid`` → ``partially-paid``: the CSS class of a status badge."""
    return slugify(str(value)).replace("_", "-")
