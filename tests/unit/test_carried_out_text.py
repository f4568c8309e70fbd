"""`why` on a fix the session ran: what became of it, in a sentence, from its record."""

from __future__ import annotations

from photon_doctor.plain import carried_out_text


def test_a_fix_cut_short_after_its_tool_finished_is_not_said_to_be_undone() -> None:
    """QA finding: `why 1` after Ctrl-C once `particle update` had reported success said 'it could not run to its
    end (the device was put back as it was)': Device OS had been updated, which nothing puts back."""
    message = (
        "interrupted (Ctrl-C); particle update had finished and reported success before (what it changed was not "
        "checked)"
    )
    said = carried_out_text({"result": "failed", "message": message, "verified_connected": None}, None)
    assert "put back as it was" not in said
    assert said.startswith(f"Tried in this session: it could not run to its end ({message}).")


def test_a_fix_that_failed_says_why_from_its_record() -> None:
    message = (
        "dfu-util failed (exit 74): No DFU capable USB device available; the device was taken out of DFU mode"
    )
    said = carried_out_text({"result": "failed", "message": message}, None)
    assert said.startswith(f"Tried in this session: it could not run to its end ({message}).")
    bare = carried_out_text({"result": "failed"}, None)
    assert bare.startswith("Tried in this session: it could not run to its end.")
