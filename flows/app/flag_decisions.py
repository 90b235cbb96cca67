"""One flag's decision, and the "not an error" decisions remembered per collection (listed and
undone by an admin). Every decision goes into the audit."""

from __future__ import annotations

from storage.models import FlagStatus
from storage.review_queue import Dismissal

from .errors import NotFound, Refused
from .store import Store


def _said(d: Dismissal) -> str:
    return f"{d.type} “{d.word}” in {d.collection or 'no collection'}"


def decide_flag(store: Store, user: str, flag_id: int, decision: str) -> list[int]:
    """accept: not an error here; dismiss: not an error for this rule and word anywhere in the
    collection (remembered, so recomputes do not raise it again). Returns the flags closed."""
    flag = store.review.flag(flag_id)
    if flag is None:
        raise NotFound("no such flag")
    if decision == "accept":
        decided = store.review.decide(flag_id, FlagStatus.ACCEPTED, user)
        return [flag_id] if decided is not None and decided.status == FlagStatus.ACCEPTED else []
    if decision == "dismiss":
        dismissal = store.queue.dismiss(flag_id, user)
        if dismissal is None:
            raise Refused("only a flag on a word can be dismissed for the collection")
        store.review.audit(user, "dismiss", document_id=flag.document_id, flag_ids=[flag_id], note=_said(dismissal))
        return [flag_id]
    raise Refused("decision is accept or dismiss")


def dismissals(store: Store) -> list[Dismissal]:
    return store.queue.dismissals()


def undo_dismissal(store: Store, user: str, dismissal_id: int) -> Dismissal:
    """Forget a "not an error" decision: the flags it closed open again."""
    gone = store.queue.undo_dismissal(dismissal_id)
    if gone is None:
        raise NotFound("no such decision")
    store.review.audit(user, "undo_dismiss", note=_said(gone))
    return gone
