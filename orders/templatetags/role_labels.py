"""A role (Django group) as people read it, translated: ``{{ group.name|role_label }}``."""

from django import template

from config.roles import ROLE_LABELS

register = template.Library()


@register.filter
def role_label(name: str) -> str:
    """The translated label of one of the three roles; any other group's name as it is."""
    return ROLE_LABELS.get(name, name)
