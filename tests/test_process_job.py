"""Jobs in a child process: events, result, errors and cancel come back as from a thread."""

import pytest

from resandi_core.errors import ResandiError
from resandi_gui.process_job import BackgroundCrash, run_in_process


def collect(job):
    events = []
    try:
        while True:
            events.append(next(job))
    except StopIteration as stop:
        return events, stop.value


def test_events_and_the_result_come_back_in_order():
    events, result = collect(run_in_process("process_jobs.counting", 5))
    assert [e.done for e in events] == [0, 1, 2, 3, 4, 5] and result == 10


def test_a_resandi_error_keeps_its_message_and_hint():
    with pytest.raises(ResandiError, match="line 3.*fix the column") as info:
        collect(run_in_process("process_jobs.failing"))
    assert "Traceback" in info.value.details


def test_a_crash_is_reported_as_one():
    with pytest.raises(BackgroundCrash, match="ZeroDivisionError"):
        collect(run_in_process("process_jobs.crashing"))


def test_closing_cancels_the_child_which_closes_its_job(tmp_path):
    marker = tmp_path / "closed.txt"
    job = run_in_process("process_jobs.endless", str(marker))
    next(job)
    job.close()
    assert marker.read_text() == "closed"  # the child's finally ran (a checkpoint would be saved)
