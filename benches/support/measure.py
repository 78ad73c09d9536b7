#!/usr/bin/env python3
"""Measurement helpers for benches/compare.sh (standard library only).

    measure.py run CMD...         one run: prints "wall_s cpu_s"
    measure.py first TEXT CMD...  one run: seconds from spawn until TEXT has
                                  appeared on stdout, and the number of
                                  separate reads it took to get all of stdout
    measure.py lag FILE           in-process delay from each socket read to
                                  the next write on fd 1, from `perf script
                                  -F time,event,trace` output (tracepoints
                                  syscalls:sys_exit_recvfrom and
                                  syscalls:sys_enter_write) or an `strace -f
                                  -ttt -T` log: prints "median_ms max_ms n"
    measure.py spawn N CMD...     wall seconds of N runs (stdout to
                                  /dev/null), one per line

CPU is ru_utime + ru_stime of the child from wait4(2): the numbers
/usr/bin/time -f '%U %S' prints, at microsecond resolution instead of its
10 ms. Peak RSS is not measured here: a child spawned by Python inherits
Python's own high-water mark in ru_maxrss, so compare.sh takes it from
/usr/bin/time -f %M in separate runs.
"""

import os
import re
import subprocess
import sys
import time


def run(cmd):
    devnull = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, devnull, 1),
    ])
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"measure.py: {cmd[0]} exited with {os.waitstatus_to_exitcode(status)}")
    print(f"{wall:.6f} {ru.ru_utime + ru.ru_stime:.6f}")


def first(text, cmd):
    marker = text.encode()
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    first_at = None
    reads = 0
    seen = b""
    while True:
        chunk = os.read(p.stdout.fileno(), 1 << 16)
        if not chunk:
            break
        reads += 1
        if first_at is None:
            seen = seen[-len(marker):] + chunk
            if marker in seen:
                first_at = time.perf_counter() - start
    if p.wait() != 0:
        sys.exit(f"measure.py: {cmd[0]} exited with {p.returncode}")
    print(f"{first_at if first_at is not None else float('nan'):.6f} {reads}")


# strace -f -ttt -T: "PID 1795559277.495864 recvfrom(9, ...) = 287 <0.000012>"
STRACE = re.compile(
    r"^(?:\d+\s+)?(\d+\.\d+)\s+(\w+)\((\d+),.*=\s*(-?\d+)(?:\s+\w+\s+\([^)]*\))?\s+<(\d+\.\d+)>$"
)
# perf script: "5122.388209: syscalls:sys_exit_recvfrom: 0x11f" and
# "5122.388255:   syscalls:sys_enter_write: fd: 0x00000001, buf: ..."
PERF_EXIT = re.compile(r"^(\d+\.\d+):\s+syscalls:sys_exit_(\w+):\s+0x([0-9a-f]+)")
PERF_ENTER = re.compile(r"^(\d+\.\d+):\s+syscalls:sys_enter_(\w+):\s+fd:\s+0x([0-9a-f]+)")


def parse(line):
    """(time_s, name, fd, ret, duration_s) of one syscall line, or None.
    A perf exit event has no fd (-1 stands for "a socket": only recvfrom is
    recorded) and ends when it is stamped; an enter event has no result."""
    line = line.strip()
    m = STRACE.match(line)
    if m:
        return float(m[1]), m[2], int(m[3]), int(m[4]), float(m[5])
    m = PERF_EXIT.match(line)
    if m:
        ret = int(m[3], 16)
        if ret >= 1 << 63:
            ret -= 1 << 64
        return float(m[1]), m[2], -1, ret, 0.0
    m = PERF_ENTER.match(line)
    if m:
        return float(m[1]), m[2], int(m[3], 16), 0, 0.0
    return None


def lag(path, socket_calls=("recvfrom", "read", "recvmsg")):
    """For every write to fd 1 that follows a socket read, the time from the
    end of that read to the start of the write."""
    delays = []
    last_read_end = None
    stdout_fds = {1}
    for line in open(path, encoding="utf-8", errors="replace"):
        call = parse(line)
        if call is None:
            continue
        t, name, fd, ret, dur = call
        if name in socket_calls and fd not in stdout_fds and (fd > 2 or fd == -1) and ret > 0:
            last_read_end = t + dur
        elif name in ("write", "writev") and fd in stdout_fds and last_read_end is not None:
            delays.append(t - last_read_end)
            last_read_end = None
    if not delays:
        print("nan nan 0")
        return
    delays.sort()
    print(f"{delays[len(delays) // 2] * 1e3:.3f} {delays[-1] * 1e3:.3f} {len(delays)}")


def spawn(n, cmd):
    devnull = os.open(os.devnull, os.O_WRONLY)
    for _ in range(n):
        start = time.perf_counter()
        pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
        ])
        os.waitpid(pid, 0)
        print(f"{time.perf_counter() - start:.6f}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "run":
        run(rest)
    elif mode == "first":
        first(rest[0], rest[1:])
    elif mode == "lag":
        lag(rest[0])
    elif mode == "spawn":
        spawn(int(rest[0]), rest[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
