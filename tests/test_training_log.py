"""What a training run prints: plain lines in a log or pipe, a bar on a terminal, and the stop
message of Ctrl-C on its own line."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest
from test_training import flags, tiny

from conftest import ROOT, run_cli

LINE = re.compile(r"^train: (\d+)/6 step \(\d+%\), [\d.]+ (s/step|step/s)(, ETA \d+:\d\d)?, "
                  r"loss [\d.e+-]+, lr [\d.e+-]+$")


def test_piped_run_logs_one_plain_line_per_log_every_steps(tmp_path):
    """Output to a pipe: one newline-terminated line every --log-every steps in the run's own
    step numbers (step, time per step, ETA, loss, lr), none for the checkpoint read at step 3,
    and no carriage return or escape code anywhere. The models it wrote record the size they were
    validated at, and a conversion defaults to it (not the preset's 512x1024)."""
    cfg = tiny(tmp_path, iterations=6, log_every=2, checkpoint_every=3)
    proc = run_cli("training/train.py", *flags(cfg))
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = proc.stdout + proc.stderr
    assert "\r" not in text and "\x1b" not in text
    lines = [line for line in proc.stderr.splitlines() if line.startswith("train: ")]
    assert [LINE.match(line).group(1) for line in lines] == ["2", "4", "6"], lines
    assert ["ETA" in line for line in lines] == [True, True, False]
    assert "step 6: val mIoU100 " in proc.stderr

    from stdc_tf.export.contract import deployment_size
    from stdc_tf.models.io import load_keras, trained_input_size

    final = tmp_path / "run" / "final.keras"
    assert trained_input_size(final) == trained_input_size(tmp_path / "run" / "best_mIoU100.keras") == (64, 128)
    assert deployment_size(load_keras(final), None, str(final)) == (64, 128)
    assert deployment_size(load_keras(final), (32, 64), str(final)) == (32, 64)


def _read_all(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:   # the child closed the terminal
            return
        if not chunk:
            return
        into.append(chunk)


@pytest.mark.slow
def test_ctrl_c_on_a_terminal_ends_the_bar_line_before_its_message(tmp_path):
    """stderr a terminal (a pty): a bar is drawn with the run's own step numbers and the
    interruption's message starts a line of its own."""
    cfg = tiny(tmp_path, iterations=10_000, checkpoint_every=10_000, log_every=1)
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "training/train.py", *flags(cfg)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=child)
    os.close(child)
    chunks: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(main, chunks), daemon=True)
    reader.start()
    try:
        end = time.time() + 300
        while not re.search(rb"\| [2-9]/10000 \[", b"".join(chunks)):   # the bar counts steps 2..
            assert proc.poll() is None and time.time() < end, b"".join(chunks)[-2000:]
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130
    finally:
        proc.kill()
    reader.join(timeout=10)
    os.close(main)
    text = b"".join(chunks).decode(errors="replace")
    assert "\r" in text   # a bar, redrawn in place
    message = re.search(r"interrupted at step (\d+): checkpoint of step \1 saved", text)
    assert message, text[-2000:]
    before = text[:message.start()]
    assert before.endswith("\n"), repr(before[-200:])   # not glued to the bar
    assert int(message.group(1)) >= 2
