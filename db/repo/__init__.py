"""The one package that writes SQL. Callers use `from db import repo` and `repo.<function>`.

Functions take a `Session` and keyword-only arguments and never commit; the
caller's `session_scope` does.

- `db.repo.sources`: sources and their runs, health, HTTP validators;
- `db.repo.calls`: storing calls, their deadlines and their history;
- `db.repo.unlisting`: when calls missing from complete polls are unlisted (evidence, suspect empty);
- `db.repo.reads`: calls as users see them (search, merged views, the catalogue's version);
- `db.repo.groups`: what cross-source regrouping reads and writes;
- `db.repo.people`: subscribers, profiles, consent, export and erasure, private feed versions and
  rate-limit hits;
- `db.repo.follows`: tracked and dismissed calls;
- `db.repo.collections`: collections, their co-editors and items (notes, order, dismissed);
- `db.repo.export`: everything stored about one subscriber (the right of access);
- `db.repo.members`: member newsletters (members, issues, interest);
- `db.repo.signin`: owners' sign-in links and web sessions (stored as hashes);
- `db.repo.chat`: chat targets (sealed apprise URLs), their refusals and suspension;
- `db.repo.deliveries`: the e-mail queue (claims, outcomes, bodies);
- `db.repo.leases`: leasing due rows of the queue to senders, in batches;
- `db.repo.shown`: the shown-log (what each subscriber's digests listed, per profile);
- `db.repo.planning`: subscribers a page at a time and calls without their HTML, for planning;
- `db.repo.history`: changes recorded in a window and group primaries, for planning e-mail.

Must not: import anything of the project but `db` and `monitor.model`; deciding (regrouping,
diffing wording, alerts) happens above, in `monitor`.
"""

from db.repo.calls import (
    StoreCounts,
    StoredClock,
    changes_for,
    deadlines_for,
    store_calls,
    stored_clocks,
)
from db.repo.chat import (
    active_chat_targets,
    add_chat_target,
    all_chat_targets,
    chat_target_for_delivery,
    chat_targets_of,
    get_chat_target,
    reactivate_chat_target,
    record_chat_error,
    record_chat_refusal,
    record_chat_success,
    remove_chat_target,
    reseal_chat_target,
    sync_operator_chat_targets,
)
from db.repo.collections import (
    accept_invitations,
    add_editor,
    add_to_collection,
    collection_by_public_key,
    collection_items,
    collections_of,
    create_collection,
    decided_call_ids,
    delete_collection,
    dismiss_from_collection,
    editors_of,
    get_collection,
    item_counts,
    may_edit_collection,
    move_item,
    remove_editor,
    republish_collection,
    set_item_note,
    touch_collection,
    update_collection,
)
from db.repo.deliveries import (
    claim_period,
    claimed_periods,
    deliveries,
    delivery_body,
    drop_old_messages,
    erase_bodies,
    finish_delivery,
    had_digest,
    last_covered,
    last_operator_watermark,
    last_watermark,
    pending_count,
    period_claimed,
    skipped_digests,
)
from db.repo.export import export_subscriber
from db.repo.follows import (
    apply_pending,
    dismiss_call,
    dismissed_calls,
    pending_calls,
    request_track,
    track_call,
    tracked_calls,
    untrack_call,
)
from db.repo.groups import GroupInput, group_inputs, set_groups
from db.repo.history import changes_since, primary_ids
from db.repo.leases import LeasedDelivery, lease_due, lease_planning, release_leases
from db.repo.members import (
    confirm_member,
    count_recipients,
    interest_by_call,
    issue,
    issue_period_prefix,
    issue_recipients,
    issues_of,
    join_collection,
    leave_all_collections,
    leave_collection,
    member,
    member_counts,
    membership,
    next_issue_number,
    note_member_confirmation_sent,
    record_interest,
    record_issue,
    unsent_items,
)
from db.repo.people import (
    PROFILE_FIELDS,
    SUBSCRIBER_FIELDS,
    add_profile,
    confirmed_subscribers,
    count_hits,
    create_subscriber,
    delete_profile,
    delete_subscriber,
    note_confirmation_sent,
    profile,
    profiles_of,
    prune_hits,
    record_consent,
    record_hard_bounce,
    record_hit,
    reset_feed_tokens,
    rotate_tokens,
    set_status,
    subscriber,
    subscriber_by_email,
    unconfirmed_before,
    update_profile,
    update_subscriber,
)
from db.repo.planning import confirmed_page, planning_calls
from db.repo.reads import (
    catalogue_version,
    logical_call,
    logical_calls,
    search_calls,
)
from db.repo.shown import ShownLog, record_shown, shown_log
from db.repo.signin import (
    add_sign_in_link,
    add_web_session,
    live_web_session,
    prune_sign_in,
    revoke_web_session,
    sign_in_link,
    use_sign_in_link,
)
from db.repo.sources import (
    beat,
    failing_sources,
    finish_run,
    incomplete_sources,
    list_sources,
    mark_crashed,
    recent_runs,
    save_validators,
    source_health,
    source_validators,
    start_run,
    streak_start,
    sync_source,
)
from db.repo.unlisting import UNLIST_GUARD_SHARE

# fmt: off
__all__ = [
    "active_chat_targets", "all_chat_targets", "reseal_chat_target", "add_chat_target",
    "chat_target_for_delivery", "chat_targets_of", "get_chat_target", "reactivate_chat_target",
    "record_chat_error", "record_chat_refusal", "record_chat_success", "remove_chat_target",
    "sync_operator_chat_targets", "create_collection", "get_collection", "collection_by_public_key",
    "collections_of", "may_edit_collection", "touch_collection", "update_collection",
    "republish_collection", "delete_collection", "add_to_collection", "dismiss_from_collection",
    "set_item_note", "move_item", "collection_items", "decided_call_ids", "add_editor",
    "accept_invitations", "remove_editor", "editors_of", "item_counts", "confirmed_page",
    "planning_calls", "UNLIST_GUARD_SHARE", "StoreCounts", "catalogue_version", "sync_source",
    "source_health", "failing_sources", "incomplete_sources", "list_sources", "start_run", "beat",
    "mark_crashed", "finish_run", "source_validators", "streak_start", "save_validators", "recent_runs",
    "store_calls", "stored_clocks", "StoredClock", "deadlines_for", "changes_for", "search_calls",
    "logical_calls", "logical_call", "GroupInput", "group_inputs", "set_groups", "PROFILE_FIELDS",
    "SUBSCRIBER_FIELDS", "subscriber_by_email", "subscriber", "create_subscriber", "update_subscriber",
    "set_status", "note_confirmation_sent", "record_hard_bounce", "rotate_tokens",
    "confirmed_subscribers", "add_profile", "update_profile", "delete_profile", "profiles_of", "profile",
    "record_consent", "track_call", "request_track", "pending_calls", "apply_pending", "untrack_call",
    "tracked_calls", "dismiss_call", "dismissed_calls", "export_subscriber", "delete_subscriber",
    "reset_feed_tokens", "record_hit", "count_hits", "prune_hits", "claim_period", "LeasedDelivery",
    "delivery_body", "drop_old_messages", "erase_bodies", "skipped_digests", "last_operator_watermark",
    "unconfirmed_before", "period_claimed", "release_leases", "lease_planning", "claimed_periods",
    "last_covered", "last_watermark", "lease_due", "finish_delivery", "deliveries", "pending_count",
    "changes_since", "primary_ids", "had_digest", "ShownLog", "shown_log", "record_shown", "confirm_member",
    "count_recipients", "interest_by_call", "issue", "issue_period_prefix", "issue_recipients",
    "issues_of", "join_collection", "leave_all_collections", "leave_collection", "member",
    "member_counts", "membership", "next_issue_number", "note_member_confirmation_sent",
    "record_interest", "record_issue", "unsent_items", "add_sign_in_link", "sign_in_link",
    "use_sign_in_link", "add_web_session", "live_web_session", "revoke_web_session", "prune_sign_in",
]
# fmt: on
