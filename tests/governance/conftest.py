"""The `aims` CLI fixtures, for the config and register import/export tests that run it."""

from tests.support.cli import org_file, run_cli

__all__ = ["org_file", "run_cli"]
