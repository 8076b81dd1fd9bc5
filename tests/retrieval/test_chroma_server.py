"""Chroma in server mode (AIMS_CHROMA_URL), against a real `chroma run` server
(tests.support.chroma_server): the same answers as the embedded index, one collection per
organisation and namespace, and a server that goes down and comes back while the bot runs."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.context import AppContext
from bot.router import Router
from bot.settings import Settings
from evals.retrieval.harness import load_set
from governance.config import load_config
from intake.replies import Inbound, ReplyKind
from retrieval.answer import get_answerer
from retrieval.availability import OutageNotices, notice_key
from retrieval.embeddings import Embedder, Vectors
from retrieval.index import (
    EF_SEARCH,
    NAME_LIMIT,
    ChromaIndex,
    IndexUnavailable,
    chroma_client,
    collection_name,
    legacy_collection_name,
)
from retrieval.ingest import ingest
from retrieval.runtime import collection_names, ingest_policies, retrieval_providers
from retrieval.search import DEPTH
from retrieval.warm_up import warm_up
from store.db import Database, sqlite_url
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent, OutboundMessage
from store.outbox_kinds import OutboxKind
from tests.conftest import SAMPLE
from tests.retrieval.conftest import FakeEmbedder
from tests.support.chroma_server import ChromaServerProcess, free_port, running_chroma_server

LEADS = ["U0ACME0001", "U0ACME0002"]  # the sample organisation's governance leads
UNAVAILABLE = "Policy search is unavailable right now"

TRAVEL = """# Travel Booking With AI

## 1. Payment

Chatbots that book travel must never store company card details between bookings.

## 2. Loyalty schemes

Travel chatbots may add your frequent flyer number to a booking when you ask them to.
"""

GARDEN = """# Greenhouse Robots

## 1. Watering

Greenhouse robots water the tomato beds twice a day and log every watering cycle.
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServerProcess]:
    """One Chroma server for the module's tests (the outage test starts its own)."""
    with running_chroma_server(tmp_path_factory.mktemp("chroma") / "data") as running:
        yield running


def _namespace() -> str:
    return f"pytest-{uuid.uuid4().hex[:8]}"


def _organisation(folder: Path, policies: dict[str, str], *, name: str | None = None) -> Path:
    """The sample organisation in `folder` (renamed), with these policies in policies/."""
    (folder / "policies").mkdir(parents=True)
    text = (SAMPLE / "aims.yaml").read_text(encoding="utf-8")
    if name is not None:
        text = text.replace("name: Acme Financial Services Ltd", f"name: {name}", 1)
    (folder / "aims.yaml").write_text(text, encoding="utf-8")
    for filename, body in policies.items():
        (folder / "policies" / filename).write_text(body, encoding="utf-8")
    return folder / "aims.yaml"


def _context(
    config: Path,
    embedder: Embedder,
    *,
    chroma_url: str | None,
    namespace: str | None = None,
    db: Database | None = None,
) -> AppContext:
    """A context like `aims` builds, with this embedder and its own database."""
    data = config.parent / ".aims"
    settings = Settings(
        database_url=db.url if db is not None else sqlite_url(config.parent / "aims.db"),
        data_dir=data,
        chroma_path=None,
        chroma_url=chroma_url,
        chroma_namespace=namespace,
        llm=None,
        embedding_model=None,
    )
    providers = replace(retrieval_providers(), embedder=lambda _ctx: embedder)
    context = AppContext.load(config, settings, providers)
    if db is not None:
        context.__dict__["db"] = db
    return context


def _ingest(context: AppContext) -> None:
    with context.db.session() as session:
        ingest_policies(context, session, actor="test")


def _ask(context: AppContext, question: str):
    with context.db.session() as session:
        return get_answerer(context).answer(question, actor="U0ACME0003", session=session)


# --- collection names ---------------------------------------------------------------------------

CHROMA_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,61}[a-zA-Z0-9]$")


def test_collection_names_keep_organisations_and_namespaces_apart_within_chromas_rules():
    model = "bundled:all-MiniLM-L6-v2"
    acme = collection_name(model, "Acme Financial Services Ltd")
    assert acme == "aims.acme-financial-services-ltd.bundled-all-minilm-l6-v2"
    names = {
        acme,
        collection_name(model, "Globex"),
        collection_name(model, "Acme Financial Services Ltd", "ci-run-1"),
        collection_name(model, "Acme Financial Services Ltd", "ci-run-2"),
        collection_name("sentence-transformers/paraphrase-MiniLM-L3-v2", "Globex"),
        legacy_collection_name(model),
    }
    assert len(names) == 6
    long = [
        collection_name(model, "Ä" * 3 + " Very Long Organisation Name " * 4, "run/" + "x" * 80),
        collection_name(model, "Very Long Organisation Name " * 4, "run/" + "x" * 80),
        collection_name(model, "Very Long Organisation Name " * 4, "run/" + "x" * 81),
        collection_name("m" * 200, "!!!"),
    ]
    assert len(set(long)) == len(long)
    for name in [*names, *long, collection_name("", "", "-")]:
        assert CHROMA_NAME.match(name) and ".." not in name and len(name) <= NAME_LIMIT, name
    assert legacy_collection_name(model) == "aims-policy-bundled-all-minilm-l6-v2"
    assert collection_name(model) == legacy_collection_name(model)  # no organisation: as before


def test_an_embedded_index_from_before_keeps_its_collection_and_is_not_re_embedded(tmp_path):
    """An install whose data folder holds `aims-policy-<model>` answers from it as before; a
    new install gets the organisation's collection."""
    embedder = FakeEmbedder()
    old = _context(
        _organisation(tmp_path / "old", {"travel.md": TRAVEL}), embedder, chroma_url=None
    )
    legacy = legacy_collection_name(embedder.name)
    # What the previous version did: the model's collection in the data folder's chroma/, with
    # Chroma's default search breadth.
    client = chroma_client(path=old.chroma_path, url=None)
    client.create_collection(
        legacy, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    index = ChromaIndex(client, legacy)
    with old.db.session() as session:
        ingest(session, paths=old.policy_paths(), embedder=embedder, index=index)
    before = index.chunk_ids()
    del index

    upgraded = _context(old.config_path, embedder, chroma_url=None)
    assert isinstance(upgraded.vector_index, ChromaIndex)
    assert upgraded.vector_index.name == legacy
    new_name = "aims.acme-financial-services-ltd.fake-hashing-embedder"
    assert collection_names(upgraded) == [new_name, legacy]
    with upgraded.db.session() as session:
        report = ingest_policies(upgraded, session, actor="test")
    assert report.chunks_embedded == 0 and not report.added and not report.changed
    assert upgraded.vector_index.chunk_ids() == before
    answer = _ask(upgraded, "Can a travel chatbot store company card details between bookings?")
    assert answer.citations and all(c.chunk_id in before for c in answer.citations)

    reopened = chroma_client(path=old.chroma_path, url=None).get_collection(legacy)
    assert reopened.configuration_json["hnsw"]["ef_search"] == EF_SEARCH  # searched as widely

    fresh = _context(_organisation(tmp_path / "new", {}), embedder, chroma_url=None)
    assert fresh.vector_index.name == new_name


# --- the same answers, embedded or on a server --------------------------------------------------


class DistinctEmbedder(FakeEmbedder):
    """The fake bag of words plus a small direction of each text's own, so no two different
    texts embed alike: an index may order equal distances either way, and ties would hide
    whether two indexes agree. Deterministic and cheap, so both indexes get the very same
    vectors without the model (the index, not the model, is under test; with Chroma's default
    search breadth these vectors show the same misses as MiniLM's do)."""

    name = "distinct-hashing-embedder"

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        vectors = super().embed(texts, batch_size=batch_size)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            own = np.random.default_rng(seed).standard_normal(vectors.shape[1])
            vectors[row] += 0.05 * own / np.linalg.norm(own)
            vectors[row] /= np.linalg.norm(vectors[row])
        return vectors


@pytest.fixture(scope="module")
def twins(
    server: ChromaServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> tuple[AppContext, AppContext]:
    """The sample policies ingested into an embedded index and into the server."""
    folder = tmp_path_factory.mktemp("twins")
    files = load_set("acme").files
    contexts = []
    for label, url in (("embedded", None), ("server", server.url)):
        config = _organisation(folder / label, {})
        context = _context(config, DistinctEmbedder(), chroma_url=url, namespace=_namespace())
        with context.db.session() as session:  # (ingest_policies adds a catalogue check)
            ingest(session, paths=files, embedder=context.embedder, index=context.vector_index)
        contexts.append(context)
    return contexts[0], contexts[1]


@pytest.mark.chroma_server
def test_the_server_finds_what_the_embedded_index_finds_for_every_eval_question(twins):
    """The nearest chunks and their similarities, as deep as a search asks, for all 119
    labelled questions (the sample's 130 chunks are 498 vectors; a query fetches 160)."""
    embedded, served = twins
    assert isinstance(served.vector_index, ChromaIndex)
    indexes = (embedded.vector_index, served.vector_index)
    assert indexes[1].chunk_ids() == indexes[0].chunk_ids()
    eval_set = load_set("acme")
    questions = [q.text for q in eval_set.questions] + eval_set.not_covered
    for question, vector in zip(questions, embedded.embedder.embed(questions), strict=True):
        here, there = (index.query(vector, DEPTH) for index in indexes)
        assert len(here) == DEPTH
        assert [c for c, _ in there] == [c for c, _ in here], question
        assert np.allclose([s for _, s in there], [s for _, s in here], atol=1e-6), question


@pytest.mark.chroma_server
def test_the_server_gives_the_same_answers_and_citations(twins):
    """Whole answers for one labelled question per document and one the policies do not
    cover (every question's search is compared above; an answer is made from it)."""
    embedded, served = twins
    eval_set = load_set("acme")
    chosen = {}
    for question in eval_set.questions:
        chosen.setdefault(question.targets[0].doc, question.text)
    cited = []
    for question in [*chosen.values(), eval_set.not_covered[0]]:
        here, there = _ask(embedded, question), _ask(served, question)
        assert there.text == here.text, question
        assert (there.covered, there.mode) == (here.covered, here.mode)
        assert [c.model_dump() for c in there.citations] == [c.model_dump() for c in here.citations]
        cited.append(bool(there.citations))
    assert sum(cited) >= 3 and not cited[-1]  # most are cited answers; the last is refused


# --- organisations and namespaces on one server -------------------------------------------------


@pytest.mark.chroma_server
def test_two_organisations_on_one_server_each_answer_only_from_their_own(server, tmp_path):
    embedder = FakeEmbedder()
    namespace = _namespace()  # one test run: the organisations keep themselves apart
    travel = _context(
        _organisation(tmp_path / "a", {"travel.md": TRAVEL}, name="Travel Co"),
        embedder,
        chroma_url=server.url,
        namespace=namespace,
    )
    garden = _context(
        _organisation(tmp_path / "b", {"garden.md": GARDEN}, name="Garden Co"),
        embedder,
        chroma_url=server.url,
        namespace=namespace,
    )
    _ingest(travel)
    _ingest(garden)
    assert collection_names(travel) == [travel.vector_index.name]  # no fallback on a server
    assert travel.vector_index.name != garden.vector_index.name

    for context, own, other in (
        (travel, "travel.md", "garden.md"),
        (garden, "garden.md", "travel.md"),
    ):
        with context.db.session() as session:
            own_ids = set(get_answerer(context).searcher(session).corpus.chunks)
        assert context.vector_index.chunk_ids() == own_ids
        for question in (
            "Can a travel chatbot store company card details between bookings?",
            "How often do greenhouse robots water the tomato beds?",
        ):
            vector = embedder.embed([question])[0]
            assert {c for c, _ in context.vector_index.query(vector, 10)} <= own_ids
            answer = _ask(context, question)
            assert all(Path(c.source).name == own for c in answer.citations), answer.text
            assert other.split(".")[0] not in answer.text.lower()
    assert _ask(travel, "Can a travel chatbot store company card details?").citations
    assert _ask(garden, "How often do greenhouse robots water the tomato beds?").citations


@pytest.mark.chroma_server
def test_two_test_runs_of_one_organisation_never_share_a_collection(server, tmp_path):
    """The same organisation and documents (so the same chunk ids), two namespaces: a run that
    prunes its documents leaves the other's index whole."""
    embedder = FakeEmbedder()
    shared = tmp_path / "policies"
    shared.mkdir()
    (shared / "travel.md").write_text(TRAVEL, encoding="utf-8")
    runs = [
        _context(
            _organisation(tmp_path / f"run{n}", {}),
            embedder,
            chroma_url=server.url,
            namespace=_namespace(),
        )
        for n in (1, 2)
    ]

    def ingest_into(run: AppContext, folder: Path, *, prune: bool = False) -> None:
        with run.db.session() as session:
            ingest_policies(run, session, paths=[folder], prune=prune, actor="test")

    ingest_into(runs[0], shared)
    first = runs[0].vector_index.chunk_ids()
    assert first and runs[1].vector_index.chunk_ids() == set()  # nothing of the first run's
    ingest_into(runs[1], shared)
    assert runs[1].vector_index.chunk_ids() == first
    (tmp_path / "nothing").mkdir()
    ingest_into(runs[0], tmp_path / "nothing", prune=True)
    assert runs[0].vector_index.chunk_ids() == set()
    assert runs[1].vector_index.chunk_ids() == first


# --- a server that goes down, and comes back ----------------------------------------------------


def _route(context: AppContext, question: str):
    [reply] = Router(context).handle(Inbound(user="U0ACME0003", text=question))
    return reply


def _notices(db: Database) -> list[OutboundMessage]:
    with db.session() as session:
        rows = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.kind == OutboxKind.POLICY_SEARCH_UNAVAILABLE)
            .order_by(OutboundMessage.id)
        ).all()
        session.expunge_all()
        return list(rows)


@pytest.mark.chroma_server
def test_a_server_that_goes_down_is_reported_once_and_answers_again_when_it_is_back(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    embedder = FakeEmbedder()
    config = _organisation(tmp_path / "org", {"travel.md": TRAVEL})
    question = "Can a travel chatbot store company card details between bookings?"
    with running_chroma_server(tmp_path / "chroma") as chroma:
        bot = _context(config, embedder, chroma_url=chroma.url, namespace=_namespace(), db=db)
        _ingest(bot)
        before = _route(bot, question)
        assert before.kind is ReplyKind.ANSWER and before.citations

        chroma.stop()
        # Start-up with the server down (`aims run` warms up): one line, naming the setting.
        starting = _context(config, embedder, chroma_url=chroma.url, namespace="x", db=db)
        ready = warm_up(starting)
        assert not ready.ok and ready.error is not None
        assert "AIMS_CHROMA_URL" in ready.error and chroma.url in ready.error
        assert "\n" not in ready.summary() and "Traceback" not in ready.summary()

        # A person asks, twice: told it is unavailable; the leads are told once.
        caplog.clear()
        down = [_route(bot, question), _route(bot, "Is Otter.ai allowed?")]
        for reply in down:
            assert reply.kind is ReplyKind.ANSWER and not reply.citations
            assert UNAVAILABLE in reply.text and "governance leads have been told" in reply.text
        assert down[1].text.startswith("Otter.ai")  # the catalogue still answers
        notices = _notices(db)
        assert sorted(n.channel for n in notices) == LEADS
        assert all("Policy search is unavailable" in n.text for n in notices)
        assert all(chroma.url in n.text for n in notices)
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "AIMS_CHROMA_URL" in warnings[0], warnings
        assert not any(r.exc_info for r in caplog.records)
        with db.session() as session:
            recorded = [
                json.loads(payload)
                for payload in session.scalars(
                    select(EvidenceEvent.payload)
                    .where(EvidenceEvent.kind == EvidenceKind.ANSWER_GIVEN)
                    .order_by(EvidenceEvent.seq)
                )
            ]
        assert [p["mode"] for p in recorded[-2:]] == ["unavailable", "unavailable"]
        assert "AIMS_CHROMA_URL" in recorded[-1]["fallback_reason"]

        # Back on the same port with the same data: the next question is answered as usual.
        chroma.start()
        after = _route(bot, question)
        assert after.kind is ReplyKind.ANSWER and UNAVAILABLE not in after.text
        assert [c.chunk_id for c in after.citations] == [c.chunk_id for c in before.citations]
        assert any("available again" in r.getMessage() for r in caplog.records)
    assert len(_notices(db)) == len(LEADS)


def test_the_leads_are_told_at_most_once_per_interval_across_processes(db: Database, now):
    config = load_config(SAMPLE / "aims.yaml")
    clock = [now]
    here = OutageNotices(clock=lambda: clock[0])
    there = OutageNotices(clock=lambda: clock[0])  # another replica, same outbox

    def report(notices: OutageNotices) -> bool:
        with db.session() as session:
            return notices.report(session, config, "policy search is unavailable: test")

    assert report(here) is True
    clock[0] = now.replace(minute=now.minute + 5)
    assert report(here) is False and report(there) is False
    clock[0] = now.replace(hour=now.hour + 1)
    assert report(there) is True
    assert report(here) is False  # its own notice is an hour old, but `there` just told them
    rows = _notices(db)
    assert len(rows) == 2 * len(LEADS), [r.dedupe_key for r in rows]
    window = int(now.timestamp() // here.interval.total_seconds())
    assert notice_key(window, LEADS[0]) in {r.dedupe_key for r in rows}


# --- the command line, with the server down -----------------------------------------------------


def test_aims_ask_chat_and_ingest_with_the_server_down_say_so_in_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setattr("retrieval.runtime.embedder_for", lambda _name: FakeEmbedder())
    config = _organisation(tmp_path / "org", {"travel.md": TRAVEL})
    env = {
        "AIMS_CHROMA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "AIMS_DATA_DIR": str(tmp_path / "data"),
        "AIMS_DATABASE_URL": sqlite_url(tmp_path / "aims.db"),
        "AIMS_LLM": "",
    }
    for name in ("AIMS_CONFIG", "AIMS_CHROMA_NAMESPACE", "AIMS_EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)

    def aims(*args: str, stdin: str | None = None):
        argv = ["--config", str(config), *args]
        return CliRunner().invoke(app, argv, env=env, input=stdin, catch_exceptions=False)

    caplog.set_level(logging.WARNING)
    asked = aims("ask", "Can a travel chatbot keep my card details?")
    assert asked.exit_code == 0, asked.output
    assert UNAVAILABLE in asked.output and "Traceback" not in asked.output
    chatted = aims("chat", stdin="Can a travel chatbot keep my card details?\n")
    assert chatted.exit_code == 0 and UNAVAILABLE in chatted.output
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines and all("AIMS_CHROMA_URL" in line and "\n" not in line for line in lines)

    with pytest.raises(IndexUnavailable, match="AIMS_CHROMA_URL"):
        aims("ingest")  # bot.cli.main prints an AimsError as one `error:` line
