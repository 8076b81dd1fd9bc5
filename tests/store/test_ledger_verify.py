"""The standalone verifier (store/ledger_verify.py, verify_pack.py in every audit pack): what it
may import, its export line format, its fast path against the careful one, and the digest and
key checks a hand-edited pack trips."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from governance.audit import signing
from store import evidence, ledger_verify
from store.evidence_kinds import EvidenceKind
from tests.store import tampering as t
from tests.store.signed_ledger import LEAD, SignedLedger, build
from tests.store.test_evidence_streaming import synthetic_chain

SOURCE = Path(ledger_verify.__file__)


def test_the_verifier_imports_only_the_standard_library_and_cryptography_lazily():
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    top_level, inside = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in type_only:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            where = top_level if node in tree.body else inside
            where.update(str(name).split(".")[0] for name in names)
    assert top_level <= set(sys.stdlib_module_names) | {"__future__"}, top_level
    assert inside <= {"cryptography"}, inside


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_an_export_line_is_json_whose_hashed_bytes_are_a_slice_of_it(db, now, tmp_path):
    t.fill_ledger(db, 3, now)
    exported = tmp_path / "evidence.jsonl"
    with db.session() as session:
        evidence.export_jsonl(session, exported)
        stored = list(evidence.iter_ledger(session))
    for raw, event in zip(_lines(exported), stored, strict=True):
        line = json.loads(raw)
        body = raw[raw.index(b'"event":') + len(b'"event":') : -2]
        assert ledger_verify.hashlib.sha256(body).hexdigest() == line["hash"] == event.hash
        assert line["seq"] == event.seq and line["event"]["prev"] == event.prev_hash
        assert json.loads(line["event"]["payload"]) == json.loads(event.payload)


def test_an_export_in_the_earlier_flat_format_still_verifies(tmp_path):
    """Exports written before the hashed body became a slice of the line."""
    old = tmp_path / "old.jsonl"
    old.write_text(
        "".join(evidence.canonical_json(line.__dict__) + "\n" for line in synthetic_chain(50))
    )
    assert evidence.read_jsonl(old)[7].seq == 8
    facts = ledger_verify.walk_export(old)
    assert (facts.result.ok, facts.count) == (True, 50)
    t.file_swap(old, 10, 12)
    assert ledger_verify.walk_export(old).result.damage == "events reordered"


def test_lines_in_another_layout_are_read_carefully_and_agree(tmp_path):
    """Reformatted lines, a blank line and no final newline: the fast path hands them to the
    careful one, which reads the same events."""
    path = tmp_path / "evidence.jsonl"
    lines = [line.to_json() for line in synthetic_chain(30)]
    lines[4] = json.dumps(json.loads(lines[4]), indent=None)  # spaces after : and ,
    path.write_text("\n".join(lines[:20]) + "\n\n" + "\n".join(lines[20:]))
    facts = ledger_verify.walk_export(path, wanted=[5, 30])
    assert (facts.result.ok, facts.count) == (True, 30)
    assert facts.hashes[30] == facts.head_hash == json.loads(lines[-1])["hash"]


@pytest.fixture(scope="module")
def long_export(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "evidence.jsonl"
    path.write_text("".join(line.to_json() + "\n" for line in synthetic_chain(3_000)))
    return path


@pytest.mark.parametrize("deep", [1, 1_234, 2_999])
def test_damage_found_on_the_fast_path_is_named_by_the_careful_one(long_export, tmp_path, deep):
    path = Path(shutil.copy(long_export, tmp_path / "evidence.jsonl"))
    fast = ledger_verify.walk_export(path, wanted=[2_000])
    assert fast.result.ok and fast.hashes[2_000]
    t.file_edit_payload(path, deep)
    result = ledger_verify.walk_export(path).result
    assert (result.ok, result.bad_seq, result.damage) == (False, deep, "payload edited")


def test_progress_is_reported_in_bytes_up_to_the_whole_file(long_export, monkeypatch):
    monkeypatch.setattr(ledger_verify, "_PROGRESS_EVERY", 1_000)  # lines between reports
    path = long_export
    seen: list[tuple[int, int]] = []
    ledger_verify.walk_export(path, progress=lambda done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert len(seen) >= 3 and seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


# --- a pack, checked as an auditor checks it ----------------------------------------------------


@pytest.fixture
def ledger(db, tmp_path, now) -> SignedLedger:
    return build(db, tmp_path / "data", now)


def _failures(pack: Path, **given: str) -> str:
    report = ledger_verify.verify_pack(pack, **given)
    assert not report.ok
    return "\n".join(check.describe() for check in report.failures())


def _rewrite_log(pack: Path, change) -> None:
    path = pack / ledger_verify.DIGESTS_FILE
    lines = path.read_text().splitlines()
    path.write_text("\n".join(change(lines)) + "\n")


def test_a_digest_removed_from_the_log_is_named(ledger, tmp_path):
    pack = ledger.pack(tmp_path / "pack")
    _rewrite_log(pack, lambda lines: [lines[0], lines[2]])
    assert "digest log edited: digest 3 stands where digest 2 belongs" in _failures(pack)


def test_a_digest_edited_in_the_log_no_longer_verifies(ledger, tmp_path):
    pack = ledger.pack(tmp_path / "pack")

    def later_head(lines: list[str]) -> list[str]:
        edited = json.loads(lines[2]) | {"last_seq": 30, "event_count": 30}
        return [*lines[:2], json.dumps(edited)]

    _rewrite_log(pack, later_head)
    assert "digest log edited: digest 3's signature does not verify" in _failures(pack)


def test_a_line_of_the_log_that_is_not_json_is_named(ledger, tmp_path):
    pack = ledger.pack(tmp_path / "pack")
    _rewrite_log(pack, lambda lines: [*lines, "{half a digest"])
    assert "digests.jsonl line 4 is not a digest (not a JSON object)" in _failures(pack)


def test_a_pack_without_its_digest_log_cannot_rule_out_a_rollback(ledger, tmp_path):
    pack = ledger.pack(tmp_path / "pack")
    (pack / ledger_verify.DIGESTS_FILE).unlink()
    assert "no digests.jsonl: the digests kept outside the database are missing" in (
        _failures(pack)
    )


def test_a_rotation_the_trusted_key_did_not_endorse_is_a_key_swap(ledger, tmp_path):
    """Recorded through the ledger itself, so the chain holds: only the endorsement tells."""
    mallory = signing.SigningKey.generate("mallory")
    with ledger.db.session() as session:
        evidence.append(
            session,
            actor=LEAD,
            kind=EvidenceKind.LEDGER_KEY_ROTATED,
            subject="key",
            payload={
                "previous_fingerprint": signing.load_key(ledger.place).fingerprint,
                "fingerprint": mallory.fingerprint,
                "public_key_pem": mallory.public_pem.decode(),
                "endorsement": mallory.sign(ledger_verify.rotation_message(mallory.fingerprint)),
                "reason": "routine",
            },
        )
    found = _failures(ledger.pack(tmp_path / "pack"))
    assert (
        f"key swapped: the rotation at event #33 to {signing.short(mallory.fingerprint)} is not "
        "endorsed by the trusted key"
    ) in found


def test_the_fingerprint_published_elsewhere_is_compared_whole_or_short(ledger, tmp_path):
    pack = ledger.pack(tmp_path / "pack")
    real = signing.load_key(ledger.place).fingerprint
    assert ledger_verify.verify_pack(pack, expected_fingerprint=real).ok
    assert ledger_verify.verify_pack(pack, expected_fingerprint=signing.short(real).upper()).ok
    other = signing.SigningKey.generate("x").fingerprint
    assert "key swapped: the fingerprint given holds" in _failures(pack, expected_fingerprint=other)


def test_verify_pack_runs_on_a_bare_interpreter_with_its_exit_codes(ledger, tmp_path):
    """As the auditor runs it: the file copied into the pack, the project out of reach."""
    pack = ledger.pack(tmp_path / "pack")
    shutil.copy(SOURCE, pack / "verify_pack.py")
    no_project = (
        "import runpy, sys\n"
        "for name in ('store', 'governance', 'bot', 'intake', 'retrieval', 'scheduler'):\n"
        "    sys.modules[name] = None\n"
        "sys.argv = ['verify_pack.py', *sys.argv[1:]]\n"
        "runpy.run_path('verify_pack.py', run_name='__main__')\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "-c", no_project, *args],
            cwd=pack,
            capture_output=True,
            text=True,
            timeout=60,
        )

    clean = run(".")
    assert clean.returncode == 0, clean.stderr
    assert [line[:5] for line in clean.stdout.splitlines()] == ["OK   "] * 4
    t.file_delete(pack / ledger_verify.EVIDENCE_FILE, 20)
    tampered = run(".")
    assert tampered.returncode == 2
    assert "FAIL hash chain: at sequence 20: event deleted" in tampered.stdout
    missing = run(str(tmp_path))
    assert missing.returncode == 1 and "no evidence.jsonl here" in missing.stderr
