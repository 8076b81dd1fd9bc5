"""Evidence kinds for policy integrity, named once so writers and readers cannot drift apart.

Older kinds are still bare strings at their call sites ("answer.given", "policies.ingested");
new kinds are declared here.
"""

from __future__ import annotations

from typing import Final

# A policy passage says the opposite of the tool catalogue about a tool. Appended once per
# (tool, catalogue status, passage), the first time an answer or an ingest finds it; the weekly
# digest lists those still open (the passage still ingested, the catalogue unchanged).
POLICY_CONFLICT: Final = "policy.conflict"
# A governance lead vouches for one version of a policy document, so its passages flagged as
# instructions to a system are answered from; or withdraws that trust.
POLICY_TRUSTED: Final = "policy.trusted"
POLICY_UNTRUSTED: Final = "policy.untrusted"
