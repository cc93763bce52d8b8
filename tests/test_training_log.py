"""What a training run prints on a terminal: a bar with the run's own step numbers, and the stop
message of Ctrl-C on its own line (a piped run's plain lines: test_training.py)."""
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

from conftest import ROOT


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
