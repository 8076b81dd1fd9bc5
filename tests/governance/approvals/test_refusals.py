"""What someone who may not decide is told: who may, each person named once."""

from __future__ import annotations

from governance.models import RiskTier
from tests.governance.approvals.helpers import DANIEL, MARCUS, PRIYA, TOM, act, submitted


def test_approvers_who_stand_in_for_each_other_are_not_listed_as_delegates(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        refused = act(session, sample_config, record.ref, "governance_leads", MARCUS)
    assert refused.refusal == "not_allowed"
    assert refused.message.startswith(
        "Only Priya Raman or Tom Okafor can decide for governance_leads on AIU-0001."
    )


def test_several_delegates_are_each_named_once(db, sample_config, now):
    people = [
        p.model_copy(update={"delegates": [DANIEL, PRIYA]}) if p.name == "Sarah Whitfield" else p
        for p in sample_config.people
    ]
    config = sample_config.model_copy(update={"people": people})
    with db.session() as session:
        record = submitted(session, config, RiskTier.LIMITED, now)
        refused = act(session, config, record.ref, "privacy", TOM)
    assert refused.message.startswith(
        "Only Sarah Whitfield (or their delegates Daniel Costa or Priya Raman) can decide"
    )
    assert refused.mentions == []  # everyone here has a name in aims.yaml
