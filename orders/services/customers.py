"""Customers created by staff while they take an order (phone, counter)."""

from django.db import transaction
from django.utils.translation import gettext as _

from orders.exceptions import OrderError
from orders.models import Address, Customer


class InvalidCustomer(OrderError):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@transaction.atomic
def create_customer(
    *,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    company_name: str = "",
    address: dict | None = None,
    by=None,
) -> Customer:
    """A new customer, and their address as the default for shipping and billing when given.

    Refuses a customer with no name, company, e-mail or phone (nobody could find them again)
    and an e-mail that already belongs to a customer (search for them instead).
    """
    first_name, last_name, company_name = first_name.strip(), last_name.strip(), company_name.strip()
    email, phone = email.strip().lower(), phone.strip()
    if not (first_name or last_name or company_name):
        raise InvalidCustomer(_("Give the customer a name or a company."), field="last_name")
    if not (email or phone):
        raise InvalidCustomer(_("Give an e-mail address or a phone number to reach the customer."), field="email")
    if email and Customer.objects.filter(email__iexact=email).exists():
        raise InvalidCustomer(
            _("A customer with the e-mail %(email)s already exists; search for them instead.") % {"email": email},
            field="email",
        )
    customer = Customer.objects.create(
        first_name=first_name, last_name=last_name, email=email, phone=phone, company_name=company_name
    )
    if address and address.get("line1"):
        Address.objects.create(
            customer=customer,
            name=address.get("name") or customer.full_name or company_name,
            company=address.get("company", company_name),
            line1=address["line1"],
            line2=address.get("line2", ""),
            postal_code=address.get("postal_code", ""),
            city=address.get("city", ""),
            country=address.get("country") or "DE",
            phone=address.get("phone", phone),
            is_default_shipping=True,
            is_default_billing=True,
        )
    return customer
