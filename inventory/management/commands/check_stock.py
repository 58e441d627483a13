"""``manage.py check_stock``: do the levels agree with the ledger and the reservations?

The services keep them in step in one transaction each; this command is how an operator
(or a cron job, or a benchmark) proves it after the fact, and it is what the services'
own error messages point to when a release finds less reserved stock than expected.
Exit status 0 when consistent, 1 with a table of differences otherwise.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from inventory.models import StockLevel
from inventory.selectors import StockDiscrepancy, list_stock_discrepancies


def format_table(discrepancies: list[StockDiscrepancy]) -> str:
    """A plain-text table, columns as wide as their longest cell, numbers right-aligned."""
    headers = [_("SKU"), _("Location"), _("Check"), _("Recorded"), _("Expected"), _("Detail")]
    rows = [[d.sku, d.location, str(d.check), str(d.recorded), str(d.expected), str(d.detail)] for d in discrepancies]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    numeric = {3, 4}

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(cell).rjust(width) if i in numeric else str(cell).ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)])


class Command(BaseCommand):
    help = _(
        "Check that every stock level's on hand equals the sum of its ledger, that its reserved "
        "equals the sum of its reservations, and that reservations belong to open orders."
    )

    def handle(self, *args, **options) -> None:
        checked = StockLevel.objects.count()
        discrepancies = list_stock_discrepancies()
        if not discrepancies:
            self.stdout.write(self.style.SUCCESS(_("Stock is consistent: %(n)s levels checked.") % {"n": checked}))
            return
        self.stdout.write(format_table(discrepancies))
        raise CommandError(
            _("%(count)s stock discrepancies found in %(n)s levels.") % {"count": len(discrepancies), "n": checked},
            returncode=1,
        )
