#!/usr/bin/env python3
"""detach_keys.py BERTH_ARGS...: runs `berth attach C` (or `run -it`) on a fresh pty attached to
a container running an interactive shell, checks that typed input reaches the shell, then
types ctrl-p ctrl-q and expects berth to exit 0 saying "read escape sequence". A lone ctrl-p
followed by another key must pass through untouched. Exits 0 when all of that holds."""
import sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from pty_support import PtyCommand

cmd = PtyCommand(sys.argv[1:])
time.sleep(0.5)
cmd.write(b"echo $((40+2))-typed\r")
cmd.read_until(b"42-typed")
# ctrl-p then another key: not the detach sequence, both bytes reach the shell's line editor.
cmd.write(b"\x10")
time.sleep(0.2)
cmd.write(b"\x15echo $((50+5))-after\r")  # ctrl-u clears the line first
cmd.read_until(b"55-after")
cmd.write(b"\x10\x11")
cmd.read_until(b"read escape sequence")
code = cmd.exit_code()
if code != 0:
    sys.exit("exit code %d after detaching, expected 0; output %r" % (code, cmd.out))
print("detach ok")
