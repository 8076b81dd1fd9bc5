"""The `aims` CLI fixtures, for the CLI tests."""

from tests.support.cli import org_file, run_cli

__all__ = ["org_file", "run_cli"]
