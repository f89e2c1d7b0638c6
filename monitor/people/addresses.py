"""Whether an address a person typed can be subscribed: one check for the sign-up form and the CLI.

Owns the rule: the address must be safe in a header (`monitor.deliver.headers.clean_address`) and
valid by email-validator's syntax and domain rules (a dot in the domain, no special-use names such
as `.invalid` or `.test`). Deliverability (DNS) is not checked: the confirmation e-mail is that check,
and Callwatch must work offline.
Must not: store anything or send mail.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from monitor.deliver.headers import clean_address


def usable_address(email: str) -> str:
    """The address, cleaned, or ValueError saying what is wrong with it."""
    address = clean_address(email)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid e-mail address {address!r}: {exc}") from None
    return address
