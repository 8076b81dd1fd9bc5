"""`/aims audit [FROM..TO]`: a governance lead has the audit pack made and is told, privately,
the Statement of Applicability in figures and where the pack is, or gets its zip in a direct
message when aims.yaml says `audit: {upload_to_slack: true}`. Parse → one governance call
(governance.audit.pack_lead, which refuses anyone else) → render."""

from __future__ import annotations

from bot.slack.blocks import SlackMessage, sections
from bot.slack.ids import AimsSubcommand
from bot.slack.payloads import SlashCommand
from bot.slack.services import Services
from governance.audit.pack import PackResult
from governance.audit.pack_lead import make_pack_for, may_make_pack
from governance.config import OrgConfig
from governance.soa import SoaStatus
from governance.text import esc
from store.models import utcnow

WORKING = "Making the audit pack… I'll tell you here when it is ready."


def subcommand(command: SlashCommand) -> tuple[str, str]:
    """/aims's first word, lower-cased, and the rest: ("audit", "2026-01-01..2026-03-31")."""
    word, _, rest = command.text.strip().partition(" ")
    return word.lower(), rest.strip()


def audit_ack(command: SlashCommand, config: OrgConfig) -> str | None:
    """The note `/aims audit` acks with, for a lead; anyone else gets a bare ack, then the
    refusal on the one error path (make_pack_for refuses)."""
    if subcommand(command)[0] != AimsSubcommand.AUDIT:
        return None
    return WORKING if may_make_pack(config, command.user_id) else None


def make_pack(services: Services, command: SlashCommand, period: str) -> None:
    result = make_pack_for(services.ctx, person=command.user_id, period=period, now=utcnow())
    sent_to = None
    if services.ctx.config.audit.upload_to_slack:
        sent_to = services.messenger.open_dm(command.user_id)
        services.messenger.upload(
            sent_to,
            filename=result.zip.name,
            content=result.zip.read_bytes(),
            title=f"Audit pack ({result.folder.name})",
            comment="The audit pack. Unzip it and read VERIFY.md to check it offline.",
        )
    services.messenger.respond(command.response_url, pack_message(result, uploaded=bool(sent_to)))


def pack_message(result: PackResult, *, uploaded: bool) -> SlackMessage:
    counts = result.soa_summary
    lines = [
        f"*Audit pack ready* ({result.events} evidence events"
        + (f", signed digest no. {result.digest})" if result.digest else ", not signed)"),
        f"• {counts[SoaStatus.OPERATING]} controls operating",
        f"• {counts[SoaStatus.NO_EVIDENCE]} implemented but without evidence in the period",
        f"• {counts[SoaStatus.NOT_IMPLEMENTED]} not implemented by AIMS Bot",
        f"• {counts[SoaStatus.NOT_APPLICABLE]} not applicable",
    ]
    if uploaded:
        lines.append("I've sent you the zip in a direct message.")
    else:
        lines.append(
            f"It is on the bot's server: `{esc(str(result.folder))}` (and `{esc(result.zip.name)}` "
            f"beside it). The auditor checks it with `python verify_pack.py .` in the folder."
        )
    if not result.digest:
        lines.append(
            ":warning: No signing key: run `aims keys init` so the pack also shows events cut "
            "from the end of the ledger or a restored backup."
        )
    text = "\n".join(lines)
    return SlackMessage(text=text, blocks=sections(text), ephemeral=True)
