"""A fixed-window request limit per client address, kept in the shared cache."""

import logging
import time

from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def is_rate_limited(request: HttpRequest, *, scope: str, limit: int, window_seconds: int) -> bool:
    """Count this request; True once the client went over ``limit`` in the current window.

    Works across processes because the count lives in the cache (Redis in production, a
    file cache on the embedded default). A cache that cannot be reached (Redis restarting)
    counts nothing and limits nobody, with a warning in the log: the pages it guards must not
    answer with an error while it is away, and what it slows down (guessing 128-bit tracking
    codes) gains nothing from a few minutes unlimited.
    """
    window = int(time.time() // window_seconds)
    key = f"throttle:{scope}:{client_address(request)}:{window}"
    try:
        return _count(key, limit=limit, window_seconds=window_seconds)
    except Exception:
        logger.warning("Cache unreachable; %s requests not counted or limited.", scope, exc_info=True)
        return False


def _count(key: str, *, limit: int, window_seconds: int) -> bool:
    if cache.add(key, 1, timeout=window_seconds):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return False
    return count > limit
