"""Gateway keys: issued to an approved AI use by its owner or a governance lead, shown once,
stored only as a SHA-256 hash with a short prefix to recognise it by, revoked with a reason.

Issuing and revoking append evidence (by key id and prefix, never the key) and tell the use's
owner, in the caller's transaction; nothing here commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import outbox
from governance.config import OrgConfig
from governance.errors import AimsError, NotFoundError, PermissionDenied, ValidationProblem
from governance.gateway.models import USABLE_STATUSES
from governance.models import RecordStatus
from governance.notices import Line, Notice, Part, Style, Tone, fact, person
from governance.register import get_record
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.gateway_models import GatewayKey, GatewayUseOption
from store.models import AIUse, utcnow
from store.outbox_kinds import OutboxKind

KEY_MARK = "aims_sk_"
PREFIX_LENGTH = 12  # aims_sk_ and four characters of the secret part
UNKNOWN_PREFIX_LENGTH = 8  # of a key presented that no use holds (it may be anyone's secret)
_KEY_ID = re.compile(r"^KEY-\d{4,}$")
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")

Via = Literal["cli", "slack"]


class KeyNotIssuable(AimsError):
    """The record may not have a gateway key (yet): its status or its review says why."""


class KeyAlreadyRevoked(AimsError):
    """The key was revoked before; a key is revoked once."""


@dataclass(frozen=True)
class IssuedKey:
    """A key just issued. `key` is the only copy: show it once, never store or log it."""

    key_id: str
    prefix: str
    record_ref: str
    title: str
    key: str = field(repr=False)

    @property
    def shown(self) -> str:
        """How the key is named everywhere after it was shown: id and prefix."""
        return f"{self.key_id} ({self.prefix}…)"


def hash_key(plain_key: str) -> str:
    """The SHA-256 (hex) of the whole key: the only form in which a key is stored."""
    return hashlib.sha256(plain_key.encode("utf-8", "surrogatepass")).hexdigest()


def presented_prefix(plain_key: str) -> str:
    """What may be recorded about a presented key: the prefix of a gateway key (12 characters),
    or the first 8 characters of anything else, printable characters only."""
    length = PREFIX_LENGTH if plain_key.startswith(KEY_MARK) else UNKNOWN_PREFIX_LENGTH
    return _UNPRINTABLE.sub("?", plain_key[:length])


def new_key() -> str:
    return KEY_MARK + secrets.token_urlsafe(32)


def format_key_id(number: int) -> str:
    return f"KEY-{number:04d}"


def shown(key: GatewayKey) -> str:
    return f"{key.key_id} ({key.prefix}…)"


def may_manage(record: AIUse, actor: str, config: OrgConfig) -> bool:
    """The record's owner and the governance leads manage its keys and options."""
    return bool(actor) and (actor == record.owner or actor in config.members("governance_leads"))


def _check_manager(record: AIUse, actor: str, config: OrgConfig, what: str) -> None:
    if may_manage(record, actor, config):
        return
    owner = config.display_name(record.owner) if record.owner else "nobody named"
    raise PermissionDenied(
        f"only the owner of {record.ref} ({owner}) or a governance lead can {what}; ask one of them"
    )


def check_issuable(record: AIUse) -> None:
    """Why the record may not have a key now (KeyNotIssuable), or nothing."""
    status = RecordStatus(record.status)
    label = status.value.replace("_", " ")
    if status not in USABLE_STATUSES:
        todo = {
            RecordStatus.DRAFT: "submit it for approval first",
            RecordStatus.SUBMITTED: "wait for its approval decision",
            RecordStatus.IN_REVIEW: "wait for its approval decision",
            RecordStatus.CHANGES_REQUESTED: "make the requested changes and resubmit it, then "
            "wait for the decision",
            RecordStatus.REJECTED: "register a changed use and have it approved",
            RecordStatus.SUSPENDED: "a governance lead has to reinstate it first",
            RecordStatus.RETIRED: "a retired use cannot call AI models",
        }.get(status, "have it approved first")
        raise KeyNotIssuable(
            f"{record.ref} ({record.title}) is {label}: gateway keys are issued only for "
            f"approved, approved-with-conditions or live uses; {todo}."
        )
    if record.review_lapsed:
        raise KeyNotIssuable(
            f"{record.ref} ({record.title}) missed its periodic review, so its approval has "
            "lapsed; its owner completes the review first, then asks for a key."
        )


def issue_key(
    session: Session,
    *,
    record_ref: str,
    actor: str,
    config: OrgConfig,
    now: datetime | None = None,
    via: Via = "cli",
) -> IssuedKey:
    """Issue a key for an approved use. The returned `key` is the only copy."""
    record = get_record(session, record_ref)
    _check_manager(record, actor, config, "get a gateway key for it")
    check_issuable(record)
    moment = now or utcnow()
    plain = new_key()
    row = GatewayKey(
        # A placeholder until the id is known: the key id follows it, as record refs do.
        key_id=f"new-{uuid.uuid4().hex[:12]}",
        prefix=plain[:PREFIX_LENGTH],
        key_hash=hash_key(plain),
        ai_use_id=record.id,
        record_ref=record.ref,
        created_by=actor,
        created_at=moment,
        revoked_reason="",
    )
    session.add(row)
    session.flush()
    row.key_id = format_key_id(row.id)
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.GATEWAY_KEY_ISSUED,
        subject=record.ref,
        payload={
            "key_id": row.key_id,
            "key_prefix": row.prefix,
            "record_ref": record.ref,
            "version": record.version,
            "via": via,
        },
        now=moment,
    )
    _tell_owner(session, record, _issued_notice(row, record, actor, config), row, "issued")
    return IssuedKey(
        key_id=row.key_id, prefix=row.prefix, record_ref=record.ref, title=record.title, key=plain
    )


def get_key(session: Session, key_id: str) -> GatewayKey:
    wanted = key_id.strip().upper()
    row = session.scalar(select(GatewayKey).where(GatewayKey.key_id == wanted))
    if row is None:
        hint = "" if _KEY_ID.match(wanted) else " (key ids look like KEY-0001)"
        raise NotFoundError(
            f"no gateway key {key_id!r}{hint}; `aims gateway key list` shows the keys"
        )
    return row


def revoke_key(
    session: Session,
    *,
    key_id: str,
    actor: str,
    reason: str,
    config: OrgConfig,
    now: datetime | None = None,
) -> GatewayKey:
    """Revoke a key; requests with it are refused from the next one on."""
    row = get_key(session, key_id)
    record = session.get(AIUse, row.ai_use_id)
    assert record is not None  # records are never deleted
    _check_manager(record, actor, config, "revoke its gateway keys")
    why = reason.strip()
    if not why:
        raise ValidationProblem(
            f'say why {row.key_id} is revoked (-j "..."): the reason is kept as evidence'
        )
    if row.revoked_at is not None:
        by = config.display_name(row.revoked_by or "")
        raise KeyAlreadyRevoked(
            f"{shown(row)} was already revoked on {row.revoked_at:%d %b %Y %H:%M} UTC by {by} "
            f"({row.revoked_reason}); nothing to do"
        )
    moment = now or utcnow()
    row.revoked_at, row.revoked_by, row.revoked_reason = moment, actor, why
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.GATEWAY_KEY_REVOKED,
        subject=record.ref,
        payload={
            "key_id": row.key_id,
            "key_prefix": row.prefix,
            "record_ref": record.ref,
            "reason": why,
        },
        now=moment,
    )
    _tell_owner(session, record, _revoked_notice(row, record, actor, config), row, "revoked")
    return row


def list_keys(session: Session, record_ref: str | None = None) -> Sequence[GatewayKey]:
    """Every key (or a record's keys), oldest first; a record that does not exist is an error."""
    query = select(GatewayKey).order_by(GatewayKey.id)
    if record_ref is not None:
        record = get_record(session, record_ref)
        query = query.where(GatewayKey.ai_use_id == record.id)
    return session.scalars(query).all()


def restore_placeholders(session: Session, record: AIUse) -> bool:
    option = session.get(GatewayUseOption, record.id)
    return bool(option and option.restore_placeholders)


def set_restore_placeholders(
    session: Session,
    *,
    record_ref: str,
    on: bool,
    actor: str,
    config: OrgConfig,
    now: datetime | None = None,
) -> bool:
    """Turn mapping placeholders back to the originals in answers on or off for a use; returns
    whether it changed (setting what is already set records nothing)."""
    record = get_record(session, record_ref)
    _check_manager(record, actor, config, "change its gateway options")
    moment = now or utcnow()
    option = session.get(GatewayUseOption, record.id)
    before = bool(option and option.restore_placeholders)
    if before == on:
        return False
    if option is None:
        option = GatewayUseOption(ai_use_id=record.id, changed_by=actor, changed_at=moment)
        session.add(option)
    option.restore_placeholders, option.changed_by, option.changed_at = on, actor, moment
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.GATEWAY_OPTION_CHANGED,
        subject=record.ref,
        payload={
            "record_ref": record.ref,
            "option": "restore_placeholders",
            "from": before,
            "to": on,
        },
        now=moment,
    )
    return True


# --- telling the owner ----------------------------------------------------------------------


def _tell_owner(
    session: Session, record: AIUse, notice: Notice, row: GatewayKey, step: str
) -> None:
    if record.owner:
        key = f"gateway:{record.ref}:{row.key_id}:{step}"
        outbox.notify(session, notice, key=key, to=record.owner)


def _issued_notice(row: GatewayKey, record: AIUse, actor: str, config: OrgConfig) -> Notice:
    return Notice(
        kind=OutboxKind.GATEWAY_KEY_ISSUED,
        subject=record.ref,
        tone=Tone.NEWS,
        title=f"Gateway key {shown(row)} was issued for {record.ref} {record.title}",
        parts=[
            Part(
                lines=[
                    person("Issued by", actor, config.display_name(actor)),
                    Line(
                        text="The key was shown once to the person who asked for it. If you "
                        "did not expect this, revoke it with"
                    ),
                    Line(
                        text=f'aims gateway key revoke {row.key_id} --as YOUR_ID -j "why"',
                        style=Style.COMMAND,
                    ),
                ]
            )
        ],
    )


def _revoked_notice(row: GatewayKey, record: AIUse, actor: str, config: OrgConfig) -> Notice:
    return Notice(
        kind=OutboxKind.GATEWAY_KEY_REVOKED,
        subject=record.ref,
        tone=Tone.REJECTED,
        title=f"Gateway key {shown(row)} of {record.ref} {record.title} was revoked",
        parts=[
            Part(
                lines=[
                    person("Revoked by", actor, config.display_name(actor)),
                    fact("Reason", row.revoked_reason),
                    Line(text="Requests with this key are refused from now on."),
                ]
            )
        ],
    )
