"""0009: a database at 0008 gains the gateway tables; the key hash is unique."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from governance.models import RecordFields
from governance.register import create_record
from store.db import Database
from store.gateway_models import GatewayKey


def test_a_database_at_0008_upgrades_to_the_gateway_tables(unmigrated_db: Database, now) -> None:
    unmigrated_db.upgrade("0008")
    assert not inspect(unmigrated_db.engine).has_table("gateway_keys")
    unmigrated_db.ensure_schema()
    tables = inspect(unmigrated_db.engine)
    assert tables.has_table("gateway_keys") and tables.has_table("gateway_use_options")
    assert "ix_gateway_keys_key_hash" in {i["name"] for i in tables.get_indexes("gateway_keys")}
    with unmigrated_db.session() as session:
        record = create_record(session, fields=RecordFields(title="x"), actor="U0", now=now)
        ai_use_id = record.id
    row = {"prefix": "aims_sk_abcd", "key_hash": "f" * 64, "ai_use_id": ai_use_id}
    with unmigrated_db.session() as session:
        session.add(GatewayKey(key_id="KEY-0001", record_ref="AIU-0001", created_by="U0", **row))
    with pytest.raises(IntegrityError):
        with unmigrated_db.session() as session:
            session.add(
                GatewayKey(key_id="KEY-0002", record_ref="AIU-0001", created_by="U0", **row)
            )
