"""A ledger with a signing key and three signed digests, built the way AIMS Bot builds one
(`keys init`, then digests as the hourly job writes them), and a minimal audit pack of it:
evidence.jsonl by export, digests.jsonl from the log outside the database, public_key.pem.

    #1–#10    events
    #11       ledger.key_created          #12  digest 1 (covers #1–#11)
    #13–#22   events                      #23  digest 2 (#12–#22)
    #24–#28   events                      #29  digest 3 (#23–#28)
    #30–#32   events
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from governance.audit import digests, keys, signing
from store import evidence, ledger_verify
from store.db import Database
from tests.store import tampering as t

LEAD = "U0TEST0001"  # the governance lead of tests/support/cli.py's organisation
EVENTS = 32


@dataclass(frozen=True)
class SignedLedger:
    db: Database
    place: signing.DataDir
    now: datetime

    @property
    def log(self) -> Path:
        return digests.digest_log_path(self.place)

    @property
    def key_file(self) -> Path:
        return self.place.data_dir / signing.KEY_FILE

    def add(self, count: int, hours: int = 0) -> None:
        t.fill_ledger(self.db, count, self.now + timedelta(hours=hours))

    def digest(self, hours: int) -> None:
        with self.db.session() as session:
            assert digests.write_digest(session, self.place, now=self.now + timedelta(hours=hours))

    def pack(self, folder: Path) -> Path:
        """evidence.jsonl, digests.jsonl and public_key.pem (every recorded key, the configured
        one last), as the audit pack holds them."""
        folder.mkdir(parents=True, exist_ok=True)
        with self.db.session() as session:
            evidence.export_jsonl(session, folder / ledger_verify.EVIDENCE_FILE)
            recorded = [key.public_key_pem for key in signing.recorded_keys(session)]
        shutil.copy(self.log, folder / ledger_verify.DIGESTS_FILE)
        configured = signing.public_key_pem(self.place)
        pems = [*recorded, configured.decode("ascii")] if configured else recorded
        (folder / ledger_verify.PUBLIC_KEY_FILE).write_text("".join(pems), encoding="ascii")
        return folder


def build(db: Database, data_dir: Path, now: datetime) -> SignedLedger:
    ledger = SignedLedger(db, signing.DataDir(data_dir), now)
    ledger.add(10)
    with db.session() as session:
        keys.init_key(session, ledger.place, actor=LEAD, now=now)
    ledger.add(10, hours=1)
    ledger.digest(hours=1)
    ledger.add(5, hours=2)
    ledger.digest(hours=2)
    ledger.add(3, hours=3)
    return ledger
