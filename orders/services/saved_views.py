"""A user's saved order-list views: named query strings shown as tabs above the list."""

from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Max
from django.http import QueryDict

from orders.models import SavedOrderView

# What a view remembers is the filters and the sort; the page and its size are where the user is.
NOT_SAVED_PARAMS = frozenset({"page", "per_page", "csrfmiddlewaretoken"})
MAX_QUERY_LENGTH = 1000


def clean_view_query(query_string: str) -> str:
    """The query string without paging and empty values, in a stable order, so equal views compare equal."""
    params = QueryDict(query_string)
    pairs = sorted(
        (key, value) for key, values in params.lists() if key not in NOT_SAVED_PARAMS for value in values if value
    )
    return urlencode(pairs)[:MAX_QUERY_LENGTH]


@transaction.atomic
def save_order_view(*, user, name: str, query_string: str) -> SavedOrderView:
    """Save the list's current filters under a name; saving again under the same name replaces them."""
    name = name.strip()[:60]
    query = clean_view_query(query_string)
    existing = SavedOrderView.objects.select_for_update().filter(user=user, name=name).first()
    if existing is not None:
        existing.query_string = query
        existing.save(update_fields=["query_string"])
        return existing
    last = SavedOrderView.objects.filter(user=user).aggregate(last=Max("position"))["last"]
    return SavedOrderView.objects.create(
        user=user, name=name, query_string=query, position=0 if last is None else last + 1
    )


@transaction.atomic
def delete_order_view(*, view: SavedOrderView) -> None:
    view.delete()
