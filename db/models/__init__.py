"""SQLModel tables: sources and their runs, calls with deadlines and history, people, deliveries, shown-log,
collections and sign-in, member newsletters, chat targets.

Owns: the one list of tables (`__all__`): importing this package registers every table on
`SQLModel.metadata`, which Alembic reads, and callers write `from db.models import Call`.
Must not: hold behaviour. Queries and writes live in `db/repo/`; the schema is changed only through
Alembic migrations in `db/migrations/`. Enumerations are stored as short strings (not native
PostgreSQL enums) so a new value never needs an ALTER TYPE.
"""

from db.models.calls import Call, CallChange, Deadline
from db.models.chat import ChatKind, ChatStatus, ChatTarget
from db.models.collections import (
    Collection,
    CollectionEditor,
    CollectionItem,
    EditorRole,
    ItemState,
    SignInLink,
    WebSession,
)
from db.models.deliveries import Delivery, DeliveryBody, DeliveryKind, DeliveryStatus
from db.models.members import CollectionIssue, CollectionMember, Interest, MemberStatus
from db.models.people import (
    Consent,
    Dismissal,
    Frequency,
    Profile,
    RateHit,
    Subscriber,
    SubscriberStatus,
    TrackedCall,
)
from db.models.shown import Shown
from db.models.sources import FetchRun, RunStatus, Source

__all__ = [
    "Source",
    "FetchRun",
    "RunStatus",
    "Call",
    "Deadline",
    "CallChange",
    "Subscriber",
    "Profile",
    "Consent",
    "TrackedCall",
    "Dismissal",
    "RateHit",
    "SubscriberStatus",
    "Frequency",
    "Delivery",
    "DeliveryBody",
    "DeliveryStatus",
    "DeliveryKind",
    "Shown",
    "Collection",
    "CollectionEditor",
    "CollectionItem",
    "EditorRole",
    "ItemState",
    "SignInLink",
    "CollectionMember",
    "CollectionIssue",
    "Interest",
    "MemberStatus",
    "WebSession",
    "ChatTarget",
    "ChatStatus",
    "ChatKind",
]
