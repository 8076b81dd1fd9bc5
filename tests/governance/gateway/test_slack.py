"""The "Get a gateway key" button in Slack, through the real Bolt app over HTTP and the Slack
stand-in: offered to an approved use's owner (outcome notice, App Home), issues through the same
service and checks, shows the key once in a modal, and never lets it reach a channel, the
ledger, the outbox or a log."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select, text

from bot.slack.ids import GatewayIds
from governance.gateway.keys import list_keys
from governance.gateway.terms import load_access
from governance.models import RecordFields, RecordStatus, RiskTier
from governance.register import create_record
from tests.governance.approvals.test_slack import (
    _all_sent,
    _approve_everything,
    _dm,
    _submit,
    _wait,
)
from tests.governance.gateway.helpers import MARCUS, OLIVER, PRIYA, REQUESTER

KEY = re.compile(r"aims_sk_[A-Za-z0-9_-]{40,}")
LABEL = "Get a gateway key"


def _approved(rig, now) -> None:
    _submit(rig, RiskTier.MINIMAL, now, tool="ChatGPT Enterprise")
    _approve_everything(rig)
    _all_sent(rig)


def _outcome_dms(rig, user):
    return [
        call
        for call in rig.standin.calls_to("chat.postMessage")
        if call.channel == _dm(user) and "Approved*" in call.args.get("text", "")
    ]


def _has_key_button(call) -> bool:
    return any(
        element.get("action_id") == GatewayIds.GET_KEY
        for block in call.blocks
        for element in block.get("elements") or []
    )


def _keys_shown(rig) -> list[str]:
    return [
        match
        for call in rig.standin.calls_to("views.open")
        if call.view.get("callback_id") == GatewayIds.KEY_MODAL
        for match in KEY.findall(call.text_of_blocks())
    ]


def _nowhere_but_the_modal(rig, key: str) -> None:
    """The key reached Slack once, in views.open, and is in no table of the database."""
    elsewhere = [
        call.method
        for call in rig.standin.calls
        if key in str(call.args) and call.method != "views.open"
    ]
    assert elsewhere == []
    with rig.ctx.db.engine.connect() as connection:
        for table in ("evidence_events", "outbox", "gateway_keys", "processed_deliveries"):
            rows = repr(connection.execute(text(f"SELECT * FROM {table}")).all())  # noqa: S608
            assert key not in rows and key[8:30] not in rows, table


def test_the_owner_clicks_on_the_outcome_and_sees_the_key_once_privately(slack_rig, now, caplog):
    caplog.set_level(logging.DEBUG)
    _approved(slack_rig, now)
    [outcome] = _outcome_dms(slack_rig, OLIVER)  # the owner's own copy, with the button
    assert _has_key_button(outcome)
    assert not any(_has_key_button(c) for c in _outcome_dms(slack_rig, REQUESTER))
    assert slack_rig.click(outcome, label=LABEL, user=OLIVER).status == 200
    _wait(lambda: _keys_shown(slack_rig), "no key modal opened")
    _all_sent(slack_rig)
    # A double click (and a Slack redelivery) hits the same claim: no second key.
    assert slack_rig.click(outcome, label=LABEL, user=OLIVER).status == 200
    slack_rig.standin.settle(quiet=0.3)
    [key] = _keys_shown(slack_rig)
    [modal] = slack_rig.standin.calls_to("views.open")
    assert "the only time it is shown" in modal.text_of_blocks()
    assert "KEY-0001" in modal.text_of_blocks() and "AIU-0001" in modal.text_of_blocks()
    with slack_rig.ctx.db.session() as session:
        assert [k.key_id for k in list_keys(session)] == ["KEY-0001"]
        state, terms = load_access(session, key, slack_rig.ctx.config)
    assert state is not None and terms is not None and terms.allowed_models
    # The owner is told in a DM, by key id and prefix.
    issued = [
        c.args["text"]
        for c in slack_rig.standin.calls_to("chat.postMessage")
        if "was issued for AIU-0001" in c.args.get("text", "")
    ]
    assert issued and all(key not in t and key[:12] in t for t in issued)
    _nowhere_but_the_modal(slack_rig, key)
    assert key not in caplog.text
    assert slack_rig.standin.violations == []


def test_someone_else_is_told_privately_and_gets_no_key(slack_rig, now):
    _approved(slack_rig, now)
    [outcome] = _outcome_dms(slack_rig, OLIVER)
    assert slack_rig.click(outcome, label=LABEL, user=MARCUS).status == 200
    refused = slack_rig.standin.wait_for("response_url")[0]
    assert "only the owner of AIU-0001" in refused.args["text"]
    assert _keys_shown(slack_rig) == []
    with slack_rig.ctx.db.session() as session:
        assert list(list_keys(session)) == []


def test_app_home_offers_a_key_for_each_usable_record_the_person_owns(slack_rig, now):
    _approved(slack_rig, now)
    with slack_rig.ctx.db.session() as session:
        fields = RecordFields(title="Draft idea", owner=OLIVER, tool="Claude")
        create_record(session, fields=fields, actor=OLIVER, now=now)
    slack_rig.send_event(
        {"type": "app_home_opened", "user": OLIVER, "channel": "D0HOME", "tab": "home"}
    )
    view = slack_rig.standin.wait_for("views.publish")[-1].view
    buttons = [
        (block["block_id"], block["accessory"]["value"])
        for block in view["blocks"]
        if (block.get("accessory") or {}).get("action_id") == GatewayIds.GET_KEY
    ]
    assert buttons == [("gateway:AIU-0001", "AIU-0001")]  # not the draft AIU-0002
    assert slack_rig.click_home(view, GatewayIds.GET_KEY, user=OLIVER).status == 200
    _wait(lambda: _keys_shown(slack_rig), "no key modal opened")
    [key] = _keys_shown(slack_rig)
    _nowhere_but_the_modal(slack_rig, key)
    # A lead's home lists no records of theirs, so no button; Priya may still issue by CLI.
    slack_rig.send_event(
        {"type": "app_home_opened", "user": PRIYA, "channel": "D0HOME", "tab": "home"}
    )
    lead_view = slack_rig.standin.wait_for("views.publish", count=2)[-1].view
    assert "gateway:AIU-0001" not in str(lead_view)
    assert slack_rig.standin.violations == []


def test_a_record_that_is_no_longer_usable_is_refused_at_the_click(slack_rig, now):
    _approved(slack_rig, now)
    [outcome] = _outcome_dms(slack_rig, OLIVER)
    with slack_rig.ctx.db.session() as session:
        from governance.register import get_record, transition

        record = get_record(session, "AIU-0001")
        for step in (RecordStatus.LIVE, RecordStatus.SUSPENDED):
            transition(session, record=record, to=step, actor=PRIYA, reason="test")
    assert slack_rig.click(outcome, label=LABEL, user=OLIVER).status == 200
    refused = slack_rig.standin.wait_for("response_url")[0]
    assert "is suspended" in refused.args["text"]
    with slack_rig.ctx.db.session() as session:
        assert session.scalars(select(text("1")).select_from(text("gateway_keys"))).all() == []
