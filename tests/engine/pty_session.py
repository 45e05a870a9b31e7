#!/usr/bin/env python3
"""pty_session.py BERTH_ARGS...: runs `berth run -it ...` on a fresh pty of size 33x91 whose
program is expected to print `stty size`, wait for a line, print `stty size` again and exit 5.
Resizes the pty to 40x120 in between (the kernel sends SIGWINCH to berth, which forwards the
size to the container's pty). Exits 0 when both sizes and the exit code are right.
With PTY_NO_RESIZE=1 (exec -t, which does not follow resizes) the second size is not checked:
the program then prints `stty size` once, reads a line and exits 5."""
import os, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from pty_support import PtyCommand, winsize

cmd = PtyCommand(sys.argv[1:], 33, 91)
cmd.read_until(b"33 91")
if os.environ.get("PTY_NO_RESIZE") == "1":
    cmd.write(b"go\r")
else:
    winsize(cmd.fd, 40, 120)  # SIGWINCH to berth, the pty's foreground process
    time.sleep(0.3)
    cmd.write(b"go\r")
    cmd.read_until(b"40 120")
code = cmd.exit_code()
if code != 5:
    sys.exit("exit code %d, expected 5; output %r" % (code, cmd.out))
print("pty ok")
