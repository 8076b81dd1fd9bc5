from tests.support.slack_app import SlackRig


def test_dm_gets_an_answer_in_the_thread(scripted_rig: SlackRig, scripted) -> None:
    event = scripted_rig.send_message("hello")
    post = scripted_rig.standin.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == event["ts"]
    assert "Hello from AIMS." in post.text_of_blocks()
    assert scripted_rig.standin.violations == []
