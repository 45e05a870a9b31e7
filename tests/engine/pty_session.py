#!/usr/bin/env python3
"""pty_session.py BERTH_ARGS...: runs `berth run -it ...` on a fresh pty of size 33x91 whose
program is expected to print `stty size`, wait for a line, print `stty size` again and exit 5.
Resizes the pty to 40x120 in between (the kernel sends SIGWINCH to berth, which forwards the
size to the container's pty). Exits 0 when both sizes and the exit code are right.
With PTY_NO_RESIZE=1 (exec -t, which does not follow resizes) the second size is not checked:
the program then prints `stty size` once, reads a line and exits 5."""
import fcntl, os, pty, select, struct, sys, termios, time

def winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

pid, fd = pty.fork()
if pid == 0:
    winsize(0, 33, 91)
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

read_until(b"33 91")
if os.environ.get("PTY_NO_RESIZE") == "1":
    os.write(fd, b"go\r")
else:
    winsize(fd, 40, 120)  # SIGWINCH to berth, the pty's foreground process
    time.sleep(0.3)
    os.write(fd, b"go\r")
    read_until(b"40 120")
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
if code != 5:
    sys.exit("exit code %d, expected 5; output %r" % (code, out))
print("pty ok")
