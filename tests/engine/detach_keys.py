#!/usr/bin/env python3
"""detach_keys.py BERTH_ARGS...: runs `berth attach C` (or `run -it`) on a fresh pty attached to
a container running an interactive shell, checks that typed input reaches the shell, then
types ctrl-p ctrl-q and expects berth to exit 0 saying "read escape sequence". A lone ctrl-p
followed by another key must pass through untouched. Exits 0 when all of that holds."""
import os, pty, select, sys, time

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])

out = b""
def read_until(token, seconds=20):
    global out
    deadline = time.time() + seconds
    while token not in out:
        if time.time() > deadline:
            sys.exit("timed out waiting for %r; got %r" % (token, out))
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                sys.exit("pty closed before %r; got %r" % (token, out))

time.sleep(0.5)
os.write(fd, b"echo $((40+2))-typed\r")
read_until(b"42-typed")
# ctrl-p then 'x': not the detach sequence, both bytes reach the shell's line editor.
os.write(fd, b"\x10")
time.sleep(0.2)
os.write(fd, b"\x15echo $((50+5))-after\r")  # ctrl-u clears the line first
read_until(b"55-after")
os.write(fd, b"\x10\x11")
read_until(b"read escape sequence")
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
if code != 0:
    sys.exit("exit code %d after detaching, expected 0; output %r" % (code, out))
print("detach ok")
