#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
The install suite: `meson install --destdir` of the build into a temporary
directory, then the installed tree as a distribution would ship it.

Each case installs afresh (meson install -C BUILD --destdir D --no-rebuild
--quiet, about half a second) and removes its tree at the end
(LECO_KEEP_DESTDIR=1 keeps it and prints where):

  tree        every expected file at its prefix-aware path (the paths come
              from meson: --expect KEY=PATH), binaries executable, the unit's
              Exec lines, User= and Group= pointing at what was installed
  unit        systemd-analyze verify --man=no on the installed unit with its
              Exec paths moved into the destdir: rc 0 and nothing on stderr;
              systemd-analyze security --offline=yes: the exposure score
              (printed) at most LECO_MAX_EXPOSURE (default 1.0); the
              hardening settings the security model relies on are present
  activation  the D-Bus activation file's keys, and a private system-type
              dbus-daemon with the installed system-services dir lists
              org.leco.Overseer as activatable (it parsed the file)
  sysusers    systemd-sysusers --dry-run, then a real run, with the installed
              file against a copy of /etc/passwd and /etc/group without our
              names: the daemon user with the pin group as primary group and
              the monitor group are created; a second run changes nothing
  xml         xmllint --noout --nonet on the installed API XML, bus policy,
              GSettings schema, AppStream metainfo and icons
  desktop     desktop-file-validate on the installed desktop and autostart
              entries: rc 0, no output
  appstream   appstreamcli validate --no-net --strict --pedantic: no errors,
              warnings or infos
  schema      glib-compile-schemas --strict --dry-run on the installed
              schema dir: rc 0, no output
  man         man --warnings on every installed page: no warnings; every
              option of the installed binaries' --help is documented in its
              page, and every exit status of leco-ebpf-load
  loader      the INSTALLED leco-ebpf-load --version and --check (root, BTF)
  daemon      the INSTALLED loader and daemon: load into
              /sys/fs/bpf/leco-test-install-PID, start a private system-type
              dbus-daemon that includes the INSTALLED bus policy, run the
              INSTALLED leco-dbusd as the configured daemon user (meson option
              daemon_user) and its group, call ListTraffic and read
              KernelHooks as root, as a member of the monitor group (allowed)
              and as a non-member (refused).  Root, BTF.

How the daemon case gets a daemon user without changing the host: the
installed policy names the meson option's user (leco by default), which the
host may not have.  The case runs in a private mount namespace (unshare
--mount) in which /etc/passwd and /etc/group are bind-mounted copies to which
systemd-sysusers, with the INSTALLED sysusers file, added whatever was
missing.  dbus-daemon, setpriv and the loader resolve the names there; the
host's files are never written, and the namespace and its mounts go away with
the process.  (A host that already has the users uses them as they are.)

Usage: install-test.py CASE --build DIR --meson PROG [--expect KEY=PATH]...
       [--option NAME=VALUE]... [--source-man FILE]...
Exit 0 pass, 1 fail, 77 skip (a missing tool, not root, no BTF); with
CI=true or LECO_REQUIRE_ALL=1 a skip is a failure.
"""
import argparse
import configparser
import grp
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PACKAGES = {
    'systemd-analyze': 'systemd', 'systemd-sysusers': 'systemd', 'busctl': 'systemd',
    'xmllint': 'libxml2-utils', 'desktop-file-validate': 'desktop-file-utils',
    'appstreamcli': 'appstream', 'glib-compile-schemas': 'libglib2.0-bin',
    'man': 'man-db groff-base', 'dbus-daemon': 'dbus-daemon', 'setpriv': 'util-linux',
    'unshare': 'util-linux', 'mount': 'mount',
}
BUS_NAME, OBJ, IFACE = 'org.leco.Overseer', '/org/leco/Overseer', 'org.leco.Overseer1'
# What the security model (design.md section 5) relies on: each line must be
# in the installed unit as written here.
UNIT_REQUIRED = [
    'Type=notify', 'BusName=org.leco.Overseer', 'Restart=on-failure',
    'NoNewPrivileges=yes', 'CapabilityBoundingSet=', 'AmbientCapabilities=',
    'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'PrivateDevices=yes',
    'IPAddressDeny=any', 'RestrictAddressFamilies=AF_UNIX', 'SystemCallFilter=@system-service',
    'SystemCallFilter=bpf', 'SystemCallArchitectures=native', 'MemoryDenyWriteExecute=yes',
    'LockPersonality=yes', 'RestrictNamespaces=yes', 'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes', 'ProtectKernelTunables=yes', 'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes', 'ProtectControlGroups=yes', 'ProtectClock=yes',
    'ProtectHostname=yes', 'RemoveIPC=yes', 'UMask=0077', 'ReadWritePaths=-/sys/fs/bpf/leco',
    'WantedBy=multi-user.target',
]
# PrivateNetwork=: the fallback socket walks (iter/tcp, iter/udp) see the
# reader's network namespace, which must be the host's
UNIT_FORBIDDEN = ['ProtectProc=', '--fdstore', 'NotifyAccess=all', 'PrivateNetwork=']


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def tool(name):
    path = shutil.which(name) or next((p for p in ('/usr/sbin/' + name, '/sbin/' + name)
                                       if os.access(p, os.X_OK)), None)
    if not path:
        raise Skip('%s not found (apt-get install %s)' % (name, PACKAGES.get(name, name)))
    return path


def run(argv, check_rc=True, timeout=60, **kw):
    log('$ ' + ' '.join(argv))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kw)
    for name, text in (('stdout', r.stdout), ('stderr', r.stderr)):
        if text.strip():
            log('  [%s] %s' % (name, text.rstrip().replace('\n', '\n  [%s] ' % name)))
    if check_rc and r.returncode != 0:
        raise Fail('%s: exit status %d' % (os.path.basename(argv[0]), r.returncode))
    return r


def need_root_btf():
    if os.geteuid() != 0:
        raise Skip('needs root')
    if not os.access('/sys/kernel/btf/vmlinux', os.R_OK):
        raise Skip('needs kernel BTF (/sys/kernel/btf/vmlinux)')


class Tree:
    """One meson install into a fresh temporary destdir."""

    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix='leco-install-')
        os.chmod(self.dir, 0o755)   # the daemon user must reach the binaries
        run([args.meson, 'install', '-C', args.build, '--destdir', self.dir, '--no-rebuild', '--quiet'],
            env=dict(os.environ, DESTDIR=''))

    def path(self, key):
        return self.dir + self.args.expect[key]

    def close(self):
        if os.environ.get('LECO_KEEP_DESTDIR') == '1':
            log('destdir kept: ' + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def read_unit(path):
    lines = []
    for ln in open(path, encoding='utf-8'):
        ln = ln.strip()
        if ln and not ln.startswith(('#', ';')):
            lines.append(ln)
    return lines


# ---------------------------------------------------------------- cases --

def case_tree(t, args):
    missing = [k for k in args.expect if not os.path.isfile(t.path(k))]
    for k in sorted(args.expect):
        log('%-9s %s %s' % ('ok' if k not in missing else 'MISSING', k, args.expect[k]))
    check(not missing, 'not installed: ' + ', '.join('%s (%s)' % (k, args.expect[k]) for k in missing))
    for k in ('loader', 'daemon', 'applet'):
        mode = os.stat(t.path(k)).st_mode & 0o7777
        check(mode == 0o755, '%s: mode %o, expected 755' % (args.expect[k], mode))
    installed = set()
    for root, _, files in os.walk(t.dir):
        installed.update(os.path.join(root, f)[len(t.dir):] for f in files)
    extra = sorted(installed - set(args.expect.values()))
    if extra:
        log('also installed (not checked here): ' + ', '.join(extra))
    unit = read_unit(t.path('unit'))
    want = ['ExecStartPre=+%s --pin /sys/fs/bpf/leco --group %s' % (args.expect['loader'], args.option['pin_group']),
            'ExecStart=%s --pin-path /sys/fs/bpf/leco' % args.expect['daemon'],
            'User=' + args.option['daemon_user'], 'Group=' + args.option['pin_group']]
    for w in want:
        check(w in unit, 'the installed unit lacks "%s"' % w)
    log('the unit runs the installed binaries as %s:%s' % (args.option['daemon_user'], args.option['pin_group']))


def verify_copy(t, tmp):
    """The installed unit with its Exec paths moved into the destdir, so that
    systemd-analyze finds the installed binaries."""
    text = open(t.path('unit'), encoding='utf-8').read()
    for k in ('loader', 'daemon'):
        text = re.sub(r'(?m)^(Exec\w*=[-+@:!]*)' + re.escape(t.args.expect[k]), r'\g<1>' + t.path(k), text)
    path = os.path.join(tmp, os.path.basename(t.path('unit')))
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


def case_unit(t, args):
    sa = tool('systemd-analyze')
    lines = read_unit(t.path('unit'))
    missing = [w for w in UNIT_REQUIRED if w not in lines]
    check(not missing, 'hardening missing from the installed unit: ' + ', '.join(missing))
    bad = [f for f in UNIT_FORBIDDEN if any(f in ln for ln in lines)]
    check(not bad, 'the installed unit must not use: ' + ', '.join(bad))
    with tempfile.TemporaryDirectory(prefix='leco-unit-') as tmp:
        unit = verify_copy(t, tmp)
        r = run([sa, 'verify', '--man=no', unit], check_rc=False)
        check(r.returncode == 0, 'systemd-analyze verify: exit status %d' % r.returncode)
        check(not r.stderr.strip(), 'systemd-analyze verify wrote to stderr (an unknown key or a bad value?)')
        log('systemd-analyze verify: clean')
        r = run([sa, 'security', '--offline=yes', '--no-pager', unit], check_rc=False)
        m = re.search(r'Overall exposure level for \S+: (\d+\.\d+) (\w+)', r.stdout)
        check(m, 'systemd-analyze security printed no exposure level')
        score, word = float(m.group(1)), m.group(2)
        limit = float(os.environ.get('LECO_MAX_EXPOSURE', '1.0'))
        log('exposure: %.1f %s (limit %.1f)' % (score, word, limit))
        check(score <= limit, 'exposure %.1f is above %.1f' % (score, limit))


def start_bus(conf_text, tmp):
    conf = os.path.join(tmp, 'bus.conf')
    with open(conf, 'w', encoding='utf-8') as f:
        f.write(conf_text)
    bus = subprocess.Popen([tool('dbus-daemon'), '--config-file=' + conf, '--nofork', '--print-address=1'],
                           stdout=subprocess.PIPE, text=True)
    address = bus.stdout.readline().strip()
    if not address:
        bus.kill()
        raise Fail('dbus-daemon did not start (see its messages above)')
    log('private bus ' + address + ' (pid %d)' % bus.pid)
    return bus, address


def stop(proc, name):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log('stopped %s (pid %d)' % (name, proc.pid))


BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  {servicedir}
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
  {include}
</busconfig>
"""


def case_activation(t, args):
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str
    cp.read(t.path('activation'), encoding='utf-8')
    check(cp.sections() == ['D-BUS Service'], 'activation file: sections %s' % cp.sections())
    got = dict(cp['D-BUS Service'])
    want = {'Name': BUS_NAME, 'Exec': '/bin/false', 'User': args.option['daemon_user'],
            'SystemdService': 'leco-dbusd.service'}
    check(got == want, 'activation file: %s, expected %s' % (got, want))
    check(os.path.basename(t.path('activation')) == BUS_NAME + '.service',
          'activation file must be named after the bus name')
    busctl = tool('busctl')
    with tempfile.TemporaryDirectory(prefix='leco-act-') as tmp:
        bus, address = start_bus(BUS_CONF.format(
            socket=os.path.join(tmp, 'bus'), include='',
            servicedir='<servicedir>%s</servicedir>' % os.path.dirname(t.path('activation'))), tmp)
        try:
            r = run([busctl, '--address=' + address, 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                     'org.freedesktop.DBus', 'ListActivatableNames'])
            check('"%s"' % BUS_NAME in r.stdout, 'the bus does not list %s as activatable' % BUS_NAME)
            log('%s is activatable through the installed file' % BUS_NAME)
        finally:
            stop(bus, 'dbus-daemon')


def etc_copy(tmp, drop=()):
    """A root dir with copies of /etc/passwd, group (less the names in drop),
    empty shadow files: what systemd-sysusers --root= needs."""
    root = os.path.join(tmp, 'root')
    os.makedirs(os.path.join(root, 'etc'))
    for name in ('passwd', 'group'):
        with open('/etc/' + name, encoding='utf-8') as src, \
                open(os.path.join(root, 'etc', name), 'w', encoding='utf-8') as dst:
            for ln in src:
                if ln.split(':', 1)[0] not in drop:
                    dst.write(ln)
        os.chmod(os.path.join(root, 'etc', name), 0o644)
    for name in ('shadow', 'gshadow'):
        fd = os.open(os.path.join(root, 'etc', name), os.O_CREAT | os.O_WRONLY, 0o600)
        if os.path.exists('/etc/' + name) and os.access('/etc/' + name, os.R_OK):
            with open('/etc/' + name, encoding='utf-8') as src:
                os.write(fd, ''.join(ln for ln in src if ln.split(':', 1)[0] not in drop).encode())
        os.close(fd)
    return root


def entries(path):
    return {ln.split(':')[0]: ln.rstrip('\n').split(':') for ln in open(path, encoding='utf-8') if ':' in ln}


def case_sysusers(t, args):
    sysusers = tool('systemd-sysusers')
    user, pin, mon = args.option['daemon_user'], args.option['pin_group'], args.option['monitor_group']
    conf = t.path('sysusers')
    with tempfile.TemporaryDirectory(prefix='leco-sysusers-') as tmp:
        root = etc_copy(tmp, drop={user, pin, mon})
        r = run([sysusers, '--dry-run', '--root=' + root, conf])
        out = r.stdout + r.stderr
        for what in ("group '%s'" % pin, "group '%s'" % mon, "user '%s'" % user):
            check(('Creating ' + what) in out, '--dry-run would not create %s' % what)
        check(entries(os.path.join(root, 'etc', 'passwd')).get(user) is None, '--dry-run wrote to the copy')
        run([sysusers, '--root=' + root, conf])
        pw = entries(os.path.join(root, 'etc', 'passwd'))
        gr = entries(os.path.join(root, 'etc', 'group'))
        check(user in pw and pin in gr and mon in gr, 'not created: %s' %
              [n for n, ok in ((user, user in pw), (pin, pin in gr), (mon, mon in gr)) if not ok])
        check(pw[user][3] == gr[pin][2], 'the primary group of %s is gid %s, not %s (%s)'
              % (user, pw[user][3], pin, gr[pin][2]))
        check(int(pw[user][2]) < 1000 and int(gr[mon][2]) < 1000, 'not system ids: %s %s' % (pw[user], gr[mon]))
        check(pw[user][6].endswith('nologin'), 'shell of %s: %s' % (user, pw[user][6]))
        log('created: %s' % ':'.join(pw[user]))
        log('created: %s, %s' % (':'.join(gr[pin]), ':'.join(gr[mon])))
        r = run([sysusers, '--root=' + root, conf])
        check('Creating' not in r.stdout + r.stderr, 'a second run created something again')


def case_xml(t, args):
    xmllint = tool('xmllint')
    keys = ['interface', 'policy', 'schema', 'metainfo'] + sorted(k for k in args.expect if k.startswith('icon-'))
    for k in keys:
        r = run([xmllint, '--noout', '--nonet', t.path(k)], check_rc=False)
        check(r.returncode == 0 and not (r.stdout + r.stderr).strip(), 'xmllint: %s' % args.expect[k])
    log('%d XML files well-formed' % len(keys))


def case_desktop(t, args):
    dfv = tool('desktop-file-validate')
    for k in ('desktop', 'autostart'):
        r = run([dfv, t.path(k)], check_rc=False)
        check(r.returncode == 0 and not (r.stdout + r.stderr).strip(), 'desktop-file-validate: %s' % args.expect[k])


def case_appstream(t, args):
    asc = tool('appstreamcli')
    r = run([asc, 'validate', '--no-net', '--explain', '--strict', '--pedantic', t.path('metainfo')], check_rc=False)
    issues = [ln for ln in r.stdout.splitlines() if re.match(r'^[EWI]: ', ln)]
    check(r.returncode == 0 and not issues, 'appstreamcli: exit status %d, %d issue(s)' % (r.returncode, len(issues)))


def case_schema(t, args):
    gcs = tool('glib-compile-schemas')
    r = run([gcs, '--strict', '--dry-run', os.path.dirname(t.path('schema'))], check_rc=False)
    check(r.returncode == 0 and not (r.stdout + r.stderr).strip(), 'glib-compile-schemas --strict --dry-run')


def man_text(man, page):
    env = dict(os.environ, LC_ALL='C.UTF-8', MANROFFSEQ='', MANWIDTH='80')
    r = run([man, '--warnings', '-E', 'UTF-8', '-l', page], check_rc=False, env=env)
    check(r.returncode == 0, 'man %s: exit status %d' % (page, r.returncode))
    check(not r.stderr.strip(), 'man --warnings: %s' % page)
    return r.stdout


def help_options(binary):
    r = run([binary, '--help'], check_rc=False)
    check(r.returncode == 0, '%s --help: exit status %d' % (binary, r.returncode))
    return r.stdout, sorted(set(re.findall(r'(--[a-z][a-z-]*)', r.stdout)))


def case_man(t, args):
    man = tool('man')
    if args.installed_man:
        pages = [t.path(k) for k in sorted(args.expect) if k.startswith('man-')]
    else:
        log('NOTE: the man pages are not installed by this build (no subdir(\'docs/man\') in the '
            'top-level meson.build); checking the sources')
        pages = args.source_man
    check(pages, 'no man pages')
    texts = {}
    for page in pages:
        name, sect = os.path.basename(page).rsplit('.', 1)
        if args.installed_man:
            check(os.path.basename(os.path.dirname(page)) == 'man' + sect, '%s: not in man%s' % (page, sect))
        head = open(page, encoding='utf-8').read()
        m = re.search(r'^\.TH\s+(\S+)\s+(\S+)', head, re.M)
        check(m and m.group(2) == sect and m.group(1).replace('\\-', '-').lower() == name,
              '%s: .TH does not say %s(%s)' % (page, name, sect))
        texts[name] = man_text(man, page)
        log('%s(%s): no warnings' % (name, sect))
    # every option of the installed binaries is documented in its page
    for name, key in (('leco-ebpf-load', 'loader'), ('leco-dbusd', 'daemon'), ('leco-applet', 'applet')):
        if name not in texts:
            continue
        if key == 'applet':
            opts = ['--show', '--quit', '--bus']   # its --help needs a display for GTK's part
        else:
            helptext, opts = help_options(t.path(key))
        undocumented = [o for o in opts if o not in texts[name]]
        check(not undocumented, '%s(8): options not documented: %s' % (name, ', '.join(undocumented)))
        log('%s: %d options, all documented' % (name, len(opts)))
        if key == 'loader':
            status = helptext[helptext.index('Exit status:'):]
            codes = sorted(set(int(c) for c in re.findall(r'(?m)(?:^|[ ,:])(\d+) ', status)))
            section = texts[name][texts[name].index('EXIT STATUS'):]
            nodoc = [c for c in codes if not re.search(r'(?m)^\s+%d\s*$|^\s+%d\s{2,}' % (c, c), section)]
            check(codes == list(range(11)), 'leco-ebpf-load --help lists exit codes %s' % codes)
            check(not nodoc, 'leco-ebpf-load(8): exit status not documented: %s' % nodoc)
            log('leco-ebpf-load: exit codes 0..10 documented')


def case_loader(t, args):
    need_root_btf()
    loader = t.path('loader')
    r = run([loader, '--version'])
    check(r.stdout.startswith('leco-ebpf-load '), 'unexpected --version output')
    r = run([loader, '--check'])
    check(re.search(r'(?m)^.*\btcp_state\b.*\sok \(required\)$', r.stdout), '--check: tcp_state not ok')
    check(re.search(r'(?m)^.*\bkfree_skb\b.*\sok \(required\)$', r.stdout), '--check: kfree_skb not ok')


def case_daemon(t, args):
    need_root_btf()
    for name in ('unshare', 'mount', 'setpriv', 'systemd-sysusers', 'dbus-daemon', 'busctl'):
        tool(name)
    with tempfile.TemporaryDirectory(prefix='leco-daemon-') as tmp:
        os.chmod(tmp, 0o755)
        root = etc_copy(tmp)
        r = run([tool('systemd-sysusers'), '--root=' + root, t.path('sysusers')])
        made = r.stdout + r.stderr
        log('daemon user: ' + ('created by systemd-sysusers from the installed file, in a private copy of '
                               '/etc/passwd and /etc/group' if 'Creating' in made else 'the host\'s own'))
        env = dict(os.environ, LECO_INSTALL_ROOT=root, LECO_INSTALL_TMP=tmp)
        for k in ('JOURNAL_STREAM', 'NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES',
                  'DBUS_SYSTEM_BUS_ADDRESS', 'G_MESSAGES_DEBUG'):
            env.pop(k, None)
        argv = [tool('unshare'), '--mount', '--propagation', 'private', '--', sys.executable,
                os.path.abspath(__file__), 'daemon-ns', '--destdir', t.dir] + sys.argv[2:]
        log('$ ' + ' '.join(argv))
        rc = subprocess.run(argv, env=env, timeout=120).returncode
        check(rc == 0, 'the daemon case failed in its mount namespace (exit status %d)' % rc)


def wait_for_name(busctl, address, proc, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check(proc.poll() is None, 'leco-dbusd exited with status %s' % proc.returncode)
        r = subprocess.run([busctl, '--address=' + address, 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                            'org.freedesktop.DBus', 'NameHasOwner', 's', BUS_NAME],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.stdout.strip() == 'b true':
            return
        time.sleep(0.1)
    raise Fail('leco-dbusd did not own %s within %d s' % (BUS_NAME, seconds))


def case_daemon_ns(t, args):
    """Inside the private mount namespace (see case_daemon)."""
    root, tmp = os.environ['LECO_INSTALL_ROOT'], os.environ['LECO_INSTALL_TMP']
    mount, setpriv, busctl = tool('mount'), tool('setpriv'), tool('busctl')
    for name in ('passwd', 'group'):
        run([mount, '--bind', os.path.join(root, 'etc', name), '/etc/' + name])
    user, pin, mon = args.option['daemon_user'], args.option['pin_group'], args.option['monitor_group']
    log('in this namespace: %s uid %d, %s gid %d, %s gid %d' % (
        user, pwd.getpwnam(user).pw_uid, pin, grp.getgrnam(pin).gr_gid, mon, grp.getgrnam(mon).gr_gid))
    loader, daemon = t.path('loader'), t.path('daemon')
    pin_dir = '/sys/fs/bpf/leco-test-install-%d' % os.getpid()
    bus = dmn = None
    try:
        run([loader, '--pin', pin_dir, '--group', pin])
        events = [n for n in os.listdir(pin_dir) if re.fullmatch(r'events_v\d+', n)]
        check(len(events) == 1, 'one ring buffer pin expected in %s: %s' % (pin_dir, sorted(os.listdir(pin_dir))))
        st = os.stat(os.path.join(pin_dir, events[0]))
        check(st.st_gid == grp.getgrnam(pin).gr_gid, 'pins not given to %s' % pin)
        bus, address = start_bus(BUS_CONF.format(
            socket=os.path.join(tmp, 'bus'), servicedir='',
            include='<include>%s</include>' % t.path('policy')), tmp)
        config = os.path.join(tmp, 'leco-dbusd.conf')
        open(config, 'w').close()
        dlog = open(os.path.join(tmp, 'leco-dbusd.log'), 'w+')
        argv = [setpriv, '--reuid=' + user, '--regid=' + pin, '--clear-groups', daemon,
                '--bus', address, '--pin-path', pin_dir, '--config', config]
        log('$ ' + ' '.join(argv))
        dmn = subprocess.Popen(argv, stdout=dlog, stderr=subprocess.STDOUT)
        try:
            wait_for_name(busctl, address, dmn)
        finally:
            dlog.seek(0)
            text = dlog.read().strip()
            if text:
                log('  [leco-dbusd] ' + text.replace('\n', '\n  [leco-dbusd] '))
        log('leco-dbusd (installed) owns %s as %s' % (BUS_NAME, user))
        call = ['--address=' + address, 'call', BUS_NAME, OBJ, IFACE, 'ListTraffic']
        r = run([busctl] + call)
        check(r.stdout.startswith('aa{sv} '), 'ListTraffic: unexpected reply')
        r = run([busctl, '--address=' + address, 'get-property', BUS_NAME, OBJ, IFACE, 'KernelHooks'])
        check('"tcp-state"' in r.stdout, 'KernelHooks lacks tcp-state')
        # the installed policy: a member of the monitor group may, others may not
        member = ['--reuid=nobody', '--regid=nogroup', '--groups=%d' % grp.getgrnam(mon).gr_gid]
        r = run([setpriv] + member + [busctl] + call)
        check(r.stdout.startswith('aa{sv} '), 'a member of %s was refused' % mon)
        r = run([setpriv, '--reuid=nobody', '--regid=nogroup', '--clear-groups', busctl] + call, check_rc=False)
        check(r.returncode != 0 and 'Access denied' in r.stderr + r.stdout,
              'a non-member of %s was not refused' % mon)
        log('policy: root and %s members answered, others refused' % mon)
    finally:
        stop(dmn, 'leco-dbusd')
        stop(bus, 'dbus-daemon')
        if os.path.isdir(pin_dir):
            run([loader, '--unload', '--pin', pin_dir], check_rc=False)


CASES = {
    'tree': case_tree, 'unit': case_unit, 'activation': case_activation, 'sysusers': case_sysusers,
    'xml': case_xml, 'desktop': case_desktop, 'appstream': case_appstream, 'schema': case_schema,
    'man': case_man, 'loader': case_loader, 'daemon': case_daemon, 'daemon-ns': case_daemon_ns,
}


def parse(argv):
    p = argparse.ArgumentParser()
    p.add_argument('case', choices=sorted(CASES))
    p.add_argument('--build', required=True)
    p.add_argument('--meson', required=True)
    p.add_argument('--destdir', help=argparse.SUPPRESS)   # daemon-ns: the tree made by daemon
    p.add_argument('--expect', action='append', default=[], metavar='KEY=PATH')
    p.add_argument('--option', action='append', default=[], metavar='NAME=VALUE')
    p.add_argument('--source-man', action='append', default=[])
    a = p.parse_args(argv)
    a.expect = dict(e.split('=', 1) for e in a.expect)
    a.option = dict(o.split('=', 1) for o in a.option)
    a.installed_man = any(k.startswith('man-') for k in a.expect)
    return a


def main():
    args = parse(sys.argv[1:])
    strict = os.environ.get('CI') == 'true' or os.environ.get('LECO_REQUIRE_ALL') == '1'
    tree = None
    try:
        if args.case == 'daemon-ns':
            tree = argparse.Namespace(dir=args.destdir, args=args, path=lambda k: args.destdir + args.expect[k])
            case_daemon_ns(tree, args)
            return 0
        tree = Tree(args)
        CASES[args.case](tree, args)
        log('PASS: ' + args.case)
        return 0
    except Skip as e:
        log('SKIP: %s%s' % (e, ' (a failure with CI=true / LECO_REQUIRE_ALL=1)' if strict else ''))
        return 1 if strict else 77
    except (Fail, subprocess.TimeoutExpired) as e:
        log('FAIL: %s' % e)
        return 1
    finally:
        if isinstance(tree, Tree):
            tree.close()


if __name__ == '__main__':
    sys.exit(main())
