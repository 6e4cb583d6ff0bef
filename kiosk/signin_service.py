"""Who is at the register: the sign-in service the register window calls (one method per action).

Loads the operators and the sign-in history from the kiosk store (kiosk.operators_store), asks
commerce.operators to decide, journals the outcome in the chained technical events journal
(store.record_event, kiosk.journal) and keeps who is signed in.

Glossary: connexion = sign-in, déconnexion = sign-out, badge = badge, code = PIN,
accord du professeur = manager approval.

Journaled (kind = commerce.operators event kind, details = the event's details, never a PIN):
sign_in, sign_in_failed, sign_out, approval, approval_refused. An attempt made while a wait is
running is not checked and not journaled (commerce.operators: it is not counted either), so a
student pressing "OK" during the wait cannot flood the journal.

Time: the journal keeps whole seconds, so the service truncates `now` to the second before deciding;
the waits are then exact in journal time. Who is signed in is kept in memory only: after a restart
of the kiosk, everyone signs in again.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from commerce.errors import CommerceError
from commerce.operators import (Approval, ApprovalRefused, Event, Operator, SignIn, approval_event,
                                approve, needs_rehash, sign_in_badge, sign_in_pin, sign_out, with_pin)

from . import operators_store
from .operators_store import NO_OPERATOR, local_seconds


class SignInService:
    """Sign-in by badge or PIN, sign-out and manager approvals at one register."""

    def __init__(self, store, register: str):
        self.store = store
        self.register = str(register)
        self.current: Optional[Operator] = None  # the operator signed in, or None

    # -- helpers --------------------------------------------------------------------------------
    def _now(self, now: Optional[datetime]) -> datetime:
        return local_seconds(now or datetime.now())

    def _journal(self, event: Optional[Event]) -> None:
        if event is not None:
            self.store.record_event(event.kind, event.register or self.register,
                                    event.operator or NO_OPERATOR, dict(event.details), event.at)

    def _operators(self) -> list[Operator]:
        return operators_store.operators(self.store.conn)

    def _signed_in(self, result: SignIn, now: datetime) -> SignIn:
        """Journal an attempt; on success, the previous operator (if another) is signed out first."""
        if result.ok and self.current is not None and self.current.id != result.operator.id:
            self._journal(sign_out(self.current, self.register, now))
        self._journal(result.event)
        if result.ok:
            self.current = result.operator
        return result

    # -- actions --------------------------------------------------------------------------------
    def badge(self, code: str, now: Optional[datetime] = None) -> SignIn:
        """A badge scanned (EAN-13, or its 12-digit UPC-A reading). A code that is no badge at all
        raises CommerceError and is not journaled (the register looks it up as a product)."""
        now = self._now(now)
        history = operators_store.sign_in_history(self.store.conn, now)
        return self._signed_in(sign_in_badge(self._operators(), code, self.register, history, now), now)

    def pin(self, operator_id: str, pin: str, now: Optional[datetime] = None) -> SignIn:
        """A PIN typed for the operator chosen on the screen."""
        now = self._now(now)
        history = operators_store.sign_in_history(self.store.conn, now, operator_id)
        result = self._signed_in(sign_in_pin(self._operators(), operator_id, pin, self.register, history, now),
                                 now)
        if result.ok and needs_rehash(result.operator.pin_hash):  # older, cheaper hash: upgrade it now
            self.current = operators_store.set_pin_hash(self.store.conn, result.operator.id,
                                                        with_pin(result.operator, pin).pin_hash)
        return result

    def sign_out(self, now: Optional[datetime] = None) -> Optional[Event]:
        """Sign the current operator out (journaled). Nobody signed in: nothing happens (None)."""
        if self.current is None:
            return None
        event = sign_out(self.current, self.register, self._now(now))
        self._journal(event)
        self.current = None
        return event

    def approve(self, action: str, badge_or_pin: str, now: Optional[datetime] = None) -> Approval:
        """A manager's badge or PIN on the spot for `action` (commerce.operators.APPROVAL_ACTIONS).

        Returns the Approval (journaled as "approval") or raises ApprovalRefused, a CommerceError
        naming the action (journaled as "approval_refused", unless the register must wait first).
        A malformed badge or an unknown action raises CommerceError, not journaled."""
        now = self._now(now)
        history = operators_store.sign_in_history(self.store.conn, now)
        try:
            granted = approve(action, badge_or_pin, self._operators(), now, register=self.register,
                              requested_by=self.current.id if self.current else None, history=history)
        except ApprovalRefused as refused:
            self._journal(refused.event)
            raise
        self._journal(approval_event(granted))
        return granted


__all__ = ["SignInService", "SignIn", "Approval", "ApprovalRefused", "CommerceError"]
