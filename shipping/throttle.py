"""A fixed-window request limit per client address, kept in the shared cache."""

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def is_rate_limited(request: HttpRequest, *, scope: str, limit: int, window_seconds: int) -> bool:
    """Count this request; True once the client went over ``limit`` in the current window.

    Works across processes because the count lives in the cache (Redis in production, a
    file cache on the embedded default).
    """
    window = int(time.time() // window_seconds)
    key = f"throttle:{scope}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=window_seconds):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return False
    return count > limit
