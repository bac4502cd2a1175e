"""Runs a command in a pseudo-terminal, as a user's shell would, for the CLI's signal tests.

Usage: python3 pty_session.py COMMAND [ARG...]
The command's terminal output is copied to stdout. Lines on stdin steer it:
  INT   type Ctrl+C into the terminal (the line discipline sends SIGINT to the foreground process group,
        the command and every child it started, as in a real terminal)
  TERM  send SIGTERM to the command only (as timeout, systemctl stop and docker stop do)
When the command exits, the last line is "[pty] exit CODE after SECONDS s" (seconds since the last INT/TERM).
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

pid, master = pty.fork()
if pid == 0:
    # A shell's background job ignores SIGINT, and the ignoring is inherited: a user's terminal does not.
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    os.execvp(sys.argv[1], sys.argv[1:])

print(f"[pty] pid {pid}", flush=True)
sent = time.monotonic()
stdin_open = True
status = None
while status is None:
    watched = [master] + ([sys.stdin] if stdin_open else [])
    ready, _, _ = select.select(watched, [], [], 0.2)
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal's last holder closed it
            data = b""
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if stdin_open and sys.stdin in ready:
        line = sys.stdin.readline()
        if not line:
            stdin_open = False
        elif line.strip() == "INT":
            sent = time.monotonic()
            os.write(master, b"\x03")
        elif line.strip() == "TERM":
            sent = time.monotonic()
            os.kill(pid, signal.SIGTERM)
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = code
elapsed = time.monotonic() - sent
# Whatever the command wrote last.
while select.select([master], [], [], 0.1)[0]:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
print(f"\n[pty] exit {os.waitstatus_to_exitcode(status)} after {elapsed:.1f} s", flush=True)
