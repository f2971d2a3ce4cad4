#!/usr/bin/python3
"""The backend side of INGInious's backend <-> agent protocol, for tests.

Written from shared/inginious-agent.md, strict like the real backend:
a ROUTER socket bound for agents, one msgpack map per frame, every message
from the agent checked against its exact field set and types; a frame that
is not one of the agent's messages ends the peer with an error (exit 1).
Like the backend it pings each registered agent once a second, hands out
jobs only while the agent has a free slot (a slot is freed by
AgentJobDone), and ignores results for jobs it does not know (it records
them as "late").

Each subcommand is a scenario; it prints a JSON summary on stdout for the
bats tests to check, and exits 1 with "peer: ERROR ..." on any protocol
violation or timeout.
"""
import argparse
import json
import os
import sys
import time

import msgpack
import zmq

PING_INTERVAL = 1.0
# A scenario that does not finish in this long has failed (a hang).
DEFAULT_TIMEOUT = 120.0

RESULTS = {"success", "failed", "timeout", "overflow", "crash", "killed", "error"}

# Agent -> backend messages and their exact fields.
AGENT_MESSAGES = {
    "AgentHello": {"friendly_name", "available_job_slots", "available_environments"},
    "AgentJobStarted": {"job_id"},
    "AgentJobDone": {"job_id", "result", "grade", "problems", "tests", "custom", "state",
                     "archive", "stdout", "stderr"},
    "AgentJobSSHDebug": {"job_id", "host", "port", "user", "password"},
    "Pong": set(),
}


class ProtocolError(Exception):
    pass


def fail(msg):
    print("peer: ERROR " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        raise ProtocolError(msg)


def is_text(v):
    return isinstance(v, str)


def check_message(msg):
    """Raise ProtocolError unless msg is exactly one of the agent's messages."""
    expect(isinstance(msg, dict), "a frame is not a msgpack map: %r" % (msg,))
    t = msg.get("@type")
    expect(t in AGENT_MESSAGES, "unknown message type %r" % (t,))
    fields = set(msg) - {"@type"}
    expect(fields == AGENT_MESSAGES[t], "%s has fields %s, expected %s"
           % (t, sorted(fields), sorted(AGENT_MESSAGES[t])))
    if t == "AgentHello":
        expect(is_text(msg["friendly_name"]), "AgentHello.friendly_name is not text")
        expect(type(msg["available_job_slots"]) is int and msg["available_job_slots"] > 0,
               "AgentHello.available_job_slots is not a positive int")
        envs = msg["available_environments"]
        expect(isinstance(envs, dict), "AgentHello.available_environments is not a map")
        for etype, named in envs.items():
            expect(is_text(etype) and isinstance(named, dict),
                   "available_environments[%r] is not a map" % (etype,))
            for name, info in named.items():
                expect(is_text(name), "an environment name is not text")
                expect(isinstance(info, dict) and set(info) == {"id", "created", "ports",
                                                                 "advertised"},
                       "environment %r: fields %r" % (name, info))
                expect(is_text(info["id"]), "environment %r: id is not text" % name)
                expect(type(info["created"]) is int, "environment %r: created is not an int"
                       % name)
                expect(isinstance(info["ports"], list) and
                       all(type(p) is int for p in info["ports"]),
                       "environment %r: ports is not a list of ints" % name)
                expect(type(info["advertised"]) is bool,
                       "environment %r: advertised is not a bool" % name)
    elif t in ("AgentJobStarted", "AgentJobDone", "AgentJobSSHDebug"):
        expect(is_text(msg["job_id"]), "%s.job_id is not text" % t)
    if t == "AgentJobDone":
        r = msg["result"]
        expect(isinstance(r, list) and len(r) == 2 and all(is_text(x) for x in r),
               "AgentJobDone.result is not [result, text]: %r" % (r,))
        expect(r[0] in RESULTS, "AgentJobDone.result: unknown result %r" % r[0])
        expect(type(msg["grade"]) is float, "AgentJobDone.grade is not a float: %r"
               % (msg["grade"],))
        for k in ("problems", "tests", "custom"):
            expect(isinstance(msg[k], dict), "AgentJobDone.%s is not a map" % k)
        for pid, v in msg["problems"].items():
            expect(is_text(pid) and not isinstance(v, dict),
                   "AgentJobDone.problems[%r] is a map" % (pid,))
        expect(is_text(msg["state"]), "AgentJobDone.state is not text")
        expect(msg["archive"] is None or isinstance(msg["archive"], bytes),
               "AgentJobDone.archive is neither bytes nor nil")
        for k in ("stdout", "stderr"):
            expect(msg[k] is None or is_text(msg[k]), "AgentJobDone.%s is not text" % k)


class Peer:
    def __init__(self, bind, timeout=DEFAULT_TIMEOUT):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(bind)
        self.deadline = time.monotonic() + timeout
        self.agent = None          # identity of the registered agent
        self.hello = None
        self.hellos = 0
        self.slots = 0
        self.free = 0
        self.pings = 0             # pings sent to the current agent, unanswered
        self.pongs = 0
        self.next_ping = time.monotonic() + PING_INTERVAL
        self.running = {}          # job_id -> what was sent
        self.started = set()
        self.done = {}             # job_id -> AgentJobDone
        self.late = []             # AgentJobDone for jobs this peer does not run
        self.events = []           # ("started"|"done"|"pong", job_id) in arrival order
        self.course, self.task = "course", "task"   # of jobs that name none
        self.elapsed = None        # seconds from the hello to the last answer (jobs)

    # -- transport --
    def send_raw(self, frames):
        self.sock.send_multipart([self.agent] + list(frames))

    def send(self, msg):
        self.send_raw([msgpack.packb(msg, use_bin_type=True)])

    def _tick(self):
        now = time.monotonic()
        if now > self.deadline:
            fail("timed out: %d job(s) answered, %d running, %d late, %d hello(s), %d pong(s)"
                 % (len(self.done), len(self.running), len(self.late), self.hellos,
                    self.pongs))
        if self.agent is not None and now >= self.next_ping:
            self.send({"@type": "Ping"})
            self.pings += 1
            self.next_ping = now + PING_INTERVAL

    def recv(self, wait=0.1):
        """One message from the agent (checked), or None after `wait` s."""
        self._tick()
        if not self.sock.poll(int(wait * 1000)):
            self._tick()
            return None
        frames = self.sock.recv_multipart()
        if len(frames) != 2:
            fail("a message of %d frames (the agent sends single frames)" % (len(frames) - 1))
        addr, data = frames
        try:
            msg = msgpack.unpackb(data, raw=False)
            check_message(msg)
        except (ProtocolError, ValueError, msgpack.exceptions.ExtraData) as e:
            fail("undecodable message from the agent: %s" % e)
        self._handle(addr, msg)
        return msg

    def _handle(self, addr, msg):
        t = msg["@type"]
        if t == "AgentHello":
            if self.agent is not None and addr == self.agent:
                # the backend deletes the previous instance: its jobs crash
                self.running.clear()
            self.agent = addr
            self.hello = msg
            self.hellos += 1
            self.slots = self.free = msg["available_job_slots"]
            self.pings = 0
            self.next_ping = time.monotonic() + PING_INTERVAL
            return
        if addr != self.agent:
            # like the backend: messages of agents it does not know are ignored
            if t == "AgentJobDone":
                self.late.append(msg)
            return
        if t == "Pong":
            self.pongs += 1
            self.pings = 0
            self.events.append(("pong", None))
        elif t == "AgentJobStarted":
            if msg["job_id"] not in self.running:
                print("peer: warning: started for job %s not running" % msg["job_id"],
                      file=sys.stderr)
            self.started.add(msg["job_id"])
            self.events.append(("started", msg["job_id"]))
        elif t == "AgentJobDone":
            jid = msg["job_id"]
            if jid not in self.running:
                self.late.append(msg)
                return
            del self.running[jid]
            if jid in self.done:
                fail("job %s answered twice" % jid)
            self.done[jid] = msg
            self.free += 1
            self.events.append(("done", jid))
        elif t == "AgentJobSSHDebug":
            fail("AgentJobSSHDebug: this agent must not offer SSH debug")

    def wait_hello(self, count=1):
        while self.hellos < count:
            self.recv()
        return self.hello

    def wait(self, cond, what):
        while not cond():
            self.recv()

    # -- jobs --
    def new_job(self, job_id, inputdata, course=None, task=None, env="default",
                env_type="docker", params=None, debug=False, problems=None):
        course = course or self.course
        task = task or self.task
        if self.free <= 0:
            fail("internal: no free slot for job %s" % job_id)
        self.free -= 1
        msg = {"@type": "BackendNewJob", "job_id": job_id, "course_id": course,
               "task_id": task, "task_problems": problems or {},
               "inputdata": inputdata, "environment_type": env_type,
               "environment": env,
               "environment_parameters": params if params is not None else
               {"limits": {"time": 10, "hard_time": 30, "memory": 100, "disk": 100},
                "run_cmd": "", "network_grading": False},
               "debug": debug}
        self.running[job_id] = msg
        self.send(msg)

    def kill(self, job_id, state=""):
        self.send({"@type": "BackendKillJob", "job_id": job_id, "state": state})

    def summary(self):
        def done(m):
            d = dict(m)
            if isinstance(d.get("archive"), bytes):
                d["archive"] = {"bytes": len(d["archive"]), "head": d["archive"][:4].hex()}
            return d
        return {
            "hello": self.hello, "hellos": self.hellos, "pongs": self.pongs,
            "done": {k: done(v) for k, v in self.done.items()},
            "late": [done(m) for m in self.late],
            "events": self.events,
            "running": sorted(self.running),
            "elapsed": self.elapsed,
        }


def job_input(n, mode="echo", **extra):
    d = {"n": n, "mode": mode, "@username": "student%d" % n, "@lang": "en_US",
         "@time": "2026-11-22 10:00:00+00:00", "@random": [0.5], "@state": ""}
    d.update(extra)
    return d


# -- scenarios --

def sc_hello(p, args):
    p.wait_hello()
    p.wait(lambda: p.pongs >= 1, "a pong")


def sc_jobs(p, args):
    """args.count jobs, as many at once as the agent has slots."""
    p.wait_hello()
    t0 = time.monotonic()
    extra = json.loads(args.input) if args.input else {}
    params = json.loads(args.params) if args.params else None
    sent = 0
    while sent < args.count or p.running:
        while sent < args.count and p.free > 0:
            inp = job_input(sent, **extra)
            if args.upload:
                inp["file"] = {"filename": "f%d.bin" % sent,
                               "value": bytes([sent % 256, 0, 255]) + b"upload"}
            p.new_job("job-%d" % sent, inp, course=args.course, task=args.task,
                      env=args.env, env_type=args.env_type, params=params,
                      debug={"true": True, "false": False, "ssh": "ssh"}[args.debug])
            sent += 1
        p.recv()
    if len(p.done) != args.count:
        fail("%d of %d jobs answered" % (len(p.done), args.count))
    p.elapsed = time.monotonic() - t0


def sc_kill(p, args):
    """Two blocked jobs; kill one and an unknown id; release the other."""
    p.wait_hello()
    if p.free < 2:
        fail("the kill scenario needs 2 slots")
    p.new_job("victim", job_input(0, "block", release=args.release))
    p.new_job("survivor", job_input(1, "block", release=args.release),
              task=args.survivor_task)
    p.wait(lambda: {"victim", "survivor"} <= p.started, "both jobs started")
    p.running["nosuch"] = {}
    p.kill("victim", state="before-kill")
    p.kill("nosuch", state="unknown-state")
    p.wait(lambda: "victim" in p.done and "nosuch" in p.done, "the killed jobs")
    open(args.release, "w").close()
    p.wait(lambda: "survivor" in p.done, "the survivor")


def sc_ping(p, args):
    """Every slot grades a blocked job; pings must all be answered first."""
    p.wait_hello()
    n = p.free
    for i in range(n):
        p.new_job("busy-%d" % i, job_input(i, "burn", release=args.release))
    p.wait(lambda: len(p.started) == n, "all jobs started")
    p.pongs = 0
    for i in range(args.pings):
        p.send({"@type": "Ping"})
        want = i + 1
        p.wait(lambda: p.pongs >= want, "pong %d" % want)
        if p.done:
            fail("a job ended before the pings: the test proves nothing")
    open(args.release, "w").close()
    p.wait(lambda: not p.running, "the jobs")


def sc_start_block(p, args):
    """Phase 1 of a restart: fill the slots with blocked jobs, then stop
    abruptly (no goodbye, as a crashed backend)."""
    p.wait_hello()
    n = p.free
    for i in range(n):
        p.new_job("old-%d" % i, job_input(i, "block", release=args.release))
    p.wait(lambda: len(p.started) == n, "all jobs started")
    print(json.dumps(p.summary(), default=repr), flush=True)
    os._exit(0)


def sc_after_restart(p, args):
    """Phase 2: a new backend; the agent must say hello and report the
    jobs that ended meanwhile, then grade new jobs."""
    p.wait_hello()
    p.wait(lambda: len(p.late) >= args.late, "the late results")
    for i in range(args.count):
        while p.free <= 0:
            p.recv()
        p.new_job("new-%d" % i, job_input(100 + i))
    p.wait(lambda: not p.running, "the new jobs")


def sc_malformed(p, args):
    """Frames the agent must log and drop; then it must still serve."""
    p.wait_hello()
    bad = [
        b"\xc1",                                           # not msgpack
        b"\x92\x01",                                       # truncated array
        msgpack.packb([1, 2, 3]),                          # not a map
        msgpack.packb({"no": "type"}),                     # no @type
        msgpack.packb({"@type": "BackendNoSuchThing"}),    # unknown @type
        msgpack.packb({"@type": 42}),                      # @type not text
        msgpack.packb({"@type": "BackendKillJob", "job_id": 5, "state": ""}),
        msgpack.packb({"@type": "BackendNewJob", "job_id": None}),
        msgpack.packb({"@type": "Ping"}) + b"trailing",    # bytes after the map
    ]
    for frame in bad:
        p.send_raw([frame])
    p.send_raw([msgpack.packb({"@type": "Ping"}), b"second frame"])  # multipart
    # a job whose id is fine but whose fields are not: answered, not dropped
    p.free -= 1
    p.running["bad-fields"] = {}
    p.send({"@type": "BackendNewJob", "job_id": "bad-fields", "course_id": "course",
            "task_id": "task", "task_problems": {}, "inputdata": "not a map",
            "environment_type": "docker", "environment": "default",
            "environment_parameters": {}, "debug": False})
    p.wait(lambda: "bad-fields" in p.done, "the answer to the bad job")
    p.pongs = 0
    p.send({"@type": "Ping"})
    p.wait(lambda: p.pongs >= 1, "a pong after the bad frames")
    p.new_job("good", job_input(7))
    p.wait(lambda: "good" in p.done, "a job after the bad frames")


SCENARIOS = {
    "hello": sc_hello, "jobs": sc_jobs, "kill": sc_kill, "ping": sc_ping,
    "start-block": sc_start_block, "after-restart": sc_after_restart,
    "malformed": sc_malformed,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--bind", required=True, help="e.g. tcp://127.0.0.1:2001")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--course", default="course")
    ap.add_argument("--task", default="task")
    ap.add_argument("--env", default="default")
    ap.add_argument("--env-type", default="docker")
    ap.add_argument("--debug", default="false", choices=["true", "false", "ssh"])
    ap.add_argument("--input", help="extra inputdata fields (JSON)")
    ap.add_argument("--params", help="environment_parameters (JSON)")
    ap.add_argument("--upload", action="store_true", help="add a file upload to each job")
    ap.add_argument("--release", help="file whose creation releases blocked jobs")
    ap.add_argument("--survivor-task", help="task of the kill scenario's survivor")
    ap.add_argument("--pings", type=int, default=20)
    ap.add_argument("--late", type=int, default=0)
    args = ap.parse_args()
    p = Peer(args.bind, args.timeout)
    p.course, p.task = args.course, args.task
    try:
        SCENARIOS[args.scenario](p, args)
    except ProtocolError as e:
        fail(str(e))
    print(json.dumps(p.summary(), default=repr), flush=True)


if __name__ == "__main__":
    main()
