"""Shared by the pty test scripts: a command on a fresh pty, and reading its output."""
import fcntl, os, pty, select, struct, sys, termios, time


def winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyCommand:
    """argv run on a new pty (of rows x cols when given); `out` collects what it printed."""

    def __init__(self, argv, rows=None, cols=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            if rows and cols:
                winsize(0, rows, cols)
            os.execv(argv[0], argv)
        self.out = b""

    def read_until(self, token, seconds=20):
        deadline = time.time() + seconds
        while token not in self.out:
            if time.time() > deadline:
                sys.exit("timed out waiting for %r; got %r" % (token, self.out))
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    self.out += os.read(self.fd, 4096)
                except OSError:
                    sys.exit("pty closed before %r; got %r" % (token, self.out))

    def write(self, data):
        os.write(self.fd, data)

    def exit_code(self):
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)
