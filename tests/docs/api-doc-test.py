#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Self-test of tools/gen-api-doc.py: it must refuse an XML whose comments no
longer describe it (instead of writing a reference with holes), and --check
must notice any change.  Works on copies of the XML in a temporary directory.

    api-doc-test.py GENERATOR XML DOC
"""
import os
import subprocess
import sys
import tempfile

GEN, XML, DOC = sys.argv[1:4]
failures = 0


def run(xml_text, *extra):
    with tempfile.TemporaryDirectory(prefix="leco-api-doc-") as d:
        path = os.path.join(d, "org.leco.Overseer.xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml_text)
        return subprocess.run([sys.executable, GEN, "--xml", path, *extra],
                              capture_output=True, text=True)


def expect(name, cond, r):
    global failures
    if cond:
        print(f"ok - {name}")
    else:
        failures += 1
        print(f"not ok - {name}\n# rc={r.returncode}\n# stderr: {r.stderr.strip()}")


with open(XML, encoding="utf-8") as f:
    xml = f.read()


def mutate(old, new, count=1):
    if old not in xml:
        print(f"Bail out! the XML no longer contains {old!r}: update this test")
        sys.exit(1)
    return xml.replace(old, new, count)


r = run(xml)
expect("the XML as it is generates", r.returncode == 0 and "## Record keys" in r.stdout, r)

r = run(mutate("@filter:", "@filters:"))
expect("a @name for no argument is refused", r.returncode == 2 and "filter" in r.stderr, r)

r = run(mutate('<arg name="max" type="u" direction="in"/>',
               '<arg name="max" type="u" direction="in"/><arg name="offset" type="u" direction="in"/>'))
expect("an argument without its @line is refused", r.returncode == 2 and "offset" in r.stderr, r)

r = run(mutate("        Version: the daemon's version.", "        Release: the daemon's version."))
expect("a comment naming another member is refused", r.returncode == 2 and "Version" in r.stderr, r)

r = run(mutate('<property name="Since" type="x" access="read"/>',
               '<property name="Since" type="x" access="read"/>\n'
               '    <property name="Undocumented" type="s" access="read"/>'))
expect("a member without a comment is refused", r.returncode == 2 and "Undocumented" in r.stderr, r)

r = run(mutate("    count           u  ConnectionBlocked",
               "    count           uu ConnectionBlocked"))
expect("a key of an unknown type is refused", r.returncode == 2 and "count" in r.stderr, r)

r = run(mutate("Fails with org.leco.Overseer1.Error.NotFound",
               "Fails with org.leco.Overseer1.Error.Gone"))
expect("an error a member names but the interface does not list is refused",
       r.returncode == 2 and "Error.Gone" in r.stderr, r)

r = run(xml, "--check", DOC)
expect("--check passes on the committed reference", r.returncode == 0, r)

r = run(mutate("milliseconds between TrafficUpdated signals", "seconds between TrafficUpdated signals"),
        "--check", DOC)
expect("--check notices a changed description", r.returncode == 1 and "seconds between" in r.stdout, r)

print("1..9")
sys.exit(1 if failures else 0)
