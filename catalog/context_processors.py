from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from catalog.models import StoreSettings


def store(request: HttpRequest) -> dict:
    # Lazy: only a template that shows the name reads it (from the cache; one query when cold).
    return {"STORE_NAME": SimpleLazyObject(StoreSettings.cached_name), "STORE_CURRENCY": settings.STORE_CURRENCY}
