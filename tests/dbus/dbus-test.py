#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
D-Bus tests: the real leco-dbusd on a real dbus-daemon that enforces the
project's own bus policy, real clients (gdbus, busctl, dbus-send), the real
kernel hooks and real traffic.

Each case loads the hooks into a private pin dir /sys/fs/bpf/leco-test-dbus-*
(group nogroup), starts a private dbus-daemon configured like Debian's system
bus (tests/dbus/system-bus.conf.in) that includes a policy generated from
data/policy/org.leco.Overseer.conf.in with DAEMON_USER=nobody and
MONITOR_GROUP=users, and runs leco-dbusd as nobody:nogroup with no
supplementary groups.  Clients run as an unprivileged test user (the system
user "daemon", or LECO_TEST_CLIENT_USER): with the group "users" added by
setpriv --groups (a member: dbus-daemon takes the groups from the socket,
SO_PEERGROUPS) or with no groups (a non-member).  It must be a user with a
passwd entry: dbus-daemon refuses connections from uids it cannot look up.
Signals are recorded with `gdbus monitor` (its text output parsed) run as a
member, method calls made with gdbus call, busctl --json and dbus-send.

Cases: blocked, traffic, traffic_interval, policy, bad_input, restart,
restart_records, closed_history, flood, xml (each function's docstring says
what it asserts).  The network side (namespaces,
veth, cgroups, nftables, traffic processes) is tests/bpf/capture-test.py's
Harness, imported.  Everything a case starts is ended by PID, and pins,
cgroups, namespaces, nft tables and temp dirs are removed.

Usage: dbus-test.py CASE   (exit 0 pass, 1 fail, 77 skip; with CI=true or
LECO_REQUIRE_ALL=1 a skip is a failure)
"""
import grp
import importlib.util
import json
import os
import pwd
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
_spec = importlib.util.spec_from_file_location("capture_test", os.path.join(HERE, "..", "bpf", "capture-test.py"))
ct = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ct)

Fail, Skip, check, run, kv, log = ct.Fail, ct.Skip, ct.check, ct.run, ct.kv, ct.log
A4, B4, MB = ct.A4, ct.B4, ct.MB
NOBODY, NOGROUP = ct.NOBODY, ct.NOGROUP

DBUSD = os.environ.get("LECO_DBUSD", os.path.join(ct.BUILD, "leco-dbusd", "leco-dbusd"))
POLICY_IN = os.environ.get("LECO_POLICY_IN", os.path.join(SRC, "data", "policy", "org.leco.Overseer.conf.in"))
POLICY_BUILT = os.environ.get("LECO_POLICY_BUILT", os.path.join(ct.BUILD, "data", "org.leco.Overseer.conf"))
API_XML = os.environ.get("LECO_API_XML", os.path.join(SRC, "data", "org.leco.Overseer.xml"))
BUS_CONF_IN = os.path.join(HERE, "system-bus.conf.in")
# A command line put before leco-dbusd's (and leco-applet's): valgrind under
# `meson test --setup valgrind` (top-level meson.build, tests/sanitizers.md).
WRAPPER = shlex.split(os.environ.get("LECO_WRAPPER", ""))
# What AddressSanitizer, LeakSanitizer and UBSan print when they find
# something; valgrind -q (the valgrind setup) prints nothing but its
# findings, as "==PID== ..." lines (its warnings aside).
SANITIZER_REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |^==\d+== (?!Warning: )\S",
                              re.MULTILINE)
# valgrind runs the daemon much slower: more time to start and to stop
SLOW = 10 if WRAPPER else 1

NAME, PATH, IFACE = "org.leco.Overseer", "/org/leco/Overseer", "org.leco.Overseer1"
DAEMON_USER, MONITOR_GROUP = "nobody", "users"
# what may leak from a session into the processes we start and change them
CLEAN_ENV = ("JOURNAL_STREAM", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
             "DBUS_SYSTEM_BUS_ADDRESS", "DBUS_SESSION_BUS_ADDRESS", "G_MESSAGES_DEBUG")


def env():
    e = dict(os.environ)
    for k in CLEAN_ENV:
        e.pop(k, None)
    return e


# ------------------------------------------------- GVariant text format --

class GVText:
    """Parses what g_variant_print(v, TRUE) writes (gdbus call, gdbus
    monitor): tuples -> tuple, arrays -> list, dicts -> dict, variants ->
    their value, numbers -> int/float, strings -> str."""

    WORDS = {"byte", "int16", "uint16", "int32", "uint32", "int64", "uint64", "handle", "double",
             "objectpath", "signature", "boolean", "string"}

    def __init__(self, s):
        self.s, self.i = s, 0

    @classmethod
    def parse(cls, s):
        p = cls(s)
        v = p.value()
        p.ws()
        if p.i != len(p.s):
            raise ValueError(f"trailing text at {p.i}: {s[p.i:p.i + 40]!r}")
        return v

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def peek(self):
        self.ws()
        if self.i >= len(self.s):
            raise ValueError("unexpected end of GVariant text")
        return self.s[self.i]

    def expect(self, c):
        if self.peek() != c:
            raise ValueError(f"expected {c!r} at {self.i}: {self.s[self.i:self.i + 40]!r}")
        self.i += 1

    def seq(self, close):
        items = []
        while self.peek() != close:
            items.append(self.value())
            if self.peek() == ",":
                self.i += 1
        self.i += 1
        return items

    def value(self):
        c = self.peek()
        if c == "@":                        # @aa{sv} []: a type annotation
            while self.s[self.i] not in " ":
                self.i += 1
            return self.value()
        if c == "(":
            self.i += 1
            return tuple(self.seq(")"))
        if c == "[":
            self.i += 1
            return self.seq("]")
        if c == "<":
            self.i += 1
            v = self.value()
            self.expect(">")
            return v
        if c == "{":
            self.i += 1
            d = {}
            while self.peek() != "}":
                k = self.value()
                sep = self.peek()
                if sep not in ":,":
                    raise ValueError(f"bad dict at {self.i}")
                self.i += 1
                d[k] = self.value()
                if self.peek() == ",":
                    self.i += 1
            self.i += 1
            return d
        if c in "'\"":
            return self.string(c)
        j = self.i
        while j < len(self.s) and (self.s[j].isalnum() or self.s[j] in "_.-+"):
            j += 1
        word = self.s[self.i:j]
        self.i = j
        if word in self.WORDS:
            return self.value()
        if word in ("true", "false"):
            return word == "true"
        if word == "nothing":
            return None
        if word == "just":
            return self.value()
        try:
            return int(word, 0)
        except ValueError:
            return float(word)

    ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

    def string(self, q):
        self.i += 1
        out = []
        while True:
            c = self.s[self.i]
            if c == q:
                self.i += 1
                return "".join(out)
            if c == "\\":
                n = self.s[self.i + 1]
                if n in "uU":
                    w = 4 if n == "u" else 8
                    out.append(chr(int(self.s[self.i + 2:self.i + 2 + w], 16)))
                    self.i += 2 + w
                    continue
                out.append(self.ESC.get(n, n))
                self.i += 2
                continue
            out.append(c)
            self.i += 1


def unjson(v):
    """busctl --json: variants are {"type": T, "data": V}."""
    if isinstance(v, dict) and set(v) == {"type", "data"}:
        return unjson(v["data"])
    if isinstance(v, dict):
        return {k: unjson(x) for k, x in v.items()}
    if isinstance(v, list):
        return [unjson(x) for x in v]
    return v


# ------------------------------------------------------------ the bus --

class CallError(Exception):
    def __init__(self, name, message, text):
        super().__init__(f"{name}: {message}")
        self.name, self.message, self.text = name, message, text


class Monitor:
    """`gdbus monitor --dest org.leco.Overseer` as some client; every line
    is kept with its arrival time (monotonic)."""

    def __init__(self, t, who):
        self.t, self.who = t, who
        argv = t.prefix(who) + ["gdbus", "monitor", "--address", t.addr, "--dest", NAME]
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env())
        self.pid = self.p.pid
        self.lines = []
        self.parsed, self.done = [], 0
        self.lock = threading.Lock()
        self.th = threading.Thread(target=self._read, daemon=True)
        self.th.start()

    def _read(self):
        for line in self.p.stdout:
            with self.lock:
                self.lines.append((time.monotonic(), line.rstrip("\n")))

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def wait_line(self, prefix, timeout=10, after=0.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for at, line in self.snapshot():
                if at >= after and line.startswith(prefix):
                    return at
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise Fail(f"gdbus monitor ({self.who}) did not print {prefix!r} within {timeout}s:\n" +
                   "\n".join(l for _, l in self.snapshot()[-10:]))

    def signals(self, member=None):
        """[(time, member, args)] of the signals seen so far; member
        "ConnectionOpened" (of org.leco.Overseer1) or fully qualified."""
        full = member if member and "." in member else f"{IFACE}.{member}" if member else None
        lines = self.snapshot()
        for at, line in lines[self.done:]:     # parse each line once
            if line.startswith(PATH + ": "):
                head, _, args = line[len(PATH) + 2:].partition(" ")
                try:
                    self.parsed.append((at, head, GVText.parse(args)))
                except (ValueError, IndexError) as e:
                    raise Fail(f"cannot parse gdbus monitor line ({e}): {line[:300]}")
        self.done = len(lines)
        return [(at, head.rpartition(".")[2], args) for at, head, args in self.parsed
                if (full is None and head.startswith(IFACE + ".")) or head == full]

    def all_signal_lines(self):
        return [l for _, l in self.snapshot() if l.startswith(PATH + ": ")]

    def wait(self, member, pred, timeout=10, what=None):
        end = time.monotonic() + timeout
        while True:
            got = [s for s in self.signals(member) if pred(s[2])]
            if got:
                return got
            d = getattr(self.t, "daemon", None)
            dead = f" (leco-dbusd exited with {d.p.returncode})" if d and d.p.poll() is not None else ""
            if time.monotonic() > end or dead:
                raise Fail(f"no {member} signal{' for ' + what if what else ''} within {timeout}s{dead}; "
                           "last lines:\n" +
                           "\n".join(l[:400] for l in self.all_signal_lines()[-8:]))
            time.sleep(0.05)

    def stop(self):
        stop_pid(self.p)


def stop_pid(p, sig=signal.SIGTERM, timeout=5 * SLOW):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class Daemon:
    def __init__(self, p, out, err):
        self.p, self.pid, self.out, self.err = p, p.pid, out, err

    def stderr(self):
        with open(self.err, errors="replace") as f:
            return f.read()


class T:
    """One case: the capture Harness plus a private system bus, the daemon
    and clients."""

    def __init__(self, case):
        self.case = case
        self.h = ct.Harness("dbus_" + case)
        self.tmp = None
        self.addr = None
        self.bus = None
        self.daemons = []
        u = client_user()
        self.client_uid, self.client_gid = u.pw_uid, u.pw_gid
        self.monitor_gid = grp.getgrnam(MONITOR_GROUP).gr_gid
        self.reports = []
        # cleanups run in reverse: this one after every daemon was stopped
        # (what sanitizers and valgrind print at exit is in), before _rmtmp
        self.h.cleanups.append(self._rmtmp)
        self.h.cleanups.append(self._sanitizer_reports)

    # -- scratch --

    def _sanitizer_reports(self):
        for d in self.daemons:
            text = d.stderr()
            if SANITIZER_REPORT.search(text):
                self.reports.append(f"leco-dbusd (pid {d.pid}, exit {d.p.poll()}):\n{text[-20000:]}")

    def _rmtmp(self):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def scratch(self):
        if not self.tmp:
            self.tmp = tempfile.mkdtemp(prefix=f"{self.h.tag}-", dir="/tmp")
            os.chmod(self.tmp, 0o755)   # the socket and config files are for other users too
        return self.tmp

    def write(self, name, text):
        path = os.path.join(self.scratch(), name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    # -- who --

    def prefix(self, who):
        if who == "root":
            return []
        if who == "member":
            return ["setpriv", f"--reuid={self.client_uid}", f"--regid={self.client_gid}",
                    f"--groups={self.monitor_gid}"]
        if who == "nonmember":
            return ["setpriv", f"--reuid={self.client_uid}", f"--regid={self.client_gid}", "--clear-groups"]
        if who == "nobody":
            return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOGROUP}", "--clear-groups"]
        raise ValueError(who)

    # -- the bus --

    def policy(self):
        """The project's policy, from the same template meson uses."""
        with open(POLICY_IN) as f:
            text = f.read()
        check("@DAEMON_USER@" in text and "@MONITOR_GROUP@" in text, f"{POLICY_IN} lacks its placeholders")
        text = text.replace("@DAEMON_USER@", DAEMON_USER).replace("@MONITOR_GROUP@", MONITOR_GROUP)
        check("@" not in text.replace("-//freedesktop//", ""), f"unsubstituted placeholder in {POLICY_IN}")
        return self.write("org.leco.Overseer.conf", text)

    def start_bus(self):
        sock = os.path.join(self.scratch(), "system_bus_socket")
        with open(BUS_CONF_IN) as f:
            conf = f.read().replace("@SOCKET@", sock).replace("@POLICY@", self.policy())
        conf_path = self.write("bus.conf", conf)
        err = open(os.path.join(self.scratch(), "dbus-daemon.err"), "w")
        self.bus = subprocess.Popen(["dbus-daemon", f"--config-file={conf_path}", "--nofork", "--print-address=1"],
                                    stdout=subprocess.PIPE, stderr=err, text=True, env=env())
        err.close()
        self.h.cleanups.append(lambda: stop_pid(self.bus))
        r, _, _ = select.select([self.bus.stdout], [], [], 10)
        line = self.bus.stdout.readline().strip() if r else ""
        check(line.startswith("unix:"), f"dbus-daemon did not start: {line!r} {self.file('dbus-daemon.err')}")
        self.addr = line
        return self.addr

    def file(self, name):
        try:
            with open(os.path.join(self.scratch(), name), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def has_owner(self):
        return self.call_bus("NameHasOwner", f"'{NAME}'") == (True,)

    def call_bus(self, method, *args, who="root"):
        return self.gdbus("org.freedesktop.DBus", "/org/freedesktop/DBus", f"org.freedesktop.DBus.{method}",
                          *args, who=who)

    # -- the daemon --

    def config(self, text):
        return self.write(f"leco-dbusd-{len(self.daemons)}.conf", text)

    def run_daemon(self, *args, uid=NOBODY, gid=NOGROUP, pin=None, config=None):
        """Start leco-dbusd; returns a Daemon (not waiting for the name)."""
        n = len(self.daemons)
        argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *WRAPPER, DBUSD, "--bus", self.addr,
                "--pin-path", pin or self.h.pin]
        if config is not None:
            argv += ["--config", config]
        argv += list(args)
        out, err = (os.path.join(self.scratch(), f"daemon-{n}.{x}") for x in ("out", "err"))
        with open(out, "w") as fo, open(err, "w") as fe:
            p = subprocess.Popen(argv, stdout=fo, stderr=fe, env=env())
        d = Daemon(p, out, err)
        self.daemons.append(d)
        self.h.cleanups.append(lambda: stop_pid(p))
        return d

    def start_daemon(self, config=None, timeout=10 * SLOW):
        d = self.run_daemon(config=self.config(config) if config is not None else None)
        end = time.monotonic() + timeout
        while not self.has_owner():
            if d.p.poll() is not None:
                raise Fail(f"leco-dbusd exited with {d.p.returncode} before owning {NAME}:\n{d.stderr()}")
            check(time.monotonic() < end, f"{NAME} has no owner {timeout}s after starting leco-dbusd:\n{d.stderr()}")
            time.sleep(0.1)
        self.daemon = d
        return d

    def alive(self, d=None):
        """The daemon still runs and never hit a GLib critical (a programming
        error: freed memory, invalid UTF-8 in a string, ...)."""
        d = d or self.daemon
        rc = d.p.poll()
        check(rc is None, f"leco-dbusd exited ({rc}{' = ' + signal.Signals(-rc).name if rc and rc < 0 else ''}):\n"
              f"{d.stderr()[-3000:]}")
        for x in self.daemons:
            crit = [l for l in x.stderr().splitlines() if "CRITICAL **" in l]
            check(not crit, f"leco-dbusd (pid {x.pid}) logged {len(crit)} criticals:\n" + "\n".join(crit[:5]))

    # -- clients --

    def gdbus(self, dest, path, method, *args, who="member", timeout=20):
        argv = self.prefix(who) + ["gdbus", "call", "--address", self.addr, "--dest", dest, "--object-path", path,
                                   "--method", method, "--timeout", str(timeout), *[str(a) for a in args]]
        r = run(argv, check_rc=False, env=env(), timeout=timeout + 10)
        if r.returncode != 0:
            text = r.stderr.strip()
            marker = "GDBus.Error:"
            if marker in text:
                name, _, msg = text.split(marker, 1)[1].partition(": ")
                # gdbus adds a hint about the introspected signature on its own line
                raise CallError(name, msg.split("\n")[0], text)
            raise Fail(f"gdbus call {method} as {who} failed: {text}")
        try:
            return GVText.parse(r.stdout)
        except (ValueError, IndexError) as e:
            raise Fail(f"cannot parse the reply of {method} ({e}): {r.stdout[:300]}")

    def call(self, method, *args, who="member"):
        """A method of org.leco.Overseer1; the reply's values (unpacked when one)."""
        v = self.gdbus(NAME, PATH, f"{IFACE}.{method}", *args, who=who)
        return v[0] if len(v) == 1 else v

    def call_error(self, method, *args, who="member"):
        try:
            v = self.call(method, *args, who=who)
        except CallError as e:
            log(f"{method} {' '.join(map(str, args))} as {who}: {e.name}: {e.message}")
            return e
        raise Fail(f"{method}{args} as {who} should have failed, returned {str(v)[:300]}")

    def prop(self, name, who="member"):
        return self.gdbus(NAME, PATH, "org.freedesktop.DBus.Properties.Get", IFACE, name, who=who)[0]

    def busctl(self, method, *sig_args, who="member"):
        argv = self.prefix(who) + ["busctl", f"--address={self.addr}", "--json=short", "call", NAME, PATH, IFACE,
                                   method, *[str(a) for a in sig_args]]
        r = run(argv, check_rc=False, env=env(), timeout=30)
        check(r.returncode == 0, f"busctl call {method} as {who}: {r.returncode} {r.stderr.strip()}")
        data = unjson(json.loads(r.stdout)["data"])
        return data[0] if len(data) == 1 else data

    def monitor(self, who="member"):
        m = Monitor(self, who)
        self.h.cleanups.append(m.stop)
        m.wait_line(f"The name {NAME} is owned by")
        return m

    def close(self):
        self.h.close()


def client_user():
    """The unprivileged client.  dbus-daemon refuses a connection from a uid
    without a passwd entry (bus_policy_allow_unix_user() needs its groups), so
    the client is a real user that is neither root nor the daemon's user."""
    want = os.environ.get("LECO_TEST_CLIENT_USER")
    for name in ([want] if want else []) + ["daemon", "bin", "sys"]:
        try:
            u = pwd.getpwnam(name)
        except KeyError:
            continue
        if u.pw_uid not in (0, NOBODY):
            return u
    raise Skip("no unprivileged user for the D-Bus clients (tried daemon, bin, sys; set LECO_TEST_CLIENT_USER)")


def rel(h, path):
    return "/" + os.path.relpath(path, h.cgroot)


def by(rows, **want):
    return [r for r in rows if all(r.get(k) == v for k, v in want.items())]


def only(rows, what, **want):
    got = by(rows, **want)
    check(len(got) == 1, f"expected exactly one {what} {want}, got {len(got)}: {str(got or rows[-5:])[:1500]}")
    return got[0]


def now_us():
    return int(time.time() * 1e6)


def expect_fields(rec, what, **want):
    bad = {k: (rec.get(k, "<missing>"), v) for k, v in want.items() if rec.get(k, "<missing>") != v}
    check(not bad, f"{what}: wrong fields (got, expected): {bad}\nrecord: {rec}")


# ---------------------------------------------------------------- cases --

def case_blocked(t):
    """nft drop of a TCP SYN: one ConnectionBlocked at once, coalesced
    repeats at most once per window, the stderr line, ListBlocked."""
    h = t.h
    a, b = h.netns()
    cg, cgid = h.cgroup("blocked")
    h.nft(a, f"""chain output {{ type filter hook output priority 0;
        ip daddr {B4} tcp dport 5400 drop
        ip daddr {B4} udp dport 5401 drop
    }}""")
    h.load()
    t.start_bus()
    t.start_daemon("[Daemon]\nCoalesceWindow=1s\n")
    mon = t.monitor()
    t0 = now_us()
    p = h.start(a, cg, "connect-only", "--connect", B4, "5400", "--nonblock-wait-ms", "3500", "--comm", "leco-blk",
                uid=NOBODY)
    # the connect waits in SYN_SENT (the kernel announces outbound TCP once
    # established or failed): the daemon finds it among the live sockets
    time.sleep(0.5)
    waiting = [c for c in t.call("ListConnections", "{}")
               if c.get("cgroup-id") == cgid and c.get("remote-port") == 5400]
    check(len(waiting) == 1, f"the waiting connect in ListConnections: {waiting}")
    expect_fields(waiting[0], "the waiting connect", state="syn-sent", pid=p.pid, comm="leco-blk", direction="out",
                  protocol="tcp", **{"remote-address": B4})
    res = p.wait()
    check(res["errno"] in ("EINPROGRESS", "ETIMEDOUT"), f"the dropped connect: {res}")
    ended = time.monotonic()
    wid = waiting[0]["id"]
    check(any(s[0].get("id") == wid for _, _, s in mon.signals("ConnectionOpened")),
          "no ConnectionOpened for the connect found waiting")
    gone = mon.wait("ConnectionClosed", lambda s: s[0].get("id") == wid, what="the waiting connect's end")[0][2][0]
    expect_fields(gone, "the waiting connect's end", state="failed", pid=p.pid, **{"remote-port": 5400})
    # the socket is gone: no more SYNs; the last repeat goes out within a window
    time.sleep(1.6)
    mine = lambda s: s.get("cgroup-id") == cgid and s.get("remote-port") == 5400
    sigs = [(at, s[0]) for at, _, s in mon.signals("ConnectionBlocked") if mine(s[0])]
    check(sigs, f"no ConnectionBlocked for the dropped connect: {mon.all_signal_lines()[-5:]}")
    first = sigs[0][1]
    expect_fields(first, "first ConnectionBlocked", pid=p.pid, comm="leco-blk", user="nobody", uid=NOBODY,
                  **{"cgroup-id": cgid, "cgroup": rel(h, cg), "remote-address": B4, "remote-port": 5400,
                     "protocol": "tcp", "family": "ipv4", "direction": "out", "reason": "firewall",
                     "kernel-reason": "NETFILTER_DROP", "count": 1, "local-address": A4})
    check(first["exe"] == os.path.realpath(ct.TRAFFIC), f"exe of a process of the daemon's own user: {first['exe']!r}")
    check(t0 <= first["started"] <= first["last-seen"] <= now_us(), f"timestamps: {first}")
    check(len([s for _, s in sigs if s["count"] == 1]) == 1, f"more than one first signal: {sigs}")
    # the retransmitted SYNs (1 s, 3 s): coalesced updates of the same record
    check(len(sigs) >= 2, f"the retransmitted SYNs gave no coalesced update: {sigs}")
    for (t1, s1), (t2, s2) in zip(sigs, sigs[1:]):
        check(s2["id"] == first["id"], f"coalesced update with another id: {s2['id']} != {first['id']}")
        check(s2["count"] > s1["count"], f"count did not grow: {s1['count']} -> {s2['count']}")
        check(t2 - t1 >= 0.8, f"two ConnectionBlocked {t2 - t1:.3f}s apart, the window is 1s")
        check(s2["started"] == first["started"] and s2["last-seen"] >= s1["last-seen"], f"timestamps: {s1} {s2}")
        expect_fields(s2, "coalesced update", pid=p.pid, comm="leco-blk", **{"kernel-reason": "NETFILTER_DROP"})
    last = sigs[-1][1]
    check(last["count"] >= 3, f"SYN + 2 retransmissions in 3.5 s, counted {last['count']}")
    check(sigs[-1][0] <= ended + 1.2, "a coalesced update came later than one window after the last attempt")

    # a later blocked UDP send from the same cgroup: newest first
    u = h.start(a, cg, "udp-send", "--to", B4, "5401", "--count", "1", "--comm", "leco-blku")
    ures = u.wait(ok=(0, 1))
    check(ures.get("errno") == "EPERM", f"udp send into the drop: {ures}")
    us = mon.wait("ConnectionBlocked", lambda s: s[0].get("cgroup-id") == cgid and s[0].get("remote-port") == 5401,
                  what="the UDP send")[0][2][0]
    expect_fields(us, "UDP ConnectionBlocked", pid=u.pid, comm="leco-blku", uid=0, user="root", protocol="udp",
                  count=1, reason="firewall", **{"kernel-reason": "NETFILTER_DROP"})
    check(us["id"] != first["id"], "the UDP attempt got the TCP record's id")

    lst = t.call("ListBlocked", 0)
    tcp = only(lst, "TCP record in ListBlocked(0)", id=first["id"])
    expect_fields(tcp, "ListBlocked TCP record", count=last["count"], pid=p.pid, comm="leco-blk",
                  **{"cgroup-id": cgid, "remote-port": 5400, "last-seen": last["last-seen"]})
    udp = only(lst, "UDP record in ListBlocked(0)", id=us["id"])
    check(lst.index(udp) < lst.index(tcp), "ListBlocked is not newest first: the later UDP attempt comes after")
    seen = [r["last-seen"] for r in lst]
    check(seen == sorted(seen, reverse=True), f"ListBlocked not ordered newest first: {seen}")
    one = t.call("ListBlocked", 1)
    # (the machine may block something else meanwhile: newer, never older)
    check(len(one) == 1 and one[0]["last-seen"] >= lst[0]["last-seen"], f"ListBlocked(1): {one}")
    # the property follows on the next traffic tick
    end = time.monotonic() + 4
    while t.prop("BlockedTotal") < last["count"] + 1:
        check(time.monotonic() < end, f"BlockedTotal {t.prop('BlockedTotal')} below the {last['count'] + 1} "
              "attempts this test saw")
        time.sleep(0.2)

    err = t.daemon.stderr()
    lines = [l for l in err.splitlines() if l.startswith("leco-dbusd: blocked ") and f"{B4}:5400" in l]
    check(lines and all("leco-blk" in l and f"pid {p.pid}" in l and "tcp" in l for l in lines),
          f"no stderr line naming comm and remote of the blocked connect:\n{err[-2000:]}")
    # one line per signal at most (the daemon rate-limits its log in storms)
    check(len(lines) <= len(sigs), f"{len(lines)} stderr lines for {len(sigs)} signals:\n" + "\n".join(lines))
    t.alive()


def case_traffic(t):
    """ConnectionOpened/Closed with exact bytes; a held connection in
    ListConnections; ListTraffic and TrafficUpdated exact per cgroup."""
    h = t.h
    a, b = h.netns()
    srv_cg, srv_id = h.cgroup("server")
    cli_cg, cli_id = h.cgroup("client")
    hs_cg, hs_id = h.cgroup("hold-server")
    hc_cg, hc_id = h.cgroup("hold-client")
    h.load()
    t.start_bus()
    t.start_daemon("[Daemon]\nUpdateInterval=1s\n")
    mon = t.monitor()

    srv = h.start(b, srv_cg, "tcp-server", "--listen", B4, "0", "--bytes", str(MB), "--comm", "leco-srv")
    port = int(kv(srv.readline())["port"])
    cli = h.start(a, cli_cg, "tcp-client", "--connect", B4, str(port), "--bytes", str(MB), "--comm", "leco-cli",
                  uid=NOBODY)
    cres, sres = cli.wait(), srv.wait()
    lport = int(cres["local"].rsplit(":", 1)[1])
    check(cres["tx"] == cres["rx"] == sres["tx"] == sres["rx"] == str(MB), f"generators: {cres} {sres}")

    closed = lambda cg: mon.wait("ConnectionClosed", lambda s: s[0].get("cgroup-id") == cg, what=f"cgroup {cg}")
    for cg in (cli_id, srv_id):
        closed(cg)
    opened = [s[0] for _, _, s in mon.signals("ConnectionOpened")]
    co = only(opened, "client ConnectionOpened", **{"cgroup-id": cli_id})
    expect_fields(co, "client ConnectionOpened", pid=cli.pid, comm="leco-cli", uid=NOBODY, user="nobody",
                  direction="out", state="established", protocol="tcp", family="ipv4",
                  **{"remote-address": B4, "remote-port": port, "local-port": lport, "cgroup": rel(h, cli_cg)})
    so = only(opened, "server ConnectionOpened", **{"cgroup-id": srv_id})
    expect_fields(so, "server ConnectionOpened", pid=srv.pid, comm="leco-srv", uid=0, user="root", direction="in",
                  protocol="tcp", **{"local-address": B4, "local-port": port, "remote-address": A4,
                                     "remote-port": lport, "cgroup": rel(h, srv_cg)})
    closes = [s[0] for _, _, s in mon.signals("ConnectionClosed")]
    for who, o in (("client", co), ("server", so)):
        c = only(closes, f"{who} ConnectionClosed", id=o["id"])
        expect_fields(c, f"{who} ConnectionClosed", state="closed", pid=o["pid"], comm=o["comm"],
                      **{"rx-bytes": MB, "tx-bytes": MB, "cgroup-id": o["cgroup-id"]})
        check(c["started"] == o["started"] <= c["ended"] <= now_us(), f"{who} timestamps: {c}")
    check(only(closes, "", id=co["id"])["local-port"] == lport, "client close lacks its local port")

    # a refused connect is announced by the kernel only as failed: the
    # daemon still says it opened (syn-sent), then closed (failed)
    rc = h.start(a, cli_cg, "connect-only", "--connect", B4, "5409", "--comm", "leco-refused")
    rres = rc.wait(ok=(0, 1))
    check(rres.get("errno") == "ECONNREFUSED", f"connect to a closed port: {rres}")
    ro = mon.wait("ConnectionOpened", lambda s: s[0].get("comm") == "leco-refused", what="the refused connect")
    ro = ro[0][2][0]
    expect_fields(ro, "refused ConnectionOpened", state="syn-sent", pid=rc.pid, direction="out",
                  **{"remote-port": 5409, "cgroup-id": cli_id})
    rcl = mon.wait("ConnectionClosed", lambda s: s[0].get("id") == ro["id"], what="the refused connect's end")
    expect_fields(rcl[0][2][0], "refused ConnectionClosed", state="failed", pid=rc.pid, **{"remote-port": 5409})

    # a connection held open: the server waits for 2000 bytes, the client
    # sends 1000 and waits for an answer; both give up after the timeout
    hsrv = h.start(b, hs_cg, "tcp-server", "--listen", B4, "0", "--bytes", "2000", "--timeout-ms", "4000",
                   "--comm", "leco-hsrv")
    hport = int(kv(hsrv.readline())["port"])
    hcli = h.start(a, hc_cg, "tcp-client", "--connect", B4, str(hport), "--bytes", "1000", "--timeout-ms", "4000",
                   "--comm", "leco-hcli")
    ho = mon.wait("ConnectionOpened", lambda s: s[0].get("cgroup-id") == hc_id, what="the held client")[0][2][0]
    time.sleep(0.5)
    conns = t.call("ListConnections", "{}")
    c = only(conns, "held client in ListConnections({})", **{"cgroup-id": hc_id})
    expect_fields(c, "held client", id=ho["id"], pid=hcli.pid, comm="leco-hcli", state="established",
                  direction="out", **{"remote-port": hport, "tx-bytes": 1000, "rx-bytes": 0})
    s = only(conns, "held server in ListConnections({})", **{"cgroup-id": hs_id})
    expect_fields(s, "held server", pid=hsrv.pid, comm="leco-hsrv", direction="in", state="established",
                  **{"local-port": hport, "rx-bytes": 1000, "tx-bytes": 0})
    check(not by(conns, **{"cgroup-id": cli_id}) and not by(conns, **{"cgroup-id": srv_id}),
          "closed connections still listed as open")
    ids = [x["id"] for x in conns]
    check(ids == sorted(ids), "ListConnections is not oldest first")
    f = t.call("ListConnections", f"{{'cgroup-id': <uint64 {hc_id}>}}")
    check([x["id"] for x in f] == [ho["id"]], f"ListConnections(cgroup-id) = {f}")
    f = t.call("ListConnections", f"{{'pid': <uint32 {hsrv.pid}>, 'direction': <'in'>, 'protocol': <'tcp'>}}")
    check([x["id"] for x in f] == [s["id"]], f"ListConnections(pid, direction, protocol) = {f}")
    g = t.call("GetConnection", f"uint64 {ho['id']}")
    expect_fields(g, "GetConnection of the held client", id=ho["id"], pid=hcli.pid, state="established")
    live = t.call("ListTraffic")
    expect_fields(only(live, "held client's cgroup", **{"cgroup-id": hc_id}), "ListTraffic while held",
                  connections=1, **{"tx-bytes": 1000, "rx-bytes": 0})
    expect_fields(only(live, "held server's cgroup", **{"cgroup-id": hs_id}), "ListTraffic while held",
                  connections=1, **{"tx-bytes": 0, "rx-bytes": 1000})
    hsres, hcres = hsrv.wait(ok=(0, 1)), hcli.wait(ok=(0, 1))
    check(hcres["tx"] == "1000" and hsres["rx"] == "1000", f"held pair: {hcres} {hsres}")
    hc_closed = closed(hc_id)[0][2][0]
    expect_fields(hc_closed, "held client closed", id=ho["id"], **{"tx-bytes": 1000, "rx-bytes": int(hcres["rx"])})
    g = t.call("GetConnection", f"uint64 {ho['id']}")
    check(g["state"] == "closed" and g["tx-bytes"] == 1000, f"GetConnection of the closed flow: {g}")

    want = {cli_id: (cres, cli_cg), srv_id: (sres, srv_cg), hc_id: (hcres, hc_cg), hs_id: (hsres, hs_cg)}
    # the TrafficUpdated after everything settled carries the final numbers
    def settled():
        last = {}
        for _, _, (rows,) in mon.signals("TrafficUpdated"):
            for r in rows:
                last[r["cgroup-id"]] = r
        return last
    end = time.monotonic() + 6
    while True:
        last = settled()
        if all(i in last and last[i]["tx-bytes"] == int(r["tx"]) and last[i]["rx-bytes"] == int(r["rx"]) and
               last[i]["connections"] == 0 for i, (r, _) in want.items()):
            break
        check(time.monotonic() < end, "TrafficUpdated never reached the generators' totals and 0 connections: " +
              str({i: (last.get(i, {}).get("tx-bytes"), last.get(i, {}).get("rx-bytes"),
                       last.get(i, {}).get("connections"), r["tx"], r["rx"])
                   for i, (r, _) in want.items()}))
        time.sleep(0.2)
    traffic = t.busctl("ListTraffic")
    for cgid, (res, path) in want.items():
        row = only(traffic, f"ListTraffic row of {path}", **{"cgroup-id": cgid})
        expect_fields(row, f"ListTraffic {path}", cgroup=rel(h, path), connections=0,
                      **{"tx-bytes": int(res["tx"]), "rx-bytes": int(res["rx"]), "blocked": 0})
        for k in ("tx-bytes", "rx-bytes", "cgroup", "connections", "blocked"):
            check(last[cgid][k] == row[k], f"TrafficUpdated and ListTraffic disagree on {k} of {path}: "
                  f"{last[cgid][k]} != {row[k]}")
    t.alive()


def case_traffic_interval(t):
    """TrafficUpdated at most once per UpdateInterval, rates while busy,
    silence about idle cgroups."""
    h = t.h
    a, b = h.netns()
    cg, cgid = h.cgroup("flood")
    h.load()
    t.start_bus()
    t.start_daemon("[Daemon]\nUpdateInterval=1000ms\n")
    check(t.prop("UpdateInterval") == 1000, "UpdateInterval property is not the configured 1000 ms")
    mon = t.monitor()
    start = time.monotonic()
    f = h.start(a, cg, "udp-flood", "--to", B4, "5900", "--count", "2000000000", "--size", "200",
                "--timeout-ms", "5000", "--comm", "leco-flood")
    res = f.wait(timeout=20)
    stopped = time.monotonic()
    check(res["timed_out"] == "1" and int(res["tx"]) > 0, f"the flood: {res}")
    # the updates after the traffic: the last totals with a rate, then a rate of 0
    rows_of = lambda: [(at, r) for at, _, (rows,) in mon.signals("TrafficUpdated") for r in rows
                       if r["cgroup-id"] == cgid]
    end = time.monotonic() + 5
    while not [r for at, r in rows_of() if at > stopped and r["tx-rate"] == 0]:
        check(time.monotonic() < end, f"no TrafficUpdated with rate 0 after the flood: {rows_of()[-3:]}")
        time.sleep(0.1)
    idle_from = time.monotonic()
    time.sleep(3.2)
    mine = rows_of()
    last_at, last = mine[-1]
    check(last_at < idle_from, f"TrafficUpdated kept mentioning the idle cgroup: {mine[-3:]}")
    expect_fields(last, "last TrafficUpdated row", **{"tx-rate": 0, "rx-rate": 0, "tx-bytes": int(res["tx"]),
                                                      "cgroup": rel(h, cg)})
    busy = [(at, r) for at, r in mine if r["tx-rate"] > 0]
    check(len(busy) >= 3, f"5 s of traffic gave {len(busy)} rows with a tx rate: {mine}")
    for (t1, r1), (t2, r2) in zip(mine, mine[1:]):
        if r1["tx-rate"] and r2["tx-rate"]:
            rate = (r2["tx-bytes"] - r1["tx-bytes"]) / (t2 - t1)
            check(abs(r2["tx-rate"] - rate) <= 0.25 * rate, f"tx-rate {r2['tx-rate']} but {rate:.0f} B/s measured")
    times = [at for at, _, _ in mon.signals("TrafficUpdated") if at >= start]
    gaps = [round(y - x, 3) for x, y in zip(times, times[1:])]
    check(len(times) >= 6, f"{len(times)} TrafficUpdated in {time.monotonic() - start:.1f}s")
    check(min(gaps) >= 0.8, f"TrafficUpdated closer than the 1 s interval (less 20%): {gaps}")
    traffic = t.call("ListTraffic")
    row = only(traffic, "ListTraffic row", **{"cgroup-id": cgid})
    expect_fields(row, "ListTraffic", **{"tx-bytes": int(res["tx"]), "tx-rate": 0})
    t.alive()


def case_policy(t):
    """The generated policy on a system-like bus: members call and listen,
    non-members get AccessDenied and no signals, only nobody owns the name,
    root may call."""
    h = t.h
    cg, cgid = h.cgroup("policy")
    h.load()
    t.start_bus()
    # while the name is free: another uid cannot take it, even with the maps readable
    for who, uid, gid in (("client", t.client_uid, NOGROUP), ("root", 0, 0)):
        d = t.run_daemon(uid=uid, gid=gid)
        try:
            rc = d.p.wait(10)
        except subprocess.TimeoutExpired:
            raise Fail(f"leco-dbusd as {who} (uid {uid}) is still running: the policy let it own {NAME}")
        err = d.stderr()
        check(rc != 0 and f"could not own the bus name {NAME}" in err,
              f"leco-dbusd as {who}: exit {rc}, stderr: {err}")
        check(not t.has_owner(), f"{NAME} got an owner from uid {uid}")
    for who in ("member", "nonmember"):
        e = None
        try:
            t.call_bus("RequestName", f"'{NAME}'", 4, who=who)
        except CallError as x:
            e = x
        check(e and e.name == "org.freedesktop.DBus.Error.AccessDenied" and "not allowed to own" in e.message,
              f"RequestName as {who}: {e}")
    t.start_daemon()
    mem, non = t.monitor("member"), t.monitor("nonmember")
    # something to report
    u = h.start(None, cg, "udp-send", "--to", "127.0.0.1", "5990", "--count", "2", "--size", "10",
                "--comm", "leco-pol")
    u.wait()
    o = mem.wait("ConnectionOpened", lambda s: s[0].get("cgroup-id") == cgid, what="the test send")[0][2][0]
    expect_fields(o, "ConnectionOpened", pid=u.pid, comm="leco-pol", protocol="udp", **{"remote-port": 5990})
    mem.wait("ConnectionClosed", lambda s: s[0].get("id") == o["id"], what="the test send")
    mem.wait("TrafficUpdated", lambda s: True)
    time.sleep(0.3)
    check(not non.all_signal_lines(), f"a non-member received LECO signals: {non.all_signal_lines()[:3]}")
    check(non.p.poll() is None and mem.p.poll() is None, "a monitor died")

    # members: every interface the policy opens
    check(t.call("GetConnection", f"uint64 {o['id']}")["pid"] == u.pid, "GetConnection as member")
    check(isinstance(t.call("ListConnections", "{}"), list), "ListConnections as member")
    check(isinstance(t.call("ListBlocked", 0), list), "ListBlocked as member")
    check(by(t.busctl("ListTraffic"), **{"cgroup-id": cgid}), "ListTraffic as member (busctl) lacks the cgroup")
    check(t.prop("Version") == run([DBUSD, "--version"]).stdout.split()[-1], "Version property")
    props = t.gdbus(NAME, PATH, "org.freedesktop.DBus.Properties.GetAll", IFACE)[0]
    check({"Version", "KernelHooks", "EventsLost", "BlockedTotal", "Since", "UpdateInterval",
           "FlowsEvicted"} <= set(props), f"GetAll: {props}")
    check(t.gdbus(NAME, PATH, "org.freedesktop.DBus.Peer.Ping") == (), "Ping as member")
    check(IFACE in t.gdbus(NAME, PATH, "org.freedesktop.DBus.Introspectable.Introspect")[0], "Introspect")
    # non-members: nothing
    calls = [(f"{IFACE}.ListTraffic",), (f"{IFACE}.ListBlocked", 0), (f"{IFACE}.ListConnections", "{}"),
             ("org.freedesktop.DBus.Properties.Get", IFACE, "Version"), ("org.freedesktop.DBus.Peer.Ping",)]
    for method, *args in calls:
        e = None
        try:
            t.gdbus(NAME, PATH, method, *args, who="nonmember")
        except CallError as x:
            e = x
        check(e and e.name == "org.freedesktop.DBus.Error.AccessDenied", f"{method} as non-member: {e}")
    r = run(t.prefix("nonmember") + ["busctl", f"--address={t.addr}", "call", NAME, PATH, IFACE, "ListTraffic"],
            check_rc=False, env=env())
    check(r.returncode != 0 and "Access denied" in r.stderr, f"busctl as non-member: {r.returncode} {r.stderr}")
    # the daemon's own user has no special rights as a client
    e = None
    try:
        t.call("ListTraffic", who="nobody")
    except CallError as x:
        e = x
    check(e and e.name == "org.freedesktop.DBus.Error.AccessDenied", f"ListTraffic as nobody (no groups): {e}")
    # root
    check(by(t.call("ListTraffic", who="root"), **{"cgroup-id": cgid}), "ListTraffic as root")
    check(t.prop("UpdateInterval", who="root") == 2000, "default UpdateInterval as root")
    t.alive()


def case_bad_input(t):
    """InvalidArgs with reasons, NotFound, and a daemon that refuses bad
    configuration and pins with one clear line."""
    h = t.h
    h.load()
    t.start_bus()
    t.start_daemon()
    e = t.call_error("ListConnections", "{'bogus': <uint32 1>}")
    check(e.name == "org.freedesktop.DBus.Error.InvalidArgs" and "bogus" in e.message, f"unknown filter key: {e}")
    e = t.call_error("ListConnections", "{'pid': <'1234'>}")
    check(e.name == "org.freedesktop.DBus.Error.InvalidArgs" and "pid" in e.message and "'u'" in e.message,
          f"filter of the wrong type: {e}")
    e = t.call_error("ListConnections", "{'cgroup-id': <uint32 1>}")
    check(e.name == "org.freedesktop.DBus.Error.InvalidArgs" and "cgroup-id" in e.message and "'t'" in e.message,
          f"cgroup-id filter of the wrong type: {e}")
    # a wrong signature: gdbus checks arguments against introspection, dbus-send does not
    r = run(t.prefix("member") + ["dbus-send", f"--bus={t.addr}", "--print-reply", f"--dest={NAME}", PATH,
                                  f"{IFACE}.ListBlocked", "string:ten"], check_rc=False, env=env())
    check(r.returncode != 0 and "org.freedesktop.DBus.Error.InvalidArgs" in r.stderr and "(s)" in r.stderr
          and "(u)" in r.stderr, f"ListBlocked(s): {r.returncode} {r.stderr.strip()}")
    e = t.call_error("GetConnection", "uint64 999999999")
    check(e.name == "org.leco.Overseer1.Error.NotFound" and "999999999" in e.message, f"GetConnection: {e}")
    t.alive()
    # the daemon still answers after all that
    check(isinstance(t.call("ListBlocked", 0), list), "ListBlocked after bad calls")
    # stop it: the name must be free for the refusals below to mean anything
    stop_pid(t.daemon.p)
    check(t.daemon.p.returncode == 0, f"leco-dbusd on SIGTERM: exit {t.daemon.p.returncode}")
    end = time.monotonic() + 5
    while t.has_owner():
        check(time.monotonic() < end, "the name stayed owned after the daemon stopped")
        time.sleep(0.1)

    def refused(what, *texts, pin=None, config=None):
        d = t.run_daemon(pin=pin, config=config)
        try:
            rc = d.p.wait(10)
        except subprocess.TimeoutExpired:
            raise Fail(f"leco-dbusd with {what} is still running")
        err = d.stderr().strip()
        log(f"leco-dbusd with {what}: exit {rc}: {err}")
        check(rc != 0, f"leco-dbusd with {what}: exit 0")
        check(len(err.splitlines()) == 1 and all(x in err for x in texts),
              f"leco-dbusd with {what}: expected one line with {texts}, got: {err!r}")
        check(not t.has_owner(), f"leco-dbusd with {what} took the bus name")
        return err

    cfg = t.write("unknown-key.conf", "[Daemon]\nUpdateInterval=1s\nFrobnicate=yes\n")
    refused("an unknown key", "Frobnicate", cfg, config=cfg)
    cfg = t.write("bad-value.conf", "[Daemon]\nCoalesceWindow=soon\n")
    refused("a bad value", "CoalesceWindow", "soon", cfg, config=cfg)
    cfg = t.write("out-of-range.conf", "[Daemon]\nUpdateInterval=5ms\n")
    refused("a value out of range", "UpdateInterval", "5ms", cfg, config=cfg)
    cfg = t.write("bad-group.conf", "[Deamon]\nUpdateInterval=1s\n")
    refused("an unknown group", "Deamon", cfg, config=cfg)
    missing = os.path.join(t.scratch(), "no-such.conf")
    refused("a missing --config", missing, "No such file", config=missing)

    empty = f"/sys/fs/bpf/{h.tag}-empty"
    os.mkdir(empty)
    h.cleanups.append(lambda: os.rmdir(empty))
    os.chmod(empty, 0o755)
    refused("an empty pin dir", "leco-ebpf-load", empty, pin=empty)
    nogroup_pin = f"/sys/fs/bpf/{h.tag}-root"
    run([ct.LOADER, "--pin", nogroup_pin])
    h.cleanups.append(lambda: run([ct.LOADER, "--pin", nogroup_pin, "--unload"], check_rc=False))
    refused("root-only pins", "Permission denied", "--group", nogroup_pin, pin=nogroup_pin)


def case_restart(t):
    """SIGKILL and restart during traffic: the kernel's counters carry on,
    nothing lost or counted twice."""
    h = t.h
    a, b = h.netns()
    cg, cgid = h.cgroup("restart")
    h.load()
    t.start_bus()
    first = t.start_daemon("[Daemon]\nUpdateInterval=500ms\n")
    mon = t.monitor()
    f = h.start(a, cg, "udp-flood", "--to", B4, "5950", "--count", "2000000000", "--size", "300",
                "--timeout-ms", "4000", "--comm", "leco-rst")
    o = mon.wait("ConnectionOpened", lambda s: s[0].get("cgroup-id") == cgid, what="the flood")[0][2][0]
    mon.wait("TrafficUpdated", lambda s: any(r["cgroup-id"] == cgid and r["tx-bytes"] > 0 for r in s[0]),
             what="the flood's cgroup")
    first.p.send_signal(signal.SIGKILL)
    first.p.wait(5)
    killed = time.monotonic()
    end = time.monotonic() + 5
    while t.has_owner():
        check(time.monotonic() < end, "the killed daemon's name is still owned")
        time.sleep(0.05)
    time.sleep(0.7)   # traffic nobody watches
    second = t.start_daemon("[Daemon]\nUpdateInterval=500ms\n")
    check(f.p.poll() is None, "the flood ended before the daemon came back: the test proves nothing")
    mon.wait_line(f"The name {NAME} is owned by", after=killed)
    # the open socket, found again through the kernel's socket iterator
    live = t.call("ListConnections", f"{{'cgroup-id': <uint64 {cgid}>}}")
    check(f.p.poll() is None, "the flood ended before ListConnections: the test proves nothing")
    check(len(live) == 1, f"ListConnections of the flooding cgroup after the restart: {live}")
    expect_fields(live[0], "the flood after the restart", pid=f.pid, comm="leco-rst", protocol="udp",
                  uid=0, user="root")
    check(0 < live[0]["tx-bytes"], f"live byte count after the restart: {live[0]}")
    res = f.wait(timeout=20)
    total = int(res["tx"])
    check(res["timed_out"] == "1" and total > 0, f"the flood: {res}")
    end = time.monotonic() + 5
    while True:
        row = by(t.call("ListTraffic"), **{"cgroup-id": cgid})
        if row and row[0]["tx-bytes"] == total:
            break
        check(time.monotonic() < end, f"ListTraffic after the restart: {row} != generator tx={total}")
        time.sleep(0.2)
    expect_fields(row[0], "ListTraffic after the restart", **{"rx-bytes": 0, "cgroup": rel(h, cg)})
    # the flow the new daemon found open: its close carries the socket's whole count
    c = mon.wait("ConnectionClosed", lambda s: s[0].get("cgroup-id") == cgid, what="the flood after the restart")
    check(len(c) == 1, f"{len(c)} ConnectionClosed for one socket: {c}")
    check(c[0][0] > killed, "closed before the restart?")
    expect_fields(c[0][2][0], "ConnectionClosed after the restart", pid=f.pid, comm="leco-rst", protocol="udp",
                  **{"tx-bytes": total, "rx-bytes": 0, "cgroup": rel(h, cg)})
    check(t.prop("Version"), "the restarted daemon does not answer")
    check(o["pid"] == f.pid, f"ConnectionOpened before the restart: {o}")
    t.alive(second)


def case_restart_records(t):
    """What a restarted daemon reports about the time before it: BlockedTotal
    counts since Since (the hooks' load, not the daemon's start), and a flow
    it finds open keeps the destination it was announced with."""
    h = t.h
    a, b = h.netns()
    cg, cgid = h.cgroup("records")
    h.nft(a, f"chain output {{ type filter hook output priority 0; ip daddr {B4} udp dport 5951 drop; }}")
    h.load()
    t.start_bus()
    first = t.start_daemon("[Daemon]\nUpdateInterval=500ms\n")
    mon = t.monitor()
    u = h.start(a, cg, "udp-send", "--to", B4, "5951", "--count", "3", "--comm", "leco-rblk")
    check(u.wait(ok=(0, 1)).get("errno") == "EPERM", "the send into the drop")
    mon.wait("ConnectionBlocked", lambda s: s[0].get("cgroup-id") == cgid, what="the dropped send")
    end = time.monotonic() + 4
    while (before := t.prop("BlockedTotal")) < 1:
        check(time.monotonic() < end, "BlockedTotal stayed 0 after a blocked send")
        time.sleep(0.2)
    f = h.start(a, cg, "udp-flood", "--to", B4, "5952", "--count", "2000000000", "--size", "300",
                "--timeout-ms", "3000", "--comm", "leco-rrec")
    o = mon.wait("ConnectionOpened", lambda s: s[0].get("cgroup-id") == cgid and s[0].get("remote-port") == 5952,
                 what="the flood")[0][2][0]
    expect_fields(o, "ConnectionOpened of the flood", direction="out", **{"remote-address": B4})
    # a TCP connection held open across the restart: each end keeps its direction
    hs_cg, hs_id = h.cgroup("records-hold-server")
    hc_cg, hc_id = h.cgroup("records-hold-client")
    hsrv = h.start(b, hs_cg, "tcp-server", "--listen", B4, "0", "--bytes", "2000", "--timeout-ms", "8000",
                   "--comm", "leco-rhs")
    hport = int(kv(hsrv.readline())["port"])
    hcli = h.start(a, hc_cg, "tcp-client", "--connect", B4, str(hport), "--bytes", "1000", "--timeout-ms", "8000",
                   "--comm", "leco-rhc")
    for cg_id in (hc_id, hs_id):
        mon.wait("ConnectionOpened", lambda s, cg_id=cg_id: s[0].get("cgroup-id") == cg_id, what="the held TCP ends")
    first.p.send_signal(signal.SIGKILL)
    first.p.wait(5)
    second = t.start_daemon("[Daemon]\nUpdateInterval=500ms\n")
    check(f.p.poll() is None, "the flood ended before the daemon came back: the test proves nothing")
    problems = []
    after = t.prop("BlockedTotal")
    if after < before:
        problems.append(f"BlockedTotal went from {before} to {after} across a daemon restart; the XML says "
                        "\"blocked packets and denied connects seen since Since\" (the hooks' load)")
    live = t.call("ListConnections", f"{{'cgroup-id': <uint64 {cgid}>}}")
    for c in live:
        if (c["remote-address"], c["remote-port"], c["direction"]) != (B4, 5952, "out"):
            problems.append(f"after the restart ListConnections shows the flood's flow as "
                            f"{c['direction']} {c['remote-address']!r}:{c['remote-port']}, announced as out {B4}:5952")
    for cg_id, want, what in ((hc_id, "out", "client"), (hs_id, "in", "server")):
        held = t.call("ListConnections", f"{{'cgroup-id': <uint64 {cg_id}>}}")
        if [c["direction"] for c in held] != [want]:
            problems.append(f"after the restart ListConnections shows the held TCP {what} as "
                            f"{[(c['direction'], c['state']) for c in held]}, it is one connection, {want}")
    hcli.wait(ok=(0, 1))
    hsrv.wait(ok=(0, 1))
    res = f.wait(timeout=20)
    c = mon.wait("ConnectionClosed", lambda s: s[0].get("pid") == f.pid, what="the flood")[0][2][0]
    if (c["remote-address"], c["remote-port"], c["direction"]) != (B4, 5952, "out"):
        problems.append(f"after the restart ConnectionClosed reports the flood's flow as {c['direction']} "
                        f"{c['remote-address']!r}:{c['remote-port']}, announced as out {B4}:5952")
    check(c["tx-bytes"] == int(res["tx"]), f"ConnectionClosed tx-bytes {c['tx-bytes']} != {res['tx']}")
    t.alive(second)
    check(not problems, "daemon bugs:\n  " + "\n  ".join(problems))


def case_closed_history(t):
    """One socket, 16 destinations, a ClosedHistory smaller than that: the
    close announces every flow correctly and GetConnection finds exactly the
    most recently closed ones."""
    h = t.h
    a, b = h.netns()
    cg, cgid = h.cgroup("history")
    h.load()
    t.start_bus()
    t.start_daemon("[Daemon]\nClosedHistory=4\n")
    mon = t.monitor()
    ports = list(range(5960, 5976))
    args = [x for p in ports for x in ("--to", B4, str(p))]
    u = h.start(a, cg, "udp-send", *args, "--count", "2", "--size", "50", "--comm", "leco-hist")
    res = u.wait()
    check(res["datagrams"] == "32", f"udp-send: {res}")
    mine = lambda s: s[0].get("cgroup-id") == cgid
    end = time.monotonic() + 10
    while len(closed := [s[2][0] for s in mon.signals("ConnectionClosed") if s[2][0].get("pid") == u.pid]) < 16:
        t.alive()
        check(time.monotonic() < end, f"{len(closed)} of 16 ConnectionClosed; lines:\n" +
              "\n".join(l[:300] for l in mon.all_signal_lines()[-5:]))
        time.sleep(0.1)
    time.sleep(0.3)
    opened = [s[2][0] for s in mon.signals("ConnectionOpened") if mine(s[2])]
    closed = [s[2][0] for s in mon.signals("ConnectionClosed")
              if s[2][0].get("pid") == u.pid or mine(s[2]) or s[2][0].get("comm") == "leco-hist"]
    problems = []
    check(sorted(o["remote-port"] for o in opened) == ports, f"ConnectionOpened ports: {opened}")
    if len(closed) != 16:
        problems.append(f"{len(closed)} ConnectionClosed for 16 flows")
    for o in opened:
        c = by(closed, id=o["id"])
        if len(c) != 1:
            problems.append(f"flow {o['id']} to port {o['remote-port']}: {len(c)} ConnectionClosed")
            continue
        bad = {k: (c[0].get(k), o[k]) for k in ("remote-port", "remote-address", "pid", "comm", "cgroup",
                                                 "cgroup-id", "protocol", "started") if c[0].get(k) != o[k]}
        if bad:
            problems.append(f"ConnectionClosed of flow {o['id']} (got, announced): {bad}")
    tx = sorted(c.get("tx-bytes", -1) for c in closed)
    if tx != [0] * 15 + [1600]:
        problems.append(f"tx-bytes of the 16 closes {tx}: expected 1600 on the first flow, 0 on the others")
    err = t.daemon.stderr()
    if "CRITICAL **" in err:
        problems.append("leco-dbusd complained:\n" + "\n".join(l for l in err.splitlines() if "**" in l)[:1500])
    # past ClosedHistory once the daemon handled another flow (other traffic
    # on the machine may push out more, never fewer)
    if not problems:
        h.start(a, cg, "udp-send", "--to", B4, "5977", "--count", "1").wait()
        mon.wait("ConnectionClosed", lambda s: s[0].get("cgroup-id") == cgid and s[0].get("remote-port") == 5977,
                 what="one more flow")
        e = t.call_error("GetConnection", f"uint64 {closed[0]['id']}")
        if e.name != "org.leco.Overseer1.Error.NotFound":
            problems.append(f"GetConnection of a flow beyond ClosedHistory: {e}")
    check(t.daemon.p.poll() is None, f"leco-dbusd died ({t.daemon.p.returncode}); " + "; ".join(problems))
    check(not problems, "daemon bugs:\n  " + "\n  ".join(problems))


def case_flood(t):
    """A 4 KiB ring buffer overrun while the daemon is stopped: EventsLost,
    and the daemon stays responsive and small."""
    h = t.h
    a, b = h.netns()
    cg, cgid = h.cgroup("flood")
    h.load()
    t.start_bus()
    d = t.start_daemon("[Daemon]\nUpdateInterval=500ms\n")
    mon = t.monitor()
    since = t.prop("Since")
    # another build of the hooks (the ring buffer size is part of it): the
    # loader replaces the pins, the running daemon follows them
    r = run([ct.LOADER, "--pin", h.pin, "--group", "nogroup", "--ringbuf-size", "4096"])
    check("already" not in r.stdout and "rb4096" in r.stdout, f"reload: {r.stdout}")
    end = time.monotonic() + 5
    while "following it" not in d.stderr() or t.prop("Since") == since:
        check(time.monotonic() < end, f"the daemon did not follow the replaced pins: Since {t.prop('Since')} "
              f"(was {since}), stderr:\n{d.stderr()[-1500:]}")
        time.sleep(0.1)
    check(t.prop("Since") > since, "Since went back after a reload")
    lost0 = t.prop("EventsLost")
    os.kill(d.pid, signal.SIGSTOP)
    try:
        procs = []
        for first in range(6000, 6000 + 16 * 20, 16):
            args = []
            for port in range(first, first + 16):
                args += ["--to", B4, str(port)]
            procs.append(h.start(a, cg, "udp-send", *args, "--count", "1", "--size", "20"))
        for p in procs:
            r = p.wait()
            check(r["datagrams"] == "16", f"udp-send: {r}")
    finally:
        os.kill(d.pid, signal.SIGCONT)
    end = time.monotonic() + 5
    while True:
        lost = t.prop("EventsLost")
        if lost > lost0:
            break
        check(time.monotonic() < end, f"EventsLost stayed {lost} after 320 new destinations into 4 KiB")
        time.sleep(0.2)
    check(lost > 0, "EventsLost")
    mon.wait("org.freedesktop.DBus.Properties.PropertiesChanged", lambda s: s[0] == IFACE and s[1].get("EventsLost", 0) >= lost,
             what="EventsLost")
    t0 = time.monotonic()
    rows = t.call("ListTraffic")
    took = time.monotonic() - t0
    check(took < 1.0, f"ListTraffic took {took:.2f}s after the flood")
    row = only(rows, "ListTraffic row", **{"cgroup-id": cgid})
    check(row["tx-bytes"] == 320 * 20, f"counters are not affected by lost events: {row}")
    with open(f"/proc/{d.pid}/status") as f:
        rss = int(next(l for l in f if l.startswith("VmRSS:")).split()[1])
    check(rss < 32 * 1024 or WRAPPER, f"VmRSS {rss} kB")   # valgrind's own memory counts in
    t.alive()


def sig_of(el):
    """An introspection element as comparable data."""
    out = {}
    for kind in ("method", "signal", "property"):
        for m in el.findall(kind):
            if kind == "property":
                out[(kind, m.get("name"))] = (m.get("type"), m.get("access"))
            else:
                out[(kind, m.get("name"))] = tuple((a.get("name"), a.get("type"), a.get("direction", "in" if kind == "method" else None))
                                                   for a in m.findall("arg"))
    return out


def case_xml(t):
    """xmllint on the API and the policy; the running daemon introspects
    exactly as the XML says."""
    h = t.h
    h.load()
    for f in (API_XML, POLICY_BUILT, BUS_CONF_IN):
        r = run(["xmllint", "--noout", f], check_rc=False)
        check(r.returncode == 0 and not r.stderr, f"xmllint {f}: {r.stderr}")
    t.start_bus()
    r = run(["xmllint", "--noout", os.path.join(t.scratch(), "org.leco.Overseer.conf"),
             os.path.join(t.scratch(), "bus.conf")], check_rc=False)
    check(r.returncode == 0 and not r.stderr, f"xmllint of the generated policy: {r.stderr}")
    t.start_daemon()
    r = run(t.prefix("member") + ["gdbus", "introspect", "--address", t.addr, "--dest", NAME, "--object-path", PATH,
                                  "--xml"], env=env())
    live = ET.fromstring(r.stdout)
    api = ET.parse(API_XML).getroot()
    want = api.find(f"interface[@name='{IFACE}']")
    got = live.find(f"interface[@name='{IFACE}']")
    check(want is not None and got is not None, f"{IFACE} missing: file {want}, live {got}")
    w, g = sig_of(want), sig_of(got)
    check(w == g, f"introspection differs from {API_XML}:\n only in the XML: "
          f"{ {k: v for k, v in w.items() if g.get(k) != v} }\n only live: { {k: v for k, v in g.items() if w.get(k) != v} }")
    check(len([k for k in w if k[0] == "method"]) == 4 and len([k for k in w if k[0] == "signal"]) == 4,
          f"the XML changed shape: {sorted(w)}")
    ifaces = {i.get("name") for i in live.findall("interface")}
    check({"org.freedesktop.DBus.Properties", "org.freedesktop.DBus.Introspectable",
           "org.freedesktop.DBus.Peer"} <= ifaces, f"standard interfaces: {ifaces}")
    # the annotations the clients rely on (EmitsChangedSignal) are exported too
    for p in want.findall("property"):
        lp = got.find(f"property[@name='{p.get('name')}']")
        wa = {(a.get("name"), a.get("value")) for a in p.findall("annotation")}
        la = {(a.get("name"), a.get("value")) for a in lp.findall("annotation")}
        check(wa == la, f"annotations of {p.get('name')}: {wa} vs {la}")
    hooks = t.prop("KernelHooks")
    check("tcp-state" in hooks and "kfree-skb" in hooks, f"KernelHooks: {hooks}")
    since = t.prop("Since")
    check(now_us() - 120e6 < since <= now_us(), f"Since {since} is not the load time of this test's hooks")
    t.alive()


def degraded(t, without):
    """The daemon on a load with hooks left out on purpose (the kernel may
    refuse more by itself): UnavailableHooks names each with its reason,
    LostFeatures says what is lost exactly as leco-ebpf-load --check does,
    both are logged once, and a held connection's live bytes are exact
    where the walks left can see it, absent (0, never wrong) where not;
    its close is exact in every case."""
    h = t.h
    a, b = h.netns()
    hs_cg, hs_id = h.cgroup("hold-server")
    hc_cg, hc_id = h.cgroup("hold-client")
    args = [x for w in without for x in ("--without", w)]
    h.load(*args)
    check_out = run([ct.LOADER, "--check", *args], check_rc=False).stdout
    want_lost = [l[len("lost: "):] for l in check_out.splitlines() if l.startswith("lost: ") and l != "lost: nothing"]
    t.start_bus()
    t.start_daemon("[Daemon]\nUpdateInterval=1s\n")
    mon = t.monitor()
    hooks = t.prop("KernelHooks")
    unavailable = t.prop("UnavailableHooks")
    for w in without:
        check(w not in hooks and w in unavailable, f"{w} attached or not listed: {hooks} {unavailable}")
        check(unavailable[w].startswith(("left out", "refused by the kernel")), f"{w}: {unavailable[w]}")
    check(set(unavailable) | set(hooks) >= set(ct.OPTIONAL), f"hooks neither attached nor unavailable: "
          f"{set(ct.OPTIONAL) - set(unavailable) - set(hooks)}")
    lost = t.prop("LostFeatures")
    check(lost == want_lost, f"LostFeatures {lost} != leco-ebpf-load --check's {want_lost}")
    log_text = t.daemon.stderr()
    if unavailable:
        check(log_text.count("kernel hooks not attached:") == 1, f"not logged once:\n{log_text[-2000:]}")
    for sentence in lost:
        check(log_text.count(sentence) == 1, f"lost feature not logged once: {sentence}")

    sees = "socket-iterator" in hooks or "task-iterator" in hooks
    hsrv, hcli, hport = ct.held_pair(h, b, a, B4, hs_cg, hc_cg, "leco-h", timeout_ms=4000)
    ho = mon.wait("ConnectionOpened", lambda s: s[0].get("cgroup-id") == hc_id, what="the held client")[0][2][0]
    time.sleep(0.5)
    conns = t.call("ListConnections", "{}")
    c = only(conns, "held client", **{"cgroup-id": hc_id})
    expect_fields(c, "held client", id=ho["id"], pid=hcli.pid, state="established",
                  **{"tx-bytes": 1000 if sees else 0, "rx-bytes": 0})
    srow = only(conns, "held server", **{"cgroup-id": hs_id})
    expect_fields(srow, "held server", pid=hsrv.pid, direction="in",
                  **{"rx-bytes": 1000 if sees else 0, "tx-bytes": 0})
    for row in t.call("ListTraffic"):
        if row["cgroup-id"] in (hc_id, hs_id):
            check(row["tx-bytes"] + row["rx-bytes"] == (1000 if sees else 0), f"ListTraffic while held: {row}")
    hsres, hcres = hsrv.wait(ok=(0, 1)), hcli.wait(ok=(0, 1))
    check(hcres["tx"] == "1000" and hsres["rx"] == "1000", f"held pair: {hcres} {hsres}")
    done = mon.wait("ConnectionClosed", lambda s: s[0].get("id") == ho["id"], what="the held client's end")
    expect_fields(done[0][2][0], "held client closed", **{"tx-bytes": 1000, "rx-bytes": int(hcres["rx"])})
    end = time.monotonic() + 6
    while True:
        rows = {r["cgroup-id"]: r for r in t.call("ListTraffic")}
        if rows.get(hc_id, {}).get("tx-bytes") == 1000 and rows.get(hs_id, {}).get("rx-bytes") == 1000:
            break
        check(time.monotonic() < end, f"ListTraffic never reached the held pair's totals: {rows.get(hc_id)} "
              f"{rows.get(hs_id)}")
        time.sleep(0.2)
    t.alive()


def case_degraded_fallback(t):
    """The storage map iterator left out: the tcp/udp/task walks stand in."""
    degraded(t, ["socket-iterator"])


def case_degraded_no_task(t):
    """Only the tcp/udp walks: other namespaces' live bytes are lost."""
    degraded(t, ["socket-iterator", "task-iterator"])


def case_degraded_no_walks(t):
    """No socket walk: bytes come with the close."""
    degraded(t, ["socket-iterator", "tcp-iterator", "udp-iterator", "task-iterator"])


def case_found_open(t):
    """A connection open before LECO loaded (the ssh session a user already
    has): listed by ListConnections once the daemon starts, with its
    process, direction and TCP's own byte counts, and its close announced
    with exact final counts."""
    h = t.h
    cg, cgid = h.cgroup("found")
    srv, cli, port = ct.held_pair(h, None, None, "127.0.0.1", cg, cg, "leco-pre", timeout_ms=5000)
    time.sleep(0.3)
    h.load()
    hooks_out = run([ct.READER, "meta", h.pin]).stdout
    t.start_bus()
    t.start_daemon("[Daemon]\nUpdateInterval=1s\n")
    mon = t.monitor()
    conns = by(t.call("ListConnections", "{}"), **{"cgroup-id": cgid})
    if "tcp-iterator" not in hooks_out:
        check(not conns, f"without the tcp walk nothing finds a connection open before the load: {conns}")
        return
    task = "task-iterator" in hooks_out
    c = only(conns, "the client end found open", **{"remote-port": port})
    s_ = only(conns, "the server end found open", **{"local-port": port})
    expect_fields(c, "client found open", direction="out", state="established", protocol="tcp",
                  **{"tx-bytes": 1000, "rx-bytes": 0, "remote-address": "127.0.0.1"})
    expect_fields(s_, "server found open", direction="in", state="established",
                  **{"tx-bytes": 0, "rx-bytes": 1000})
    if task:
        expect_fields(c, "client's process", pid=cli.pid, comm="leco-pre-c")
        expect_fields(s_, "server's process", pid=srv.pid, comm="leco-pre-s")
    sres, cres = srv.wait(ok=(0, 1)), cli.wait(ok=(0, 1))
    done = mon.wait("ConnectionClosed", lambda s: s[0].get("id") == c["id"], what="the found client's end")
    expect_fields(done[0][2][0], "found client closed", **{"tx-bytes": int(cres["tx"]), "rx-bytes": int(cres["rx"])})
    t.alive()


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def preflight(case):
    ct.preflight()
    for tool in ("dbus-daemon", "gdbus", "busctl", "dbus-send", "setpriv", "nft") + (("xmllint",) if case == "xml" else ()):
        if not shutil.which(tool):
            raise Skip(f"{tool} not installed")
    for f in (DBUSD, ):
        if not os.access(f, os.X_OK):
            raise Fail(f"{f} not built")
    for f in (POLICY_IN, API_XML, BUS_CONF_IN):
        if not os.path.isfile(f):
            raise Fail(f"{f} missing")
    try:
        pwd.getpwnam(DAEMON_USER)
        grp.getgrnam(MONITOR_GROUP)
        grp.getgrnam("nogroup")
    except KeyError as e:
        raise Skip(f"needs the user nobody and the groups users and nogroup: {e}")
    client_user()


def diagnose(t):
    """What helps to tell a daemon bug from a busy machine."""
    for d in t.daemons:
        err = d.stderr()
        other = [l for l in err.splitlines() if not l.startswith("leco-dbusd: blocked ")]
        log(f"--- leco-dbusd (pid {d.pid}, exit {d.p.poll()}): {len(err.splitlines()) - len(other)} blocked lines, "
            f"the rest of its stderr:\n" + "\n".join(other[-40:]))
    d = getattr(t, "daemon", None)
    if d and d.p.poll() is None:
        for p in ("EventsLost", "FlowsEvicted", "BlockedTotal"):
            try:
                v = t.prop(p, who="root")
                log(f"--- {p} = {v}")
                if p == "EventsLost" and v and t.case != "flood":
                    log(f"--- {v} kernel events were lost: is something else on this machine making "
                        "traffic or connections at a high rate (a benchmark)?  Then events a case waits for "
                        "can be among them.")
            except (CallError, Fail) as e:
                log(f"--- {p}: {e}")


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f"usage: {sys.argv[0]} {{{','.join(CASES)}}}", file=sys.stderr)
        return 2
    case = sys.argv[1]
    strict = os.environ.get("CI") == "true" or os.environ.get("LECO_REQUIRE_ALL") == "1"
    t = None
    try:
        preflight(case)
        t = T(case.replace("_", "-"))
        CASES[case](t)
    except Skip as e:
        log(f"SKIP: {e}")
        return 1 if strict else 77
    except Fail as e:
        log(f"FAIL: {e}")
        if t:
            diagnose(t)
        return 1
    finally:
        if t:
            t.close()
            if t.reports:
                log("FAIL: sanitizer/valgrind reports:\n" + "\n".join(t.reports))
                return 1   # overrides the return above: PASS, SKIP or FAIL
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
