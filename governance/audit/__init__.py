"""The audit side of the AIMS: the ledger's signing key and signed digests (signing, digests,
keys), and the audit pack an auditor takes away (pack*, html*)."""
