"""stdc_tf.progress: a bar on a terminal, plain newline lines in a file or pipe."""
from __future__ import annotations

import io

from stdc_tf.progress import Progress, format_seconds


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_every_interval_with_fields_and_no_terminal_codes():
    out = io.StringIO()
    with Progress(10, "train", "step", every=5, stream=out) as p:
        for i in range(10):
            p.update(1, loss=1.0 / (i + 1))
    lines = out.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == ["train: 5/10 step (50%)", "train: 10/10 step (100%)"]
    assert lines[-1].endswith("loss 0.1")
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_start_counts_the_runs_own_steps_and_close_prints_the_last_state():
    out = io.StringIO()
    p = Progress(30, "train", "step", start=1, every=10, stream=out)
    for _ in range(12):
        p.update()
    p.close()
    assert [line.split(",")[0] for line in out.getvalue().splitlines()] == [
        "train: 10/30 step (33%)", "train: 13/30 step (43%)"]


def test_terminal_draws_a_bar_and_write_never_glues_to_it():
    out = _Tty()
    with Progress(4, "predict", "frame", stream=out) as p:
        p.update(2)
        p.write("interrupted at frame 2")
    text = out.getvalue()
    assert "\r" in text
    assert "\ninterrupted at frame 2\n" in text.replace("\r", "\n")


def test_disabled_prints_nothing_and_seconds_format():
    out = io.StringIO()
    with Progress(3, "x", stream=out, enabled=False) as p:
        p.update(3)
    assert out.getvalue() == ""
    assert (format_seconds(75.2), format_seconds(3725)) == ("1:15", "1:02:05")


def test_slow_items_show_their_time_each_and_fast_ones_a_rate():
    out = io.StringIO()
    p = Progress(10, "train", "step", every=2, stream=out)
    p._t0 -= 20.0   # as if the two steps below had taken 20 s
    p.update(2, loss=0.5)
    assert out.getvalue() == "train: 2/10 step (20%), 10 s/step, ETA 1:20, loss 0.5\n"
    fast = Progress(None, "eval", "img", stream=io.StringIO(), every=1000)
    fast._t0 -= 100.0
    fast.update(3000)
    assert fast.line() == "eval: 3000 img, 30 img/s"


def test_profiler_timing_prints_plain_lines_in_a_log(capsys):
    """The profilers' warm-up and timed runs, with stderr a pipe: one plain line at the end."""
    from stdc_tf.profiling.timing import time_runs

    timings = time_runs(lambda: None, warmup=2, runs=3, label="interpreter xnnpack threads=1")
    assert len(timings.runs) == 3
    err = capsys.readouterr().err
    assert err.startswith("interpreter xnnpack threads=1: 5/5 run (100%), ") and err.count("\n") == 1
    assert "\r" not in err and "\x1b" not in err
