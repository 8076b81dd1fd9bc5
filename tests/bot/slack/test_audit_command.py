"""`/aims audit`: a governance lead gets the Statement of Applicability in figures, privately,
and the pack (its path on the server, or its zip in a DM); anyone else is refused privately."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from governance.audit.pack import FILES
from governance.soa import SoaStatus, statement_of_applicability, summary
from tests.governance.approvals.helpers import PRIYA
from tests.governance.gateway.helpers import MARCUS, approved
from tests.support.slack_app import SlackRig


@pytest.fixture
def uploads_on(org_dir: Path) -> None:
    """aims.yaml says `audit: {upload_to_slack: true}` (before the app reads it)."""
    with (org_dir / "aims.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\naudit:\n  upload_to_slack: true\n")


def _approve_one(rig: SlackRig, now) -> None:
    with rig.ctx.db.session() as session:
        approved(session, rig.ctx.config, now)


def _counts(rig: SlackRig) -> dict[SoaStatus, int]:
    with rig.ctx.db.session() as session:
        return summary(statement_of_applicability(session, rig.ctx.config))


def test_a_lead_is_told_the_soa_in_figures_and_where_the_pack_is(slack_rig: SlackRig, now):
    _approve_one(slack_rig, now)
    ack = slack_rig.send_command("/aims", "audit", user=PRIYA)
    assert ack.status == 200 and "Making the audit pack" in ack.body
    reply = slack_rig.standin.wait_for("response_url")[0]
    assert reply.args["response_type"] == "ephemeral"
    text = reply.text_of_blocks()
    counts = _counts(slack_rig)
    assert counts[SoaStatus.OPERATING] > 0
    assert f"{counts[SoaStatus.OPERATING]} controls operating" in text
    assert f"{counts[SoaStatus.NO_EVIDENCE]} implemented but without evidence" in text
    assert f"{counts[SoaStatus.NOT_IMPLEMENTED]} not implemented" in text
    assert f"{counts[SoaStatus.NOT_APPLICABLE]} not applicable" in text
    found = re.search(r"`([^`]+audit-pack-[^`]+)`", text)
    assert found, text
    folder = Path(found.group(1))
    assert folder.parent == slack_rig.ctx.data_dir / "audit-packs"
    assert sorted(path.name for path in folder.iterdir()) == sorted(FILES)
    assert folder.with_name(folder.name + ".zip").is_file()
    assert slack_rig.standin.calls_to("files.completeUploadExternal") == []
    assert slack_rig.standin.violations == []


def test_with_upload_on_the_lead_gets_the_zip_in_a_direct_message(
    uploads_on: None, slack_rig: SlackRig, now
):
    _approve_one(slack_rig, now)
    slack_rig.send_command("/aims", "audit 2026-11-01..2026-11-30", user=PRIYA)
    reply = slack_rig.standin.wait_for("response_url")[0]
    assert "I've sent you the zip in a direct message" in reply.text_of_blocks()
    assert slack_rig.standin.wait_for("conversations.open")[0].args["users"] == PRIYA
    shared = slack_rig.standin.wait_for("files.completeUploadExternal")[0]
    assert shared.args["channel_id"] == "D0ACME0001"
    file_id = slack_rig.standin.calls_to("files.getUploadURLExternal")[0].args
    assert file_id["filename"].startswith("audit-pack-") and file_id["filename"].endswith(".zip")
    uploaded = next(iter(slack_rig.standin.uploads.values()))
    with zipfile.ZipFile(BytesIO(uploaded)) as archive:
        names = {Path(name).name for name in archive.namelist()}
    assert names == set(FILES)
    assert slack_rig.standin.violations == []


def test_anyone_but_a_lead_is_refused_privately_and_nothing_is_made(slack_rig: SlackRig):
    ack = slack_rig.send_command("/aims", "audit", user=MARCUS)
    assert ack.status == 200 and "Making the audit pack" not in ack.body
    reply = slack_rig.standin.wait_for("response_url")[0]
    assert reply.args["response_type"] == "ephemeral"
    text = reply.text_of_blocks()
    assert "Only a governance lead can make the audit pack" in text
    assert "Priya Raman" in text  # whom to ask
    assert not (slack_rig.ctx.data_dir / "audit-packs").exists()


def test_a_mistyped_period_is_explained_to_the_lead(slack_rig: SlackRig):
    slack_rig.send_command("/aims", "audit last quarter", user=PRIYA)
    reply = slack_rig.standin.wait_for("response_url")[0]
    assert "write FROM..TO" in reply.text_of_blocks()
    assert not (slack_rig.ctx.data_dir / "audit-packs").exists()


def test_aims_with_any_other_word_still_shows_the_help(slack_rig: SlackRig):
    slack_rig.send_command("/aims", "auditing?", user=PRIYA)
    reply = slack_rig.standin.wait_for("response_url")[0]
    assert "I can help with your organisation's AI rules" in reply.text_of_blocks()
