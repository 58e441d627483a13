"""The demo store that ``manage.py seed_demo`` builds: data, reference records, orders."""
