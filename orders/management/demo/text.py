"""Translated messages for the demo's timeline, looked up once per run."""

from django.utils.translation import gettext

_translated: dict[str, str] = {}


def _(message: str) -> str:
    """``gettext``, remembered: the same dozen messages are needed a million times."""
    text = _translated.get(message)
    if text is None:
        text = _translated[message] = gettext(message)
    return text


def forget_translations() -> None:
    _translated.clear()
