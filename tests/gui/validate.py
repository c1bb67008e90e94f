#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Validators for the applet's desktop integration files (no display needed).

    validate.py desktop TOOL FILE...      desktop-file-validate: rc 0 and no output at all
    validate.py appstream TOOL FILE...    appstreamcli validate --no-net --strict: no errors,
                                          warnings or infos (pedantic hints are printed only)
    validate.py schema TOOL DIR           glib-compile-schemas --strict --dry-run: rc 0, no output
    validate.py schema-keys TOOL DIR XML  gsettings on the compiled schema in DIR: exactly the
                                          keys, types, defaults and ranges the applet relies on;
                                          the path from the source XML
    validate.py icons TOOL FILE...        xmllint --noout: rc 0, no output; plus SVG conventions
                                          (no bitmaps or external references; symbolic icons:
                                          16x16 viewBox, fills only, one colour)

TOOL is the program meson found, or its bare name when it was not found: a
missing tool is a failure (exit 1) with the package to install.
"""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

PACKAGES = {
    'desktop-file-validate': 'desktop-file-utils',
    'appstreamcli': 'appstream',
    'glib-compile-schemas': 'libglib2.0-bin',
    'gsettings': 'libglib2.0-bin',
    'xmllint': 'libxml2-utils',
}

SCHEMA_ID = 'org.leco.Overseer.Applet'
SCHEMA_PATH = '/org/leco/Overseer/Applet/'
# key -> (gsettings default, gsettings range)
SCHEMA_KEYS = {
    'muted-apps': ('@as []', "type as"),
    'notifications-enabled': ('true', 'type b'),
    'paused-until': ('int64 0', 'type x'),
    'notification-burst': ('uint32 5', 'range u 1 100'),
    'notification-window': ('uint32 60', 'range u 5 3600'),
    'show-sparklines': ('true', 'type b'),
    'window-width': ('0', 'range i 0 32767'),
    'window-height': ('0', 'range i 0 32767'),
    'window-maximized': ('false', 'type b'),
    'sort-column': ("'activity'", "enum 'application' 'down' 'up' 'total' 'connections' 'blocked' 'activity' "
                    "'last-active'"),
    'sort-descending': ('true', 'type b'),
    'show-idle': ('false', 'type b'),
}

failures = []


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    failures.append(msg)


def tool_path(tool):
    base = os.path.basename(tool)
    path = tool if os.path.isabs(tool) and os.access(tool, os.X_OK) else shutil.which(tool)
    if not path:
        print('FAIL: %s not found (apt-get install %s)' % (base, PACKAGES.get(base, base)), file=sys.stderr)
        sys.exit(1)
    return path


def run(argv, env=None):
    print('$ ' + ' '.join(argv))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=env, timeout=60)
    if r.stdout:
        print(r.stdout, end='' if r.stdout.endswith('\n') else '\n')
    return r


def silent(argv, what):
    """The tool must succeed and print nothing (no errors, warnings or hints)."""
    r = run(argv)
    if r.returncode != 0:
        fail('%s: exit status %d' % (what, r.returncode))
    elif r.stdout.strip():
        fail('%s: unexpected output' % what)


def check_desktop(tool, files):
    for f in files:
        silent([tool, f], os.path.basename(f))


def check_appstream(tool, files):
    for f in files:
        r = run([tool, 'validate', '--no-net', '--explain', '--strict', '--pedantic', f])
        issues = [ln for ln in r.stdout.splitlines() if re.match(r'^[EWI]: ', ln)]
        if r.returncode != 0 or issues:
            fail('%s: exit status %d, %d error/warning/info(s)'
                 % (os.path.basename(f), r.returncode, len(issues)))


def check_schema(tool, directory):
    silent([tool, '--strict', '--dry-run', directory], 'schemas in ' + directory)


def check_schema_keys(tool, directory, src):
    if not os.path.exists(os.path.join(directory, 'gschemas.compiled')):
        fail('no gschemas.compiled in ' + directory)
        return
    env = dict(os.environ, GSETTINGS_BACKEND='memory')
    env.pop('GSETTINGS_SCHEMA_DIR', None)
    base = [tool, '--schemadir', directory]
    r = run(base + ['list-keys', SCHEMA_ID], env)
    keys = sorted(r.stdout.split())
    if r.returncode != 0 or keys != sorted(SCHEMA_KEYS):
        fail('keys of %s: %s, expected %s' % (SCHEMA_ID, keys, sorted(SCHEMA_KEYS)))
        return
    for key, (default, rng) in SCHEMA_KEYS.items():
        got = run(base + ['get', SCHEMA_ID, key], env).stdout.strip()
        if got != default:
            fail('%s default: %r, expected %r' % (key, got, default))
        got = ' '.join(run(base + ['range', SCHEMA_ID, key], env).stdout.split())
        if got != rng:
            fail('%s range: %r, expected %r' % (key, got, rng))
    # path, summaries and descriptions are not in gschemas.compiled: read the source
    schema = ET.parse(src).getroot().find('schema')
    for key in schema.findall('key'):
        summary = ' '.join((key.findtext('summary') or '').split())
        desc = ' '.join((key.findtext('description') or '').split())
        if len(summary) < 10 or len(desc) < 40 or not desc.endswith('.'):
            fail('%s: no proper summary/description (%r, %r)' % (key.get('name'), summary, desc))
    if schema.get('id') != SCHEMA_ID or schema.get('path') != SCHEMA_PATH:
        fail('schema id/path %r %r, expected %r %r'
             % (schema.get('id'), schema.get('path'), SCHEMA_ID, SCHEMA_PATH))
    # out-of-range values are refused
    r = run(base + ['set', SCHEMA_ID, 'notification-burst', '0'], env)
    if r.returncode == 0:
        fail('notification-burst accepted 0 (range 1..100)')


SVG_NS = '{http://www.w3.org/2000/svg}'
SYMBOLIC_COLOURS = {'#2e3436', 'none'}


def check_icons(tool, files):
    silent([tool, '--noout'] + list(files), 'xmllint')
    for f in files:
        name = os.path.basename(f)
        try:
            root = ET.parse(f).getroot()
        except ET.ParseError as e:
            fail('%s: %s' % (name, e))
            continue
        if root.tag != SVG_NS + 'svg':
            fail('%s: root is %s, not an SVG element' % (name, root.tag))
            continue
        if not root.get('viewBox'):
            fail('%s: no viewBox' % name)
        if os.path.getsize(f) > 8192:
            fail('%s: %d bytes, keep icons small' % (name, os.path.getsize(f)))
        for el in root.iter():
            tag = el.tag.replace(SVG_NS, '')
            if tag in ('image', 'foreignObject', 'script'):
                fail('%s: contains <%s>' % (name, tag))
            for attr, value in el.attrib.items():
                if attr.endswith('href') and not value.startswith('#'):
                    fail('%s: external reference %s=%r' % (name, attr, value[:40]))
                if 'data:' in value and attr != 'd':
                    fail('%s: embedded data in %s' % (name, attr))
        if name.endswith('-symbolic.svg'):
            if root.get('viewBox') != '0 0 16 16':
                fail('%s: symbolic icons use a 16x16 viewBox, not %r' % (name, root.get('viewBox')))
            for el in root.iter():
                tag = el.tag.replace(SVG_NS, '')
                if tag in ('linearGradient', 'radialGradient', 'filter', 'mask', 'pattern'):
                    fail('%s: <%s> in a symbolic icon' % (name, tag))
                if 'stroke' in el.attrib or 'style' in el.attrib:
                    fail('%s: stroke/style on <%s>: symbolic icons are filled paths only' % (name, tag))
                fill = el.get('fill')
                if fill is not None and fill.lower() not in SYMBOLIC_COLOURS:
                    fail('%s: fill %s in a symbolic icon (use #2e3436)' % (name, fill))


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, tool, args = argv[0], tool_path(argv[1]), argv[2:]
    checks = {'desktop': check_desktop, 'appstream': check_appstream, 'icons': check_icons,
              'schema': lambda t, a: check_schema(t, a[0]),
              'schema-keys': lambda t, a: check_schema_keys(t, a[0], a[1])}
    if mode not in checks:
        print('unknown mode ' + mode, file=sys.stderr)
        return 2
    checks[mode](tool, args)
    if failures:
        return 1
    print('OK')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
