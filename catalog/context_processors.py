from django.conf import settings
from django.http import HttpRequest


def store(request: HttpRequest) -> dict:
    return {"STORE_NAME": settings.STORE_NAME, "STORE_CURRENCY": settings.STORE_CURRENCY}
