"""Every URL pattern of the project as (name, route), for the tests that walk them all."""

from django.urls import URLPattern, URLResolver, get_resolver


def walk_url_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """(``namespace:name``, route) of every pattern, the Django admin's left out."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk_url_patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern)
