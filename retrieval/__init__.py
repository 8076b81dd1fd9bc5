"""Policy answers: ingest, hybrid search, tool catalogue lookup, cited answers (see answer.py)."""
