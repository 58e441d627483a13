"""The catalogue's back-office pages, one module per concern (``discounts``)."""
