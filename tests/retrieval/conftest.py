"""Fixtures for retrieval: a deterministic fake embedder, tiny documents in every format, and
one real-model index of the sample policies shared by a test module."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.context import AppContext, build_context
from bot.settings import Settings
from retrieval.embeddings import Vectors
from retrieval.runtime import ingest_policies
from retrieval.text import terms
from store.db import sqlite_url

DIMENSIONS = 256


def ingested(folder: Path) -> AppContext:
    """The organisation in `folder` (aims.yaml, policies/) on its own SQLite database and
    embedded index, with the real model and no LLM, its policies ingested."""
    settings = Settings(
        database_url=sqlite_url(folder / "aims.db"),
        data_dir=folder / ".aims",
        llm=None,
        chroma_url=None,
        embedding_model=None,
    )
    context = build_context(folder / "aims.yaml", settings)
    with context.db.session() as session:
        ingest_policies(context, session, actor="test")
    return context


class FakeEmbedder:
    """Bag of hashed, stemmed words: texts sharing words are similar, and nothing is loaded."""

    name = "fake-hashing-embedder"

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        self.calls += 1
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                bucket = int(hashlib.md5(term.encode()).hexdigest(), 16) % DIMENSIONS
                vectors[row, bucket] += 1.0
            norm = np.linalg.norm(vectors[row])
            vectors[row] = vectors[row] / norm if norm else vectors[row]
        return vectors


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


def minimal_pdf(lines: list[str], *, title: str | None = None) -> bytes:
    """A valid one-page PDF showing `lines` in Helvetica, written by hand (no PDF library)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = (
        "BT /F1 11 Tf 72 760 Td 14 TL\n"
        + "\n".join(f"({escape(line)}) Tj T*" for line in lines)
        + "\nET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
    ]
    if title is not None:
        objects.append(f"<< /Title ({escape(title)}) >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    info = f" /Info {len(objects)} 0 R" if title is not None else ""
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def docx_bytes(path: Path) -> bytes:
    """A DOCX with a title, two headed sections, a bullet and a table (python-docx writes it)."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Remote Work and AI"
    document.add_heading("1. Home working", level=1)
    document.add_paragraph("Staff may use approved AI assistants when working from home.")
    document.add_heading("1.1 Shared screens", level=2)
    document.add_paragraph("Lock your screen before stepping away from any AI chat session.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Tool"
    table.cell(0, 1).text = "Allowed at home"
    table.cell(1, 0).text = "Copilot"
    table.cell(1, 1).text = "Yes"
    document.save(str(path))
    return path.read_bytes()


HTML_POLICY = """<!doctype html><html><head><title>Image Generation Rules</title>
<script>var tracking = "must not appear";</script><style>p { color: red }</style></head>
<body><nav>Home | Policies</nav>
<h1>Image Generation Rules</h1>
<p>Generated images must be <b>labelled</b> before they are published outside the company.</p>
<h2>Real people</h2>
<p>Never generate images that depict a real person without written consent.</p>
<ul><li>No staff photos as input.</li><li>No customer photos as input.</li></ul>
</body></html>"""

MARKDOWN_POLICY = """# Meeting Assistants

## 1. Recording

AI note-takers may only join internal meetings when every participant agrees.

## 2. Retention

Transcripts produced by AI note-takers are deleted after 30 days.
"""

TEXT_POLICY = """Travel Booking With AI

1. Scope
This note covers chatbots that book travel for staff.

2. Payment
Chatbots must never store company card details between bookings.
"""


def write_corpus(folder: Path) -> dict[str, Path]:
    """One small policy in each supported format."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "md": folder / "meetings.md",
        "txt": folder / "travel.txt",
        "html": folder / "images.html",
        "pdf": folder / "vendors.pdf",
        "docx": folder / "remote.docx",
    }
    files["md"].write_text(MARKDOWN_POLICY, encoding="utf-8")
    files["txt"].write_text(TEXT_POLICY, encoding="utf-8")
    files["html"].write_text(HTML_POLICY, encoding="utf-8")
    files["pdf"].write_bytes(
        minimal_pdf(
            [
                "AI Vendor Checks",
                "",
                "1. Contracts",
                "Every AI vendor contract forbids training on our data.",
                "2. Security",
                "Vendors must hold a current ISO 27001 certificate.",
            ],
            title="AI Vendor Checks",
        )
    )
    docx_bytes(files["docx"])
    return files
