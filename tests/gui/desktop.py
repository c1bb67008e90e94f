#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real, private, headless desktop session for GUI tests (stdlib only).

    from desktop import Desktop
    with Desktop(extra_data_dirs=[src / 'data'], schema_dir=build / 'data/applet') as d:
        app = d.spawn([applet_binary], name='applet')
        d.wait_for(lambda: d.registered_items(), 10, 'tray item')
        calls = d.wait_notify_calls(1)
        d.screenshot(artifacts / 'tray.png')

What start() brings up, each process in its own process group, its output in
a log file in the state directory, every wait bounded:

- Xvfb on the first free display in :90..:99 (1280x800x24, no TCP);
- a private session dbus-daemon (its own config: type session, no service
  directories unless given, so nothing from the host is bus-activated);
- dbus-monitor logging every org.freedesktop.Notifications method call (and
  that interface's signals) to notify-monitor.log; notify_calls() parses it;
- dunst as the notification server, every timeout 0 (notifications stay up);
- gtk-sni-tray-standalone as StatusNotifierItem host and watcher (a 40 px bar
  at the bottom of the screen; the first icon is at about (20, 780)).

The environment used for every child (self.env) points DISPLAY, the session
bus, HOME and the XDG directories at the state directory, sets the GTK knobs
for a deterministic headless run (GDK_BACKEND=x11, GSK_RENDERER=cairo,
GTK_A11Y=none, NO_AT_BRIDGE=1) and GSETTINGS_BACKEND=keyfile, so settings
written by the program under test land in
$XDG_CONFIG_HOME/glib-2.0/settings/keyfile and survive a restart of it.

Learned on this host (tray tests must allow for both):
- the watcher's bus name appears before its object is exported: a
  RegisterStatusNotifierItem sent right when the name appears can fail with
  org.freedesktop.DBus.Error.UnknownObject; an item has to retry;
- gtk-sni-tray-standalone draws icons as they are (a -symbolic icon stays
  #2e3436 on its dark bar): full-colour icons are what this host shows well.

Run this file to self-test the fixture; it exits 77 (skip) when a tool is
missing, or 1 when CI=true or LECO_REQUIRE_ALL=1 (a skip must not pass in CI).
"""

import ast
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

NOTIFY_IFACE = 'org.freedesktop.Notifications'
WATCHER = 'org.kde.StatusNotifierWatcher'
WATCHER_PATH = '/StatusNotifierWatcher'

# program -> Debian package, for messages about what is missing
TOOLS = {
    'Xvfb': 'xvfb',
    'xdpyinfo': 'x11-utils',
    'dbus-daemon': 'dbus',
    'dbus-monitor': 'dbus-bin',
    'gdbus': 'libglib2.0-bin',
    'dunst': 'dunst',
    'gtk-sni-tray-standalone': 'haskell-gtk-sni-tray-utils',
    'xdotool': 'xdotool',
    'import': 'imagemagick',
}


class DesktopError(RuntimeError):
    pass


def missing_tools(extra=()):
    """Return 'prog (package)' strings for each tool not in PATH."""
    tools = dict(TOOLS)
    tools.update(dict(extra))
    return ['%s (%s)' % (prog, pkg) for prog, pkg in tools.items()
            if shutil.which(prog) is None]


def require_all():
    return os.environ.get('CI', '').lower() == 'true' or os.environ.get('LECO_REQUIRE_ALL') == '1'


def skip_or_fail(reason):
    """Exit 77 (skip) with reason, or 1 when skips are failures (CI)."""
    if require_all():
        print('FAIL (CI=true or LECO_REQUIRE_ALL=1, a skip is a failure): ' + reason, file=sys.stderr)
        sys.exit(1)
    print('SKIP: ' + reason, file=sys.stderr)
    sys.exit(77)


def wait_for(predicate, timeout, what):
    """Poll predicate() every 0.1 s until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise DesktopError('timed out after %g s waiting for %s' % (timeout, what))
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# dbus-monitor text format
#
# dbus-monitor (tools/dbus-print-message.c) prints one header line at column
# 0 per message, e.g.
#   method call time=1764300000.123456 sender=:1.7 -> destination=org.freedesktop.Notifications
#     serial=7 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify
# (one line), then each argument indented by 3 spaces per depth:
#   string "..."          NOT escaped: may contain quotes and newlines
#   uint32 0 / int32 -1 / byte 1 / boolean true / double 1.5 / ...
#   array [ ... ]         elements one per line, "]" on its own line
#   dict entry( key value )   struct { ... }
#   variant             int32 5    (the value follows on the same line)
#   array of bytes "..." [+ \0]  or  array of bytes [ hex ... ]
# Because strings are printed raw, the end of a string is ambiguous; the
# parser below tries each '"' + newline that is followed by something that
# can follow a value and backtracks if the rest of the message does not parse.
# ---------------------------------------------------------------------------

_HEADER_RE = re.compile(
    r'(method call|method return|signal|error)(?: time=(\d+\.\d+))? sender=(\S*) -> destination=(\S*)'
    r'(?: serial=(\d+))?(?: path=([^;\n]*); interface=([^;\n]*); member=(\S*))?'
    r'(?: error_name=(\S*))?(?: reply_serial=(\d+))?[^\n]*\n', re.M)
_HEADER_START_RE = re.compile(r'(method call|method return|signal|error) (time=|sender=)')
_NUM_RE = re.compile(r'(byte|boolean|int16|uint16|int32|uint32|int64|uint64|double) ([^\s]+)\n')
# what may come after a value: another value, a closer, a new message, or EOF
_FOLLOW_RE = re.compile(
    r'[ \t]*(?:string "|object path "|signature "|byte |boolean |u?int(?:16|32|64) |double '
    r'|variant |array |dict entry\(|struct \{|file descriptor|\]|\)|\})')


class _Parser:
    """Backtracking reader of dbus-monitor's text; a value is read against
    its D-Bus type when known (sig), generically when sig is None."""

    _NUM_KINDS = {'y': 'byte', 'b': 'boolean', 'n': 'int16', 'q': 'uint16', 'i': 'int32',
                  'u': 'uint32', 'x': 'int64', 't': 'uint64', 'd': 'double'}
    _QUOTED = {'s': 'string "', 'o': 'object path "', 'g': 'signature "'}

    def __init__(self, text):
        self.t = text

    def ws(self, i):
        t = self.t
        while i < len(t) and t[i] in ' \t\n,':
            i += 1
        return i

    def follows(self, i):
        """True if text at i (just after a value's newline) can follow a value."""
        if i >= len(self.t):
            return True
        if _HEADER_START_RE.match(self.t, i):
            return True
        return bool(_FOLLOW_RE.match(self.t, i))

    def _quoted(self, i, prefix):
        t = self.t
        start = i + len(prefix)
        j = start
        while True:
            j = t.find('"\n', j)
            if j < 0:
                return
            if self.follows(j + 2):
                yield t[start:j], j + 2
            j += 1

    def value(self, i, sig=None):
        """Yield (value, end) for each way the value at i can be read."""
        t = self.t
        i = self.ws(i)
        if sig is None or sig in self._QUOTED:
            for code, prefix in self._QUOTED.items():
                if (sig is None or sig == code) and t.startswith(prefix, i):
                    yield from self._quoted(i, prefix)
                    return
            if sig is not None:
                return
        if sig is None or sig in self._NUM_KINDS:
            m = _NUM_RE.match(t, i)
            if m:
                kind, raw = m.groups()
                if sig is not None and self._NUM_KINDS[sig] != kind:
                    return
                try:
                    v = raw == 'true' if kind == 'boolean' else float(raw) if kind == 'double' else int(raw)
                except ValueError:
                    return
                yield v, m.end()
                return
            if sig is not None:
                return
        if sig in (None, 'v') and t.startswith('variant ', i):
            yield from self.value(i + len('variant '), None)
            return
        if sig in (None, 'ay'):
            if t.startswith('array of bytes "', i):
                start = i + len('array of bytes "')
                j = start
                while True:
                    j = t.find('"', j)
                    if j < 0:
                        return
                    for tail, nul in (('\n', b''), (' + \\0\n', b'\0')):
                        if t.startswith(tail, j + 1) and self.follows(j + 1 + len(tail)):
                            yield t[start:j].encode('latin-1', 'replace') + nul, j + 1 + len(tail)
                    j += 1
            if t.startswith('array of bytes [', i):
                end = t.find(']\n', i)
                if end < 0:
                    return
                try:
                    yield bytes(int(h, 16) for h in t[i + len('array of bytes ['):end].split()), end + 2
                except ValueError:
                    pass
                return
            if sig == 'ay' and not t.startswith('array [', i):
                return
        if (sig is None or sig[0] == 'a') and t.startswith('array [\n', i):
            elem = sig[1:] if sig else None
            is_dict = elem is not None and elem.startswith('{')
            for items, j in self.seq(i + len('array [\n'), ']', lambda k: elem):
                if is_dict or (items and all(isinstance(x, _Entry) for x in items)):
                    yield {x.key: x.value for x in items}, j
                else:
                    yield items, j
            return
        if (sig is None or sig[0] == '(') and t.startswith('struct {\n', i):
            fields = _split_sig(sig[1:-1]) if sig else None
            for items, j in self.seq(i + len('struct {\n'), '}',
                                     lambda k: None if fields is None else fields[k] if k < len(fields) else False):
                if fields is None or len(items) == len(fields):
                    yield tuple(items), j
            return
        if (sig is None or sig[0] == '{') and t.startswith('dict entry(\n', i):
            kv = _split_sig(sig[1:-1]) if sig else [None, None]
            for items, j in self.seq(i + len('dict entry(\n'), ')', lambda k: kv[k] if k < 2 else False):
                if len(items) == 2:
                    yield _Entry(items[0], items[1]), j
            return
        if sig in (None, 'h') and t.startswith('file descriptor\n', i):
            j = i + len('file descriptor\n')
            while True:
                m = _FD_DETAIL_RE.match(t, j)
                if not m:
                    break
                j = m.end()
            yield None, j

    def seq(self, i, closer, typefn, k=0):
        """Yield (items, end) for values up to and including the closer line.
        typefn(k) gives the type of item k (None: any, False: no more items)."""
        i = self.ws(i)
        if self.t.startswith(closer, i):
            nl = self.t.find('\n', i)
            yield [], (nl + 1 if nl >= 0 else len(self.t))
            return
        sig = typefn(k)
        if sig is False:
            return
        for v, j in self.value(i, sig):
            for rest, end in self.seq(j, closer, typefn, k + 1):
                yield [v] + rest, end

    def args(self, i, types=None, k=0):
        """Yield (args, end) for a message body that ends at a header or EOF."""
        i = self.ws(i)
        if i >= len(self.t) or _HEADER_START_RE.match(self.t, i):
            if types is None or k == len(types):
                yield [], i
            return
        if types is not None and k >= len(types):
            return
        for v, j in self.value(i, None if types is None else types[k]):
            for rest, end in self.args(j, types, k + 1):
                yield [v] + rest, end


class _Entry:
    __slots__ = ('key', 'value')

    def __init__(self, key, value):
        self.key, self.value = key, value


_FD_DETAIL_RE = re.compile(r'[ \t]+(inode|type|address family|name|peer)\b[^\n]*\n')


def _split_sig(sig):
    """'susa{sv}(ii)' -> ['s', 'u', 's', 'a{sv}', '(ii)']"""
    out, i = [], 0
    while i < len(sig):
        j = i
        while sig[j] == 'a':
            j += 1
        if sig[j] in '({':
            depth = 0
            while True:
                depth += {'(': 1, '{': 1, ')': -1, '}': -1}.get(sig[j], 0)
                j += 1
                if depth == 0:
                    break
        else:
            j += 1
        out.append(sig[i:j])
        i = j
    return out


# D-Bus signatures of the messages we care about; a message with a known
# signature is read against it (that resolves what raw strings leave open).
SIGNATURES = {
    (NOTIFY_IFACE, 'Notify'): 'susssasa{sv}i',
    (NOTIFY_IFACE, 'CloseNotification'): 'u',
    (NOTIFY_IFACE, 'GetCapabilities'): '',
    (NOTIFY_IFACE, 'GetServerInformation'): '',
    (NOTIFY_IFACE, 'NotificationClosed'): 'uu',
    (NOTIFY_IFACE, 'ActionInvoked'): 'us',
    (NOTIFY_IFACE, 'ActivationToken'): 'us',
    ('org.freedesktop.DBus', 'NameAcquired'): 's',
    ('org.freedesktop.DBus', 'NameLost'): 's',
}


@dataclass
class Message:
    type: str            # 'method call', 'signal', 'method return', 'error'
    time: float
    sender: str
    destination: str
    serial: int
    path: str
    interface: str
    member: str
    args: list


def parse_monitor_log(text, signatures=None):
    """Parse dbus-monitor text output into Messages. Messages whose
    (interface, member) is in signatures (default SIGNATURES) are read
    against that signature; a trailing message that does not parse yet
    (still being written) is dropped."""
    sigs = SIGNATURES if signatures is None else signatures
    p = _Parser(text)
    out = []
    m = _HEADER_RE.search(text, 0)
    while m:
        sig = sigs.get((m.group(7), m.group(8)))
        found = None
        for attempt in ([_split_sig(sig)] if sig is not None else []) + [None]:
            for args, end in p.args(m.end(), attempt):
                found = args, end
                break
            if found:
                break
        if not found:
            # not parsable (e.g. written half-way); resync on the next header
            m = _HEADER_RE.search(text, m.end())
            continue
        args, end = found
        out.append(Message(type=m.group(1), time=float(m.group(2) or 0), sender=m.group(3),
                           destination=m.group(4), serial=int(m.group(5) or 0),
                           path=m.group(6) or '', interface=m.group(7) or '',
                           member=m.group(8) or '', args=args))
        m = _HEADER_RE.search(text, end)
    return out


@dataclass
class NotifyCall:
    """One org.freedesktop.Notifications.Notify call, (susssasa{sv}i)."""
    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: list        # flat, as on the bus: [key, label, key, label, ...]
    hints: dict          # name -> parsed value (byte/int/str/bool/bytes/tuple)
    expire_timeout: int
    sender: str = ''
    time: float = 0.0
    serial: int = 0

    @property
    def hint_keys(self):
        return sorted(self.hints)

    @property
    def action_pairs(self):
        """[(key, label), ...]"""
        return list(zip(self.actions[0::2], self.actions[1::2]))


def notify_calls_from(messages):
    calls = []
    for n, m in enumerate(messages):
        if m.type != 'method call' or m.interface != NOTIFY_IFACE or m.member != 'Notify':
            continue
        a = m.args
        if len(a) != 8:
            if n == len(messages) - 1:
                continue        # still being written by dbus-monitor
            raise DesktopError('Notify call with %d arguments, expected 8: %r' % (len(a), a))
        hints = a[6] if isinstance(a[6], dict) else {}
        calls.append(NotifyCall(app_name=a[0], replaces_id=a[1], app_icon=a[2], summary=a[3],
                                body=a[4], actions=list(a[5]), hints=hints, expire_timeout=a[7],
                                sender=m.sender, time=m.time, serial=m.serial))
    return calls


# ---------------------------------------------------------------------------

_DUNSTRC = """\
[global]
    monitor = 0
    follow = none
    width = 400
    height = 150
    origin = top-right
    offset = 10x50
    font = Monospace 12
    frame_width = 2
    show_age_threshold = -1
    idle_threshold = 0
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
"""

_BUS_CONF = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
{servicedirs}
  <policy context="default">
{users}
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class Desktop:
    """A private headless desktop; see the module docstring.

    Desktop(extra_data_dirs=(), schema_dir=None, keep=False, size=(1280, 800),
            service_dirs=(), sni_host=True, notification_server=True, verbose=False,
            bus_users=(), dunst_settings=None)

    extra_data_dirs go first in XDG_DATA_DIRS (e.g. the source tree's data/,
    which holds icons/hicolor); schema_dir becomes GSETTINGS_SCHEMA_DIR;
    service_dirs are D-Bus service directories for bus activation (none by
    default). bus_users are further user names allowed on the session bus
    (its socket and the runtime dir are then opened to them: for a program
    under test run as another uid, e.g. with setpriv). dunst_settings are
    extra "key = value" lines for dunst's [global] section (e.g. a dmenu
    command, which is how dunst's context menu invokes actions). start() registers stop() with atexit and, in the main thread
    when SIGTERM has its default action, turns SIGTERM into SystemExit so
    that a test killed by meson's timeout still cleans up.
    """

    DISPLAYS = range(90, 100)

    def __init__(self, extra_data_dirs=(), schema_dir=None, keep=False, size=(1280, 800),
                 service_dirs=(), sni_host=True, notification_server=True, verbose=False,
                 bus_users=(), dunst_settings=None):
        self.extra_data_dirs = [str(d) for d in extra_data_dirs]
        self.schema_dir = str(schema_dir) if schema_dir else None
        self.keep = keep
        self.size = size
        self.service_dirs = [str(d) for d in service_dirs]
        self.want_sni_host = sni_host
        self.want_notifications = notification_server
        self.verbose = verbose
        self.bus_users = [str(u) for u in bus_users]
        self.dunst_settings = dict(dunst_settings or {})
        self.state_dir = None
        self.display = None
        self.env = {}
        self.monitor_log = None
        self._procs = []          # [(name, Popen)] in start order
        self._sni = None
        self._lock = threading.Lock()
        self._started = False

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if self._started:
            raise DesktopError('already started')
        missing = missing_tools()
        if missing:
            raise DesktopError('missing tools: ' + ', '.join(missing))
        self._started = True
        atexit.register(self.stop)
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            # meson kills a test that times out with SIGTERM: clean up on it
            signal.signal(signal.SIGTERM, _sigterm_to_exit)
        try:
            self._start()
        except BaseException:
            self._log('start failed (state dir %s%s)' % (self.state_dir, ' kept' if self.keep else ''))
            self.stop()
            raise
        return self

    def _start(self):
        st = self.state_dir = tempfile.mkdtemp(prefix='leco-desktop-', dir='/tmp')
        os.chmod(st, 0o755)
        runtime = os.path.join(st, 'runtime')
        os.mkdir(runtime, 0o700)
        os.chmod(runtime, 0o700)       # umask-proof
        for d in ('config/dunst', 'cache', 'data', 'home', 'dbus-services'):
            os.makedirs(os.path.join(st, d), exist_ok=True)

        env = {k: v for k, v in os.environ.items()
               if k not in ('WAYLAND_DISPLAY', 'XAUTHORITY', 'SESSION_MANAGER', 'DESKTOP_STARTUP_ID',
                            'XDG_SESSION_ID', 'XDG_SEAT', 'XDG_VTNR', 'DBUS_STARTER_ADDRESS',
                            'DBUS_STARTER_BUS_TYPE', 'GSETTINGS_SCHEMA_DIR', 'GIO_EXTRA_MODULES')}
        data_dirs = self.extra_data_dirs + ['/usr/local/share', '/usr/share']
        env.update({
            'HOME': os.path.join(st, 'home'),
            'XDG_RUNTIME_DIR': runtime,
            'DBUS_SESSION_BUS_ADDRESS': 'unix:path=' + os.path.join(runtime, 'bus'),
            'XDG_CONFIG_HOME': os.path.join(st, 'config'),
            'XDG_CACHE_HOME': os.path.join(st, 'cache'),
            'XDG_DATA_HOME': os.path.join(st, 'data'),
            'XDG_DATA_DIRS': ':'.join(data_dirs),
            'GDK_BACKEND': 'x11',
            'GSK_RENDERER': 'cairo',
            'GTK_A11Y': 'none',
            'NO_AT_BRIDGE': '1',
            'GSETTINGS_BACKEND': 'keyfile',
            'GTK_USE_PORTAL': '0',
        })
        if self.schema_dir:
            env['GSETTINGS_SCHEMA_DIR'] = self.schema_dir
        self.env = env

        self._start_xvfb()
        self._start_bus()
        self._start_monitor()
        if self.want_notifications:
            self._start_dunst()
        if self.want_sni_host:
            self.start_sni_host()
        self._log('desktop up: DISPLAY=%s state=%s' % (self.display, st))

    def stop(self, keep=None):
        """Stop everything started, in reverse order, by PID (process group);
        5 s grace after SIGTERM, then SIGKILL. Remove the state dir unless keep."""
        with self._lock:
            if not self._started:
                return
            self._started = False
        try:
            atexit.unregister(self.stop)
        except Exception:
            pass
        for name, proc in reversed(self._procs):
            _terminate(proc)
        self._procs = []
        self._sni = None
        keep = self.keep if keep is None else keep
        if self.state_dir and os.path.isdir(self.state_dir):
            if keep:
                self._log('state kept in ' + self.state_dir)
            else:
                shutil.rmtree(self.state_dir, ignore_errors=True)

    # -- children ------------------------------------------------------------

    def _log(self, msg):
        if self.verbose:
            print('desktop: ' + msg, file=sys.stderr, flush=True)

    def _logfile(self, name):
        return os.path.join(self.state_dir, re.sub(r'[^A-Za-z0-9_.-]', '_', name) + '.log')

    def spawn(self, argv, name=None, stdout=None, **kw):
        """Start a tracked child (killed by stop()) with self.env; output goes
        to STATE/NAME.log unless stdout is given. Returns the Popen."""
        name = name or os.path.basename(str(argv[0]))
        kw.setdefault('env', self.env)
        kw.setdefault('stdin', subprocess.DEVNULL)
        kw.setdefault('start_new_session', True)
        if stdout is None:
            log = open(self._logfile(name), 'ab')
            kw.setdefault('stderr', subprocess.STDOUT)
            try:
                proc = subprocess.Popen([str(a) for a in argv], stdout=log, **kw)
            finally:
                log.close()
        else:
            proc = subprocess.Popen([str(a) for a in argv], stdout=stdout, **kw)
        proc.leco_name = name
        self._procs.append((name, proc))
        self._log('started %s pid %d' % (name, proc.pid))
        return proc

    def kill(self, proc):
        """Stop one tracked child (SIGTERM, 5 s, SIGKILL) and forget it."""
        _terminate(proc)
        self._procs = [(n, p) for n, p in self._procs if p is not proc]

    def log_text(self, name):
        try:
            with open(self._logfile(name), errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def _tail(self, name, n=15):
        return '\n'.join(self.log_text(name).splitlines()[-n:])

    def run(self, argv, **kw):
        """subprocess.run with self.env, text output captured, check=True and a
        20 s timeout unless overridden."""
        kw.setdefault('env', self.env)
        kw.setdefault('timeout', 20)
        kw.setdefault('check', True)
        if 'stdout' not in kw and 'stderr' not in kw:
            kw.setdefault('capture_output', True)
        kw.setdefault('text', True)
        kw.setdefault('stdin', subprocess.DEVNULL)
        return subprocess.run([str(a) for a in argv], **kw)

    def wait_for(self, predicate, timeout=10, what='condition'):
        return wait_for(predicate, timeout, what)

    def _start_xvfb(self):
        w, h = self.size
        for n in self.DISPLAYS:
            lock = '/tmp/.X%d-lock' % n
            if _lock_alive(lock):
                continue
            if os.path.exists('/tmp/.X11-unix/X%d' % n) and not os.path.exists(lock):
                continue        # a server without a lock file; a stale lock is Xvfb's to clear
            name = 'Xvfb-%d' % n
            proc = self.spawn(['Xvfb', ':%d' % n, '-screen', '0', '%dx%dx24' % (w, h),
                               '-nolisten', 'tcp', '-noreset'], name=name)
            env = dict(self.env, DISPLAY=':%d' % n)

            def up():
                if proc.poll() is not None:
                    return 'exited'
                r = subprocess.run(['xdpyinfo'], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=10)
                if r.returncode != 0:
                    return None
                # answered, but by ours? (another run may have won this number)
                owner = _lock_pid('/tmp/.X%d-lock' % n)
                return 'up' if owner == proc.pid else 'other' if owner and owner != proc.pid else None
            try:
                state = wait_for(up, 10, 'Xvfb :%d' % n)
            except DesktopError:
                self.kill(proc)
                raise DesktopError('Xvfb :%d did not come up:\n%s' % (n, self._tail(name)))
            if state == 'up':
                self.display = ':%d' % n
                self.env['DISPLAY'] = self.display
                return
            # lost a race for this display number: try the next
            self.kill(proc)
        raise DesktopError('no free X display in :%d..:%d' % (self.DISPLAYS[0], self.DISPLAYS[-1]))

    def _start_bus(self):
        conf = os.path.join(self.state_dir, 'session-bus.conf')
        dirs = [os.path.join(self.state_dir, 'dbus-services')] + self.service_dirs
        with open(conf, 'w') as f:
            f.write(_BUS_CONF.format(
                socket=_xml_escape(os.path.join(self.env['XDG_RUNTIME_DIR'], 'bus')),
                servicedirs='\n'.join('  <servicedir>%s</servicedir>' % _xml_escape(d) for d in dirs),
                users='\n'.join('    <allow user="%s"/>' % _xml_escape(u) for u in self.bus_users)))
        # --nofork: the Popen pid is the daemon's pid
        self.spawn(['dbus-daemon', '--config-file=' + conf, '--nofork', '--nopidfile'], name='dbus-daemon')
        wait_for(lambda: os.path.exists(os.path.join(self.env['XDG_RUNTIME_DIR'], 'bus'))
                 and self.has_name('org.freedesktop.DBus'), 10, 'session bus')
        if self.bus_users:
            # the bus lets them in (<allow user>); the file system must too
            os.chmod(self.env['XDG_RUNTIME_DIR'], 0o711)
            os.chmod(os.path.join(self.env['XDG_RUNTIME_DIR'], 'bus'), 0o666)

    def _start_monitor(self):
        self.monitor_log = os.path.join(self.state_dir, 'notify-monitor.log')
        out = open(self.monitor_log, 'ab')
        try:
            self.spawn(['dbus-monitor', '--session',
                        "type='method_call',interface='%s'" % NOTIFY_IFACE,
                        "type='signal',interface='%s'" % NOTIFY_IFACE],
                       name='dbus-monitor', stdout=out,
                       stderr=open(self._logfile('dbus-monitor'), 'ab'))
        finally:
            out.close()
        # dbus-monitor prints NameAcquired/NameLost for itself once it is a monitor
        wait_for(lambda: 'member=NameLost' in _read(self.monitor_log), 10, 'dbus-monitor to attach')

    def _start_dunst(self):
        rc = os.path.join(self.env['XDG_CONFIG_HOME'], 'dunst', 'dunstrc')
        text = _DUNSTRC
        if self.dunst_settings:
            extra = ''.join('    %s = %s\n' % kv for kv in self.dunst_settings.items())
            text = text.replace('[urgency_low]\n', extra + '[urgency_low]\n', 1)
        with open(rc, 'w') as f:
            f.write(text)
        proc = self.spawn(['dunst', '-config', rc], name='dunst')
        try:
            wait_for(lambda: proc.poll() is not None or self.has_name(NOTIFY_IFACE), 10,
                     'dunst on ' + NOTIFY_IFACE)
        except DesktopError as e:
            raise DesktopError('%s\n%s' % (e, self._tail('dunst')))
        if proc.poll() is not None:
            raise DesktopError('dunst exited with %s:\n%s' % (proc.returncode, self._tail('dunst')))

    def start_sni_host(self, attempts=3):
        """Start the StatusNotifierItem host (it also owns the watcher) and
        wait for org.kde.StatusNotifierWatcher. gtk-sni-tray-standalone
        sometimes exits at once under load (it calls its own watcher before
        the name is acquired: ServiceUnknown); that is retried."""
        if self._sni is not None and self._sni.poll() is None:
            raise DesktopError('SNI host already running')
        argv = ['gtk-sni-tray-standalone', '--bottom', '--watcher', '-s', '40', '-c', '#404040']
        for attempt in range(1, attempts + 1):
            proc = self._sni = self.spawn(argv, name='sni-host')
            try:
                wait_for(lambda: proc.poll() is not None or self.has_name(WATCHER), 20, WATCHER)
            except DesktopError as e:
                raise DesktopError('%s\n%s' % (e, self._tail('sni-host')))
            if proc.poll() is None:
                return
            self.kill(proc)
            self._sni = None
            self._log('SNI host exited with %s (attempt %d)' % (proc.returncode, attempt))
        raise DesktopError('SNI host exited with %s:\n%s' % (proc.returncode, self._tail('sni-host')))

    def stop_sni_host(self):
        """Stop the StatusNotifierItem host and wait until the watcher is gone."""
        if self._sni is None:
            return
        self.kill(self._sni)
        self._sni = None
        wait_for(lambda: not self.has_name(WATCHER), 10, WATCHER + ' to vanish')

    # -- session bus queries ---------------------------------------------------

    def gdbus_call(self, dest, path, method, *args, timeout=10):
        """gdbus call on the session bus; returns its text output (GVariant text)."""
        r = self.run(['gdbus', 'call', '--session', '--dest', dest, '--object-path', path,
                      '--method', method, '--timeout', str(timeout)] + [str(a) for a in args],
                     timeout=timeout + 5)
        return r.stdout.strip()

    def has_name(self, name):
        """Whether name has an owner on the session bus."""
        try:
            out = self.gdbus_call('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                  'org.freedesktop.DBus.NameHasOwner', name, timeout=5)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return False
        return out == '(true,)'

    def get_property(self, dest, path, iface, prop):
        return self.gdbus_call(dest, path, 'org.freedesktop.DBus.Properties.Get', iface, prop)

    def registered_items(self):
        """The watcher's RegisteredStatusNotifierItems (list of str)."""
        out = self.get_property(WATCHER, WATCHER_PATH, WATCHER, 'RegisteredStatusNotifierItems')
        return parse_gvariant_strv(out)

    # -- notifications -----------------------------------------------------

    def monitor_messages(self):
        return parse_monitor_log(_read(self.monitor_log)) if self.monitor_log else []

    def notify_calls(self):
        """Every org.freedesktop.Notifications.Notify call seen so far."""
        return notify_calls_from(self.monitor_messages())

    def wait_notify_calls(self, count, timeout=10):
        """Wait until at least count Notify calls were seen; return them all."""
        return wait_for(lambda: (lambda c: c if len(c) >= count else None)(self.notify_calls()),
                        timeout, '%d Notify call(s)' % count)

    # -- X ---------------------------------------------------------------------

    def screenshot(self, path):
        """Save the whole screen as PNG (ImageMagick import)."""
        path = str(path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.run(['import', '-window', 'root', path])
        return path

    def click(self, x, y, button=1):
        """Move the pointer to (x, y) on the root window and click (XTEST)."""
        self.run(['xdotool', 'mousemove', str(int(x)), str(int(y)), 'click', str(int(button))])

    def find_windows(self, name_regex):
        """Visible X windows whose name matches (xdotool search); list of ids."""
        r = self.run(['xdotool', 'search', '--onlyvisible', '--name', name_regex], check=False)
        return [int(w) for w in r.stdout.split()]


def parse_gvariant_strv(text):
    """Parse gdbus output for an 'as' value, e.g. (<['a', 'b']>,) or (<@as []>,)."""
    s = text.strip()
    m = re.fullmatch(r'\(\s*<?\s*(?:@as\s*)?(\[.*\])\s*>?\s*,?\s*\)', s, re.S)
    if not m:
        raise DesktopError('unexpected gdbus output for a string array: %r' % text)
    v = ast.literal_eval(m.group(1))
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise DesktopError('not a string array: %r' % text)
    return v


def _sigterm_to_exit(signum, frame):
    raise SystemExit(128 + signum)


def _read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def _xml_escape(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def _lock_pid(lockfile):
    try:
        with open(lockfile) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _lock_alive(lockfile):
    pid = _lock_pid(lockfile)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(proc, grace=5.0):
    """SIGTERM the child's process group (it leads one), wait up to grace, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)
    # stragglers left in the group (the leader is gone, its pid is the pgid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ---------------------------------------------------------------------------
# self-test

def _selftest():
    missing = missing_tools({'notify-send': 'libnotify-bin'})
    if missing:
        skip_or_fail('missing: ' + ', '.join(missing))
    artifacts = os.environ.get('LECO_GUI_ARTIFACTS') or tempfile.mkdtemp(prefix='leco-gui-artifacts-')
    schema_dir = os.environ.get('LECO_APPLET_SCHEMA_DIR')
    data_dir = os.environ.get('LECO_APPLET_DATADIR')
    d = Desktop(extra_data_dirs=[data_dir] if data_dir else [], schema_dir=schema_dir,
                verbose=True, keep=os.environ.get('LECO_KEEP_DESKTOP') == '1')
    ok = False
    try:
        d.start()
        state = d.state_dir
        for var in ('DISPLAY', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_CONFIG_HOME',
                    'XDG_CACHE_HOME', 'XDG_DATA_DIRS', 'GDK_BACKEND', 'GSK_RENDERER', 'GTK_A11Y',
                    'NO_AT_BRIDGE', 'GSETTINGS_BACKEND'):
            assert var in d.env, var
        assert os.stat(d.env['XDG_RUNTIME_DIR']).st_mode & 0o777 == 0o700
        assert d.has_name(NOTIFY_IFACE) and d.has_name(WATCHER)
        assert not d.has_name('org.leco.Overseer.Applet')

        # 1. the brief's case
        d.run(['notify-send', 'Hello', 'World'])
        calls = d.wait_notify_calls(1)
        assert len(calls) == 1, calls
        c = calls[0]
        assert (c.summary, c.body, c.app_name) == ('Hello', 'World', 'notify-send'), c
        assert c.replaces_id == 0 and c.actions == [] and 'urgency' in c.hints, c
        print('notify-send parsed:', c)

        # 2. the parser against what dbus-monitor prints raw: quotes, newlines,
        #    a body line that looks like an argument, actions, typed hints
        body = 'line one "quoted"\n   string "not an argument"\nend'
        d.gdbus_call(NOTIFY_IFACE, '/org/freedesktop/Notifications', NOTIFY_IFACE + '.Notify',
                     'leco-selftest', '7', 'org.leco.Overseer-attention', 'Blocked: "curl"', body,
                     "['default', 'Open', 'mute', 'Mute \"curl\"']",
                     "{'urgency': <byte 2>, 'desktop-entry': <'org.leco.Overseer.Applet'>, "
                     "'x-leco-count': <uint32 3>, 'transient': <true>, 'x-leco-bytes': <[byte 1, 0xff]>, "
                     "'image-data': <(2, 1, 8, true, 8, 4, [byte 255, 0, 0, 255, 0, 0, 255, 128])>}",
                     '0')
        calls = d.wait_notify_calls(2)
        c = calls[1]
        assert c.app_name == 'leco-selftest' and c.replaces_id == 7, c
        assert c.app_icon == 'org.leco.Overseer-attention', c
        assert c.summary == 'Blocked: "curl"', c
        assert c.body == body, repr(c.body)
        assert c.actions == ['default', 'Open', 'mute', 'Mute "curl"'], c.actions
        assert c.action_pairs == [('default', 'Open'), ('mute', 'Mute "curl"')]
        assert c.hints == {'urgency': 2, 'desktop-entry': 'org.leco.Overseer.Applet',
                           'x-leco-count': 3, 'transient': True, 'x-leco-bytes': b'\x01\xff',
                           'image-data': (2, 1, 8, True, 8, 4, b'\xff\0\0\xff\0\0\xff\x80')}, c.hints
        assert c.hint_keys == ['desktop-entry', 'image-data', 'transient', 'urgency', 'x-leco-bytes',
                               'x-leco-count']
        assert c.expire_timeout == 0
        print('tricky Notify parsed:', c)

        # 3. tray host: nothing registered yet; re-registration cycle
        assert d.registered_items() == [], d.registered_items()
        d.stop_sni_host()
        assert not d.has_name(WATCHER)
        d.start_sni_host()
        assert d.has_name(WATCHER) and d.registered_items() == []

        # 4. settings persist in the state dir (GSETTINGS_BACKEND=keyfile)
        if schema_dir:
            d.run(['gsettings', 'set', 'org.leco.Overseer.Applet', 'muted-apps', "['cups-browsed.service']"])
            out = d.run(['gsettings', 'get', 'org.leco.Overseer.Applet', 'muted-apps']).stdout.strip()
            assert out == "['cups-browsed.service']", out
            keyfile = os.path.join(d.env['XDG_CONFIG_HOME'], 'glib-2.0', 'settings', 'keyfile')
            text = _read(keyfile)
            assert '[org/leco/Overseer/Applet]' in text and 'cups-browsed.service' in text, text
            print('settings persisted in', keyfile)
        if data_dir:
            icon = os.path.join(data_dir, 'icons', 'hicolor', 'scalable', 'apps', 'org.leco.Overseer.svg')
            assert os.path.exists(icon), icon
            assert d.env['XDG_DATA_DIRS'].split(':')[0] == data_dir

        # 5. input and screenshot
        d.click(640, 400)
        time.sleep(0.5)
        shot = d.screenshot(os.path.join(artifacts, 'desktop-fixture.png'))
        with open(shot, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n', 'not a PNG'
        print('screenshot:', shot)
        pids = [p.pid for _, p in d._procs]
        ok = True
    finally:
        d.stop(keep=None if ok else True)
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError('pid %d survived stop()' % pid)
    assert d.keep or not os.path.exists(state), 'state dir not removed'
    print('desktop fixture self-test: OK')


if __name__ == '__main__':
    _selftest()
