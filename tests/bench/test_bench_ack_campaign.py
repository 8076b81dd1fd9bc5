"""The acknowledgement campaign bench runs end to end at a small size, and the sender it drives
keeps to Slack's limits: no 429 under the published tiers, no call inside a Retry-After."""

from __future__ import annotations

from bench.bench_ack_campaign import main


def test_the_bench_runs_small_and_the_sender_honours_retry_after(capsys):
    main(["--people", "20", "--burst", "15", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "start_campaign ACK-0001" in out and "baseline: notify_many" in out
    assert "sent 20 DMs in" in out
    assert "429s answered: 0; Retry-After violations: 0" in out
    assert "burst:" in out and "sent 15 in" in out and "calls inside a Retry-After 0" in out
    # The figures it times are the right ones: the campaign past its due date is all overdue.
    [last] = [line for line in out.splitlines() if line.strip().startswith("ACK-0003")]
    assert last.strip() == (
        "ACK-0003 AI Agents and Automation: 5/32 acknowledged, 27 pending, 27 overdue, 0 withdrawn"
    )
