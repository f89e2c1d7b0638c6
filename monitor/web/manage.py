"""The manage page behind the signed manage link: preferences, profiles, tracked calls, private
feed links, export and erasure.

Owns the edits a subscriber makes there. Each is a POST form with a CSRF
token; a valid one redirects (303) back to the page with `?saved=<what>`
(POST/redirect/GET: reloading the page never sends the form again), an
invalid one shows the page again with the error and what was typed (422).
A profile is edited only through its owner's link. "Reset my feed links"
bumps each profile's `feed_token_version`: old feed URLs stop working while
the links in e-mails (manage, unsubscribe) keep working. Must not check
profiles or preferences itself: `monitor.people.subscriptions` does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from db import repo
from monitor.match.criteria import STRICT_CRITERIA, Criteria
from monitor.people.subscriptions import SubscriptionError, check_preferences, clean_profile
from monitor.plan.digest_content import ids_of
from monitor.plan.digests import next_digest_at
from monitor.render.cards import zone
from monitor.render.i18n import N_
from monitor.render.words import STATED_WORDS, weekday_time
from monitor.tokens import Purpose, TokenError
from monitor.web.chat_targets import chat_section, export_with_chat_targets
from monitor.web.deps import PagesDep, form_for, get_catalogue
from monitor.web.feeds import profile_entries
from monitor.web.forms import blank, preference_values, preferences, profile_input, profile_values, typed
from monitor.web.pages import Pages
from monitor.web.security import CheckedForm
from monitor.web.wording import FEED_FORMATS, FLASH, reminder_days

EraseForm, ProfileForm, DeleteProfileForm = form_for("erase"), form_for("profile"), form_for("delete-profile")
PreferencesForm, UntrackForm, ResetFeedsForm = (
    form_for("preferences"),
    form_for("untrack"),
    form_for("reset-feeds"),
)
TrackForm = form_for("track")

router = APIRouter(include_in_schema=False)


def _show(
    pages: Pages, request: Request, token: str, session: Any, subscriber: Any, **state: Any
) -> HTMLResponse:
    """The manage page; `editing` (preferences, new, or a profile id) with `values` and `error`
    shows that form again as typed."""
    links, _ = pages.links, pages.words(request, subscriber)
    editing, values = state.get("editing"), state.get("values")
    rows = repo.profiles_of(session, subscriber_ids=[subscriber.id]).get(subscriber.id, [])
    counts = _match_counts(pages, request, session, rows)
    profiles = [
        {
            "row": row,
            "values": values if editing == row.id else profile_values(row),
            # "RSS" and "Atom" are names, the same in every language.
            "feeds": [
                (_(label) if fmt == "ics" else label, links.profile_feed(subscriber, row, fmt))
                for fmt, label in FEED_FORMATS
            ],
            "open": editing == row.id,
            "matching": counts.get(row.id, (0, 0))[0],
            "unseen": counts.get(row.id, (0, 0))[1],
            "strict": ", ".join(
                dict.fromkeys(
                    _(STATED_WORDS.get(STRICT_CRITERIA[n], STRICT_CRITERIA[n]))
                    for n in row.strict
                    if n in STRICT_CRITERIA
                )
            )
            or None,
        }
        for row in rows
    ]
    return pages.page(
        request,
        "manage",
        state.get("status", 200),
        subscriber=subscriber,
        base=f"/manage/{token}",
        flash=_(FLASH[saved]) if (saved := request.query_params.get("saved", "")) in FLASH else None,
        error=state["error"].said(_.language) if state.get("error") else "",
        editing=editing,
        prefs=values if editing == "preferences" else preference_values(subscriber),
        profiles=profiles,
        new_profile=values if editing == "new" else blank(),
        tracked=_tracked(session, subscriber.id),
        waiting=_calls(session, repo.pending_calls(session, subscriber_id=subscriber.id)),
        next_digest=_next_digest(pages, session, subscriber, rows, _.language),
        reminder_days=reminder_days(pages.mail.policy, _),
        calendar_url=links.tracked_calendar(subscriber),
        unsubscribe_url=links.unsubscribe(subscriber),
        **chat_section(pages, request, session, subscriber),
    )


def _match_counts(
    pages: Pages, request: Request, session: Any, rows: list[Any]
) -> dict[int, tuple[int, int]]:
    """How many calls each profile matches now (what its feed lists), and how many of them no
    digest has listed for it yet (the shown-log the digest planner reads: its next "new")."""
    snapshot, now = get_catalogue(request).get(), pages.app.clock()
    dismissed = repo.dismissed_calls(session, profile_ids=[row.id for row in rows])
    logs = repo.shown_log(session, subscriber_ids=list({row.subscriber_id for row in rows}))
    counts = {}
    for row in rows:
        found = profile_entries(snapshot, Criteria.from_profile(row), dismissed.get(row.id, ()), now)
        log = logs.get(row.subscriber_id) or repo.ShownLog()
        counts[row.id] = (len(found), sum(not log.shown(row.id, ids_of(e.call)) for e, _ in found))
    return counts


def _next_digest(pages: Pages, session: Any, subscriber: Any, rows: list[Any], language: str) -> str | None:
    """'Monday 7 December 08:00' in the subscriber's zone, from the planner's own schedule."""
    at = next_digest_at(session, pages.mail.policy, subscriber, rows, now=pages.app.clock())
    return weekday_time(at, zone(subscriber.timezone), language=language) if at is not None else None


def _saved(token: str, what: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/manage/{token}?saved={what}#{anchor}", status_code=303)


def _own_profile(session: Any, subscriber: Any, profile_id: int) -> Any:
    row = repo.profile(session, profile_id=profile_id)
    if row is None or row.subscriber_id != subscriber.id:
        raise TokenError(N_("this profile no longer exists"))
    return row


# --------------------------------------------------------------------------- the page, export, erasure


@router.get("/manage/{token}", response_class=HTMLResponse)
def manage_page(token: str, request: Request, pages: PagesDep) -> Response:
    return pages.acting(
        request, Purpose.MANAGE, token, lambda s, sub, _: _show(pages, request, token, s, sub)
    )


@router.get("/manage/{token}/export")
def export(token: str, request: Request, pages: PagesDep) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        data = export_with_chat_targets(session, subscriber.id)
        disposition = 'attachment; filename="callwatch-data.json"'
        return JSONResponse(data, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})

    return pages.acting(request, Purpose.MANAGE, token, work)


@router.post("/manage/{token}/delete", response_class=HTMLResponse)
def erase(token: str, request: Request, pages: PagesDep, form: EraseForm) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        _ = pages.words(request, subscriber)  # before the row (and its language) is gone
        repo.delete_subscriber(session, subscriber_id=subscriber.id)
        message = _("Callwatch keeps nothing about you any more.")
        title = _("Your data is erased")
        return pages.page(request, "done", title=title, message=message, subscriber_language=_.language)

    return pages.acting(request, Purpose.MANAGE, token, work, form)


# --------------------------------------------------------------------------- profiles
# A profile id in the URL must be the link owner's.


def _save_profile(
    pages: Pages, request: Request, token: str, form: CheckedForm, profile_id: int | None
) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        try:
            row = _own_profile(session, subscriber, profile_id) if profile_id is not None else None
        except TokenError as error:
            return pages.refused(request, error)
        values = typed(form)
        try:
            cleaned = clean_profile(profile_input(values))
        except SubscriptionError as error:
            editing = row.id if row is not None else "new"
            state = {
                "editing": editing,
                "values": values,
                "error": error,
                "status": 422,
            }  # said in the subscriber's language by _show
            return _show(pages, request, token, session, subscriber, **state)
        now = pages.app.clock()
        if row is None:
            added = repo.add_profile(session, subscriber_id=subscriber.id, now=now, **cleaned)
            return _saved(token, "added", f"profile-{added.id}")
        repo.update_profile(session, profile_id=row.id, now=now, **cleaned)
        return _saved(token, "profile", f"profile-{row.id}")

    return pages.acting(request, Purpose.MANAGE, token, work, form)


@router.post("/manage/{token}/profiles", response_class=HTMLResponse)
def add_profile(token: str, request: Request, pages: PagesDep, form: ProfileForm) -> Response:
    return _save_profile(pages, request, token, form, None)


@router.post("/manage/{token}/profiles/{profile_id}", response_class=HTMLResponse)
def edit_profile(
    token: str, profile_id: int, request: Request, pages: PagesDep, form: ProfileForm
) -> Response:
    return _save_profile(pages, request, token, form, profile_id)


@router.post("/manage/{token}/profiles/{profile_id}/delete", response_class=HTMLResponse)
def delete_profile(
    token: str, profile_id: int, request: Request, pages: PagesDep, form: DeleteProfileForm
) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        try:
            row = _own_profile(session, subscriber, profile_id)
        except TokenError as error:
            return pages.refused(request, error)
        repo.delete_profile(session, profile_id=row.id)
        return _saved(token, "deleted", "profiles")

    return pages.acting(request, Purpose.MANAGE, token, work, form)


# --------------------------------------------------------------------------- settings


@router.post("/manage/{token}/preferences", response_class=HTMLResponse)
def save_preferences(token: str, request: Request, pages: PagesDep, form: PreferencesForm) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        values = typed(form)
        try:
            prefs = check_preferences(**preferences(values))
        except SubscriptionError as error:
            state = {"editing": "preferences", "values": values, "error": error, "status": 422}
            return _show(pages, request, token, session, subscriber, **state)
        repo.update_subscriber(session, subscriber_id=subscriber.id, **prefs)
        return _saved(token, "preferences", "preferences")

    return pages.acting(request, Purpose.MANAGE, token, work, form)


@router.post("/manage/{token}/untrack", response_class=HTMLResponse)
def untrack(token: str, request: Request, pages: PagesDep, form: UntrackForm) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        wanted = form.get("call_id")
        call = repo.logical_call(session, call_id=int(wanted)) if wanted.isdigit() else None
        # Tracked may be any record of a merged call: stop following all of them.
        for call_id in {m.call.id for m in call.members} if call is not None else set():
            repo.untrack_call(session, subscriber_id=subscriber.id, call_id=call_id)
        return _saved(token, "untracked", "tracked")

    return pages.acting(request, Purpose.MANAGE, token, work, form)


@router.post("/manage/{token}/track", response_class=HTMLResponse)
def track(token: str, request: Request, pages: PagesDep, form: TrackForm) -> Response:
    """A call waiting under "Calls waiting for you": the owner's click tracks it."""

    def work(session: Any, subscriber: Any, _: Any) -> Response:
        wanted = form.get("call_id")
        call = repo.logical_call(session, call_id=int(wanted)) if wanted.isdigit() else None
        # The request may name another record of what is now one merged call.
        members = {m.call.id for m in call.members} if call is not None else set()
        for call_id in members & set(repo.pending_calls(session, subscriber_id=subscriber.id)):
            repo.track_call(session, subscriber_id=subscriber.id, call_id=call_id, now=pages.app.clock())
        return _saved(token, "tracked", "tracked")

    return pages.acting(request, Purpose.MANAGE, token, work, form)


@router.post("/manage/{token}/reset-feeds", response_class=HTMLResponse)
def reset_feeds(token: str, request: Request, pages: PagesDep, form: ResetFeedsForm) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        repo.reset_feed_tokens(session, subscriber_id=subscriber.id)
        return _saved(token, "feeds", "feeds")

    return pages.acting(request, Purpose.MANAGE, token, work, form)


def _tracked(session: Any, subscriber_id: int) -> list[Any]:
    """The calls a subscriber tracks, one per merged call, soonest deadline first."""
    tracked = repo.tracked_calls(session, subscriber_ids=[subscriber_id]).get(subscriber_id, {})
    return sorted(
        _calls(session, tracked), key=lambda c: (c.next_deadline_at is None, c.next_deadline_at, c.id)
    )


def _calls(session: Any, call_ids: Any) -> list[Any]:
    """The stored calls among these ids, one per merged call, in the given order."""
    calls: dict[int, Any] = {}
    for call_id in call_ids:
        call = repo.logical_call(session, call_id=call_id)
        if call is not None:
            calls.setdefault(call.id, call)
    return list(calls.values())
