"""Asked whether a tool is on a policy's list, the answer quotes the list item naming it, under
the list's lead-in, with the bundled model and a real index (issue 14: the quote kept every
item of a "not permitted" list except the one asked about)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.context import AppContext
from retrieval.answer import PolicyAnswer, get_answerer
from retrieval.text import normalise_space
from tests.conftest import SAMPLE, SHARED
from tests.retrieval.conftest import ingested

pytestmark = pytest.mark.slow

LEAD_IN = "The following tools are not permitted for any company work:"
TOOLS_POLICY = f"""# Generative AI Tools

## 1. Approved tools

Staff may use the company's enterprise assistant for drafting and summarising, signed in
with their company account.

## 2. Prohibited tools

{LEAD_IN}

- Personal chatbot accounts on phones or home computers.
- Browser extensions that read every page you open.
- Tabnine.
- Meeting note-takers that record calls without consent.
- Image generators that keep prompts in a public gallery.
- Voice cloning services used to imitate real colleagues.
- Free translation websites that keep the submitted text.
- Sales plug-ins such as Merlin that write emails from the CRM.

Ask the AI governance team before trying any other tool.
"""


def _organisation(folder: Path, policy: Path) -> AppContext:
    """The sample organisation's people with an empty catalogue, so the policy's own list is
    what answers; `policy` ingested once."""
    config = yaml.safe_load((SAMPLE / "aims.yaml").read_text(encoding="utf-8"))
    config["catalogue"] = []
    (folder / "policies").mkdir(parents=True)
    shutil.copy2(policy, folder / "policies")
    (folder / "aims.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return ingested(folder)


def _ask(context: AppContext, question: str) -> PolicyAnswer:
    with context.db.session() as session:
        return get_answerer(context).answer(question, actor="U0ACME0003", session=session)


def _quote(answer: PolicyAnswer) -> str:
    assert answer.covered and answer.citations, answer.text
    return answer.text.split("[1] “", 1)[1].split("”\n", 1)[0].rstrip("”")


def _is_verbatim(quote: str, passage: str) -> bool:
    """Every piece of the quote (pieces are separated by an ellipsis) is in the passage."""
    flat = normalise_space(passage)
    return all(piece.strip() in flat for piece in quote.split("…"))


@pytest.fixture(scope="module")
def tools_policy(tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    folder = tmp_path_factory.mktemp("tools-policy")
    source = folder / "generative-ai-tools.md"
    source.write_text(TOOLS_POLICY, encoding="utf-8")
    return _organisation(folder / "org", source)


@pytest.mark.parametrize(
    ("question", "item"),
    [
        ("Is Tabnine allowed?", "Tabnine."),  # a one-word item in the middle of the list
        ("Can I use Tabnine?", "Tabnine."),
        ("can i use tabnine for code completion?", "Tabnine."),  # recognised, lower case
        (
            "May I use the Merlin plug-in to write sales emails?",
            "Sales plug-ins such as Merlin",
        ),  # the last of eight items
    ],
)
def test_the_quote_keeps_the_list_item_naming_the_tool_under_its_lead_in(
    tools_policy: AppContext, question: str, item: str
) -> None:
    answer = _ask(tools_policy, question)
    quote = _quote(answer)
    assert answer.citations[0].section_path[-1] == "2. Prohibited tools"
    assert item in quote and LEAD_IN in quote
    assert quote.index(LEAD_IN) < quote.index(item)
    assert _is_verbatim(quote, answer.citations[0].passage)


def test_items_that_do_not_name_the_tool_are_left_out_and_the_gap_is_marked(
    tools_policy: AppContext,
) -> None:
    quote = _quote(_ask(tools_policy, "Is Tabnine allowed?"))
    assert "Voice cloning" not in quote and "Merlin" not in quote
    assert f"{LEAD_IN} … Tabnine." in quote


@pytest.fixture(scope="module")
def gitlab(tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    policy = SHARED / "policies" / "gitlab-handbook-ai-usage.md"
    if not policy.is_file():
        pytest.skip(f"{policy} is not here (../shared exists in the team's checkout and CI only)")
    return _organisation(tmp_path_factory.mktemp("gitlab"), policy)


@pytest.mark.parametrize(
    ("question", "item"),
    [
        # The case: a short item, with items on both sides, the list on one line.
        ("Is Apple Intelligence allowed?", "Apple Intelligence."),
        ("Can I use Apple Intelligence?", "Apple Intelligence."),
        ("Is OpenAI ChatGPT allowed?", "OpenAI ChatGPT."),
    ],
)
def test_gitlabs_prohibited_tools_list_is_quoted_at_the_tool_asked_about(
    gitlab: AppContext, question: str, item: str
) -> None:
    answer = _ask(gitlab, question)
    quote = _quote(answer)
    assert answer.citations[0].section_path[-1] == "Prohibited AI tools"
    assert "Examples of tools that are not permitted for use at GitLab:" in quote
    assert item in quote
    assert "Google Chrome AI features" not in quote and "Third-party platforms" not in quote
