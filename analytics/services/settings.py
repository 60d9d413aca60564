"""Writes for the analytics settings an admin can change from the spend review."""

from koalr.accounts.models import Organization


def update_seat_price(organization: Organization, *, seat_price_cents: int) -> Organization:
    """Set the monthly seat price used to value idle seats. Callers validate the amount
    (SeatPriceForm); this refuses anything that is not a positive whole number of cents."""
    if not isinstance(seat_price_cents, int) or seat_price_cents <= 0:
        raise ValueError("The seat price must be a positive number of cents.")
    Organization.objects.filter(pk=organization.pk).update(seat_price_cents=seat_price_cents)
    organization.seat_price_cents = seat_price_cents
    return organization
