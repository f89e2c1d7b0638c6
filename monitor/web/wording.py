"""What the people pages say in sentences built in code: the done pages' messages, what comes
after confirming, the resend button's answer, the manage page's notices; each in the page's
language (`_`, a `monitor.render.i18n.Translator`), constants marked with N_.

Must not read requests or render pages: the routes (`people`, `manage`) pass what is needed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from db import repo
from db.models import DeliveryKind
from monitor.plan.digests import next_digest_at, with_digest
from monitor.render.cards import zone
from monitor.render.i18n import N_, Translator
from monitor.render.words import weekday_time

# Per action: the page's title, what it will do, its button, and the title once done.
WORDING = {
    "track": (N_("Track this call?"), N_("You will get deadline reminders and change alerts."),
              N_("Track this call"), N_("Tracked")),
    "dismiss": (N_("Not relevant?"), N_("This call will not be shown again for this profile."),
                N_("Not relevant"), N_("Hidden")),
}  # fmt: skip

NOT_SENT = {
    "pending": N_("no e-mail is sent to %(email)s while it is pending"),
    "unsubscribed": N_("no e-mail is sent to %(email)s while it is unsubscribed"),
    "bouncing": N_("no e-mail is sent to %(email)s while it is paused after delivery failures"),
}

FLASH = {
    "preferences": N_("Your e-mail preferences are saved."),
    "profile": N_("The profile is saved."),
    "added": N_("The profile is added. Matching calls will be in your next digest."),
    "deleted": N_("The profile is deleted."),
    "untracked": N_("You no longer track that call."),
    "tracked": N_("You now track that call: a reminder before each deadline and an alert when it changes."),
    "feeds": N_(
        "Your private feed links are new; the old ones no longer work. Update your feed reader "
        "and calendar with the links below."
    ),
}
FEED_FORMATS = (("rss", "RSS"), ("atom", "Atom"), ("ics", N_("Calendar (iCal)")))


def what_comes(policy: Any, session: Any, subscriber: Any, _: Translator, *, now: datetime) -> list[str]:
    """What the subscriber will receive from now on, from the planner's own rules, in `_`'s language."""
    profiles = repo.profiles_of(session, subscriber_ids=[subscriber.id]).get(subscriber.id, [])
    at = next_digest_at(session, policy, subscriber, profiles, now=now)
    days = [str(d) for d in sorted(policy.reminder_offsets_days, reverse=True)]
    listed = join_days(days, _)
    steps = [_("For every call you track: a reminder %(days)s days before each deadline, and an alert "
               "when it changes.", days=listed)]  # fmt: skip
    if at is None or not with_digest(profiles):
        steps.insert(0, _("No digest: you chose only reminders and changes for the calls you track."))
    else:
        when = weekday_time(at, zone(subscriber.timezone), language=_.language)
        sent = repo.claimed_periods(session, kind=DeliveryKind.DIGEST, subscriber_ids=[subscriber.id])
        values = {"when": when, "zone": subscriber.timezone}
        if sent:
            first = _("Your next digest: %(when)s (%(zone)s), with the open calls that fit you.", **values)
        else:
            first = _("Your first digest: %(when)s (%(zone)s), with the open calls that fit you.", **values)
        steps.insert(0, first)
    return steps


def resent(policy: Any, subscriber: Any, queued: bool, _: Translator, *, now: datetime) -> str:
    """What the resend button did; exact, since only the link's holder can press it."""
    if queued:
        return _(
            "A new confirmation link is on its way to %(email)s. It works for 3 days.", email=subscriber.email
        )
    if subscriber.status == "confirmed":
        return _("%(email)s is already confirmed: nothing to do.", email=subscriber.email)
    sent_at = subscriber.confirmation_sent_at
    ago = max(0, round((now - sent_at.replace(tzinfo=UTC)).total_seconds() / 60)) if sent_at else 0
    wait = max(1, policy.confirmation_interval_minutes - ago)
    sent = _.plural(
        "A confirmation link was sent to %(email)s %(num)d minute ago: use that one, it does everything "
        "this one would have.",
        "A confirmation link was sent to %(email)s %(num)d minutes ago: use that one, it does everything "
        "this one would have.",
        ago,
        email=subscriber.email,
    )
    again = _.plural(
        "You can ask for another in %(num)d minute.", "You can ask for another in %(num)d minutes.", wait
    )
    return f"{sent} {again}"


def reminder_days(policy: Any, _: Translator) -> str:
    """'30, 14, 7 and 1' (the policy's reminder offsets), in `_`'s language."""
    return join_days([str(d) for d in sorted(policy.reminder_offsets_days, reverse=True)], _)


def join_days(days: list[str], _: Translator) -> str:
    """'30, 14, 7 and 1': the reminder offsets in a sentence, in `_`'s language."""
    if len(days) < 2:
        return "".join(days)
    return _("%(first)s and %(last)s", first=", ".join(days[:-1]), last=days[-1])
