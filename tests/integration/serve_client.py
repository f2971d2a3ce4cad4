#!/usr/bin/env python3
"""Raw clients of the queue daemon's socket for the serve tests: what the
gradebox commands never send (bad JSON, huge lines, half messages, idle
connections), and the checks on the daemon's log.

usage: serve_client.py send SOCK LINE...      one reply line per LINE
       serve_client.py huge SOCK BYTES        BYTES of 'x', no newline
       serve_client.py half SOCK              half a request, then close
       serve_client.py idle SOCK N            N idle connections, then a status
       serve_client.py overlap LOG            most jobs grading at once
       serve_client.py spool DIR N TASK INPUT N jobs into DIR/incoming
"""
import json
import os
import re
import resource
import socket
import sys

TIMEOUT = 60


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # blocking: a unix socket's full backlog makes a non-blocking connect
    # fail with EAGAIN where a blocking one waits its turn
    s.connect(path)
    s.settimeout(TIMEOUT)
    return s


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf.decode()


def main():
    # room for the idle connections
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cmd = sys.argv[1]
    if cmd == "send":
        s = connect(sys.argv[2])
        for line in sys.argv[3:]:
            s.sendall(line.encode() + b"\n")
            print(read_line(s), end="")
    elif cmd == "huge":
        s = connect(sys.argv[2])
        s.settimeout(20)
        n = int(sys.argv[3])
        chunk = b"x" * 65536
        try:
            while n > 0:
                s.sendall(chunk[:n])
                n -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        print(read_line(s), end="")
    elif cmd == "half":
        s = connect(sys.argv[2])
        s.sendall(b'{"cmd": "sta')
        s.close()
    elif cmd == "idle":
        n = int(sys.argv[3])
        conns = [connect(sys.argv[2]) for _ in range(n)]
        s = connect(sys.argv[2])
        s.sendall(b'{"cmd": "status"}\n')
        print(read_line(s), end="")
        # the idle ones are still connected: each one still answers
        conns[0].sendall(b'{"cmd": "status"}\n')
        print(read_line(conns[0]), end="")
        for c in conns:
            c.close()
    elif cmd == "overlap":
        events = []
        with open(sys.argv[2]) as f:
            for line in f:
                m = re.search(r"started=([0-9.]+) finished=([0-9.]+)", line)
                if m and float(m.group(1)) > 0:
                    events.append((float(m.group(1)), 1))
                    events.append((float(m.group(2)), -1))
        # an end and a start at the same instant: the end first
        events.sort(key=lambda e: (e[0], e[1]))
        cur = most = 0
        for _, d in events:
            cur += d
            most = max(most, cur)
        print(most)
    elif cmd == "spool":
        d, n, task, inp = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
        with open(inp) as f:
            data = json.load(f)
        for i in range(n):
            tmp = os.path.join(d, "incoming", ".job%d" % i)
            with open(tmp, "w") as f:
                json.dump({"task": task, "input": data}, f)
            os.rename(tmp, os.path.join(d, "incoming", "job%d.json" % i))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
