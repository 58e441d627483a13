"""The JSON API under /api/v1/ (Django REST framework): web layer over the apps' services."""
