from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender, using="default", **kwargs) -> None:
    from config.roles import APPS, sync_roles

    # Once per migrate (or flush): after the last of our apps, when all their permissions exist.
    if sender.label == APPS[-1]:
        sync_roles()


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="orders.sync_roles")
