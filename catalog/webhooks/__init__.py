"""Outgoing webhooks: endpoints the owner registers, and a signed delivery per event.

They live in ``catalog``, the lowest app, so that every layer can emit an event
(``inventory`` emits ``stock.low``, ``orders`` the order events, ``shipping`` the shipment
events) without importing upwards. ``models`` holds the two tables (imported by
``catalog.models``), ``services`` the writes (``emit_webhook_event``, sending, retries,
redelivery), ``selectors`` the delivery log, and ``views``/``forms``/``urls`` the Owner's
pages under ``/settings/webhooks/``. The Celery tasks are in ``catalog.tasks``.
"""
