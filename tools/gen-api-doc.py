#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generate docs/api.md, the D-Bus API reference, from data/org.leco.Overseer.xml.

The XML is the single source of truth: the interface overview and the record
keys come from its leading comment, every property, method and signal from
its element and the comment right before it, the errors from the interface's
comment.  The output is deterministic (no dates, no absolute paths).

    tools/gen-api-doc.py                      print to stdout
    tools/gen-api-doc.py -o docs/api.md       write the file
    tools/gen-api-doc.py --check docs/api.md  regenerate into a temporary file
                                              and fail (exit 1) if it differs

The comments are parsed strictly: a member without a comment, a comment that
names another member, an argument without its "@name:" line (or a "@name:"
without an argument), or a key line the table parser cannot read is an error
(exit 2), so the reference can neither drift from the XML nor silently lose
part of it.
"""

import argparse
import difflib
import os
import re
import sys
import tempfile
import textwrap
import xml.dom.minidom
from xml.dom import Node

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_XML = os.path.join(TOP, "data", "org.leco.Overseer.xml")

TYPE_NAMES = {
    "y": "byte", "b": "boolean", "n": "int16", "q": "uint16", "i": "int32",
    "u": "uint32", "x": "int64", "t": "uint64", "d": "double", "s": "string",
    "o": "object path", "g": "signature", "v": "variant", "h": "unix fd",
    "as": "string array", "a{sv}": "record", "aa{sv}": "record array",
}

# Sample values for the generated command lines: (busctl arguments, gdbus argument).
SAMPLE_ARGS = {
    "u": ("10", "10"),
    "t": ("42", "42"),
    "s": ('""', "''"),
    "b": ("false", "false"),
    "a{sv}": ("0", "{}"),
}

# Extra examples for some methods.  Each names the input signature it was
# written for; a method whose signature changed fails the generation, and so
# does a filter key that the argument's documentation no longer mentions.
EXTRA_EXAMPLES = {
    "ListConnections": {
        "signature": "a{sv}",
        "keys_documented_in": "filter",
        "examples": [
            ("the flows of one unit",
             ["unit"],
             "'a{sv}' 1 unit s sshd.service",
             "\"{'unit': <'sshd.service'>}\""),
            ("outgoing TCP flows of uid 1000",
             ["protocol", "direction", "uid"],
             "'a{sv}' 3 protocol s tcp direction s out uid u 1000",
             "\"{'protocol': <'tcp'>, 'direction': <'out'>, 'uid': <uint32 1000>}\""),
        ],
    },
    "ListBlocked": {
        "signature": "u",
        "examples": [
            ("the whole bounded history", [], "u 0", "0"),
        ],
    },
}


class DocError(Exception):
    pass


def type_name(sig):
    return TYPE_NAMES.get(sig, sig)


def md_escape(text):
    """Inline text for a Markdown table cell or paragraph."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)


def reflow(lines):
    """Lines of one paragraph joined into one line, whitespace normalised; a
    line broken after "/" ("podman/docker/" + "machined") is joined as one word."""
    out = ""
    for line in lines:
        words = " ".join(line.split())
        if not words:
            continue
        out = out + words if (not out or out.endswith("/")) else out + " " + words
    return out


def dedent_comment(text):
    lines = textwrap.dedent(text.expandtabs(8)).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return [l.rstrip() for l in lines]


def blocks(lines):
    """Split on blank lines."""
    out, cur = [], []
    for l in lines:
        if l.strip():
            cur.append(l)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


# ---- the leading comment: overview and record keys --------------------------

KEY_RE = re.compile(r"^( +)([a-z][a-z0-9-]*) +([a-z{}()]+)(?: {2,}(\S.*))?$")


def parse_key_table(block, where):
    """A block of "  key  type  text" lines, continuation lines indented deeper."""
    keys = []
    base = None
    for line in block:
        m = KEY_RE.match(line)
        ind = indent_of(line)
        if base is None:
            if not m:
                raise DocError(f"{where}: cannot read key line {line.strip()!r}")
            base = ind
        if m and ind == base:
            keys.append([m.group(2), m.group(3), [m.group(4)] if m.group(4) else []])
        elif ind > base and keys:
            keys[-1][2].append(line.strip())
        else:
            raise DocError(f"{where}: cannot read key line {line.strip()!r}")
    seen = set()
    for name, sig, _ in keys:
        if name in seen:
            raise DocError(f"{where}: key {name!r} listed twice")
        seen.add(name)
        if not re.fullmatch(r"[ybnqiuxtdsoghv]|as|a\{sv\}|aa\{sv\}", sig):
            raise DocError(f"{where}: key {name!r} has an unknown type {sig!r}")
    return [(n, s, reflow(d)) for n, s, d in keys]


def parse_leading(text):
    lines = dedent_comment(text)
    if not lines:
        raise DocError("the leading comment is empty")
    title = lines[0].strip()
    paragraphs, keys, keys_intro = [], None, ""
    for b in blocks(lines[1:]):
        if indent_of(b[0]) > 0 and KEY_RE.match(b[0]):
            if keys is not None:
                raise DocError("the leading comment has two key tables")
            keys = parse_key_table(b, "leading comment")
            # the paragraph that introduces the table ("Keys ...:") goes with it
            if paragraphs and paragraphs[-1].endswith(":"):
                keys_intro = paragraphs.pop()
        else:
            paragraphs.append(reflow(b))
    if keys is None:
        raise DocError("the leading comment has no key table")
    return title, paragraphs, keys_intro, keys


# ---- member comments ----------------------------------------------------------

ARG_RE = re.compile(r"^@([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$")
ERROR_NAME = r"(?:[A-Za-z_][A-Za-z0-9_]*\.)+Error\.[A-Za-z0-9_]+"
ERROR_RE = re.compile(r"(" + ERROR_NAME + r")\s*\(([^)]*)\)")


def parse_member_comment(text, name, where):
    """'Name: summary' then '@arg: text' lines and free paragraphs."""
    lines = dedent_comment(text or "")
    if not lines:
        raise DocError(f"{where}: no comment before it")
    head = lines[0].strip()
    if not head.startswith(name + ":"):
        raise DocError(f"{where}: its comment starts with {head!r}, expected \"{name}:\"")
    summary = [head[len(name) + 1:].strip()] if head[len(name) + 1:].strip() else []
    args, paragraphs = {}, []
    cur_arg = None
    arg_indent = 0
    para = summary
    for line in lines[1:]:
        m = ARG_RE.match(line.strip())
        if not line.strip():
            cur_arg = None
            if para:
                paragraphs.append(reflow(para))
            para = []
            continue
        if m:
            if m.group(1) in args:
                raise DocError(f"{where}: @{m.group(1)} documented twice")
            cur_arg = m.group(1)
            arg_indent = indent_of(line)
            args[cur_arg] = [m.group(2)] if m.group(2) else []
            if para:
                paragraphs.append(reflow(para))
            para = []
        elif cur_arg is not None and indent_of(line) > arg_indent:
            args[cur_arg].append(line.strip())
        else:
            cur_arg = None
            para.append(line.strip())
    if para:
        paragraphs.append(reflow(para))
    return paragraphs, {k: reflow(v) for k, v in args.items()}


def preceding_comment(node):
    """The comment right before an element (only whitespace in between)."""
    sib = node.previousSibling
    while sib is not None:
        if sib.nodeType == Node.COMMENT_NODE:
            return sib.data
        if sib.nodeType == Node.TEXT_NODE and not sib.data.strip():
            sib = sib.previousSibling
            continue
        return None
    return None


def elements(parent, tag):
    return [c for c in parent.childNodes if c.nodeType == Node.ELEMENT_NODE and c.tagName == tag]


# ---- the model ---------------------------------------------------------------------

def load(path):
    try:
        doc = xml.dom.minidom.parse(path)
    except Exception as e:  # expat errors, I/O
        raise DocError(f"{path}: {e}") from e
    root = doc.documentElement
    if root.tagName != "node":
        raise DocError(f"{path}: root element is <{root.tagName}>, expected <node>")
    leading = None
    for c in doc.childNodes:
        if c.nodeType == Node.COMMENT_NODE:
            leading = c.data
        if c is root:
            break
    if leading is None:
        raise DocError(f"{path}: no comment before <node> (the overview and the key list live there)")
    title, overview, keys_intro, keys = parse_leading(leading)
    m = re.search(r"\bBus name ([A-Za-z_][A-Za-z0-9_.-]*[A-Za-z0-9_])", " ".join(overview))
    if not m:
        raise DocError(f"{path}: the leading comment does not say \"Bus name NAME\"")
    bus = m.group(1)

    ifaces = elements(root, "interface")
    if len(ifaces) != 1:
        raise DocError(f"{path}: expected exactly one <interface>, found {len(ifaces)}")
    iface = ifaces[0]
    iname = iface.getAttribute("name")
    icomment = dedent_comment(preceding_comment(iface) or "")
    if not icomment or not icomment[0].strip().startswith(iname + ":"):
        raise DocError(f"{path}: the comment before <interface> must start with \"{iname}:\"")
    short, iparas, errors = "", [], []
    for b in blocks(icomment[1:]):
        text = reflow(b)
        if text.startswith("@short_description:"):
            short = text[len("@short_description:"):].strip()
        elif text.startswith("Errors:"):
            errors = ERROR_RE.findall(text)
            named = re.findall(ERROR_NAME, text)
            if not errors or len(named) != len(errors):
                raise DocError(f"{path}: cannot read the interface's \"Errors:\" paragraph: every error "
                               f"must be written as NAME (when), got {text!r}")
        else:
            iparas.append(text)

    model = {
        "object": root.getAttribute("name"),
        "interface": iname,
        "title": title,
        "overview": overview,
        "bus": bus,
        "keys_intro": keys_intro,
        "keys": keys,
        "short": short,
        "iface_paragraphs": iparas,
        "errors": [(n, reflow([d])) for n, d in errors],
        "properties": [], "methods": [], "signals": [],
    }
    for c in iface.childNodes:
        if c.nodeType == Node.ELEMENT_NODE and c.tagName not in ("property", "method", "signal", "annotation"):
            raise DocError(f"{path}: <{c.tagName}> in the interface: this generator does not know it")
    for p in elements(iface, "property"):
        name = p.getAttribute("name")
        where = f"property {name}"
        paras, args = parse_member_comment(preceding_comment(p), name, where)
        if args:
            raise DocError(f"{where}: @-lines in a property comment")
        emits = None
        for a in elements(p, "annotation"):
            if a.getAttribute("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal":
                emits = a.getAttribute("value")
        model["properties"].append({
            "name": name, "type": p.getAttribute("type"), "access": p.getAttribute("access"),
            "emits": emits, "doc": paras,
        })
    for kind, tag in (("methods", "method"), ("signals", "signal")):
        for m in elements(iface, tag):
            name = m.getAttribute("name")
            where = f"{tag} {name}"
            paras, argdoc = parse_member_comment(preceding_comment(m), name, where)
            known = {n for n, _ in model["errors"]}
            for text in paras + list(argdoc.values()):
                for err in re.findall(ERROR_NAME, text):
                    if err not in known:
                        raise DocError(f"{where}: its comment names {err}, which the interface's "
                                       f"\"Errors:\" paragraph does not list")
            margs = []
            for a in elements(m, "arg"):
                aname = a.getAttribute("name")
                if not aname:
                    raise DocError(f"{where}: an argument without a name")
                direction = a.getAttribute("direction") or ("out" if tag == "signal" else "in")
                if aname not in argdoc:
                    raise DocError(f"{where}: argument {aname!r} has no \"@{aname}:\" line in the comment")
                margs.append({"name": aname, "type": a.getAttribute("type"), "direction": direction,
                              "doc": argdoc[aname]})
            extra = sorted(set(argdoc) - {a["name"] for a in margs})
            if extra:
                raise DocError(f"{where}: the comment documents @{extra[0]}, which is no argument")
            model[kind].append({"name": name, "args": margs, "doc": paras})
    return model


# ---- rendering ------------------------------------------------------------------------

def check_examples(model):
    methods = {m["name"]: m for m in model["methods"]}
    for name, ex in EXTRA_EXAMPLES.items():
        m = methods.get(name)
        if m is None:
            raise DocError(f"EXTRA_EXAMPLES names {name}, which the XML no longer has")
        sig = "".join(a["type"] for a in m["args"] if a["direction"] == "in")
        if sig != ex["signature"]:
            raise DocError(f"EXTRA_EXAMPLES for {name} were written for ({ex['signature']}), "
                           f"the XML now says ({sig})")
        doc_arg = ex.get("keys_documented_in")
        if doc_arg:
            text = next(a["doc"] for a in m["args"] if a["name"] == doc_arg)
            for _, keys, _, _ in ex["examples"]:
                for k in keys:
                    if f'"{k}"' not in text:
                        raise DocError(f"EXTRA_EXAMPLES for {name} use the filter key {k!r}, "
                                       f"which @{doc_arg} does not document")


def signature_line(name, args, with_direction):
    parts = []
    for a in args:
        parts.append(f"{a['direction']} {a['type']} {a['name']}" if with_direction else f"{a['type']} {a['name']}")
    return f"{name}({', '.join(parts)})"


def generic_args(m):
    ins = [a for a in m["args"] if a["direction"] == "in"]
    busctl, gdbus = [], []
    for a in ins:
        if a["type"] not in SAMPLE_ARGS:
            return None
        b, g = SAMPLE_ARGS[a["type"]]
        busctl.append(f"'{a['type']}' {b}" if "{" in a["type"] else f"{a['type']} {b}")
        gdbus.append(g if "{" not in g else f'"{g}"')
    return " ".join(busctl), " ".join(gdbus)


def render(model, source):
    obj, iface, bus = model["object"], model["interface"], model["bus"]
    out = []
    w = out.append
    w(f"<!-- Generated by tools/gen-api-doc.py from {source}: do not edit by hand. -->")
    w("<!-- Regenerate: tools/gen-api-doc.py -o docs/api.md (the 'api-doc-current' test compares). -->")
    w("")
    w(f"# D-Bus API reference: {iface}")
    w("")
    w(md_escape(model["title"]))
    w("")
    w("| | |")
    w("| --- | --- |")
    w(f"| bus name | `{bus}` (system bus) |")
    w(f"| object | `{obj}` |")
    w(f"| interface | `{iface}` |")
    if model["short"]:
        w(f"| summary | {md_escape(model['short'])} |")
    w("")
    for p in model["overview"] + model["iface_paragraphs"]:
        w(md_escape(p))
        w("")
    w("Contents: [Properties](#properties), [Methods](#methods), [Signals](#signals), "
      "[Record keys](#record-keys), [Errors](#errors), [Examples](#examples).")
    w("")

    w("## Properties")
    w("")
    w("| name | type | access | PropertiesChanged | meaning |")
    w("| --- | --- | --- | --- | --- |")
    for p in model["properties"]:
        emits = p["emits"] if p["emits"] is not None else "true (D-Bus default, not annotated)"
        w(f"| `{p['name']}` | `{p['type']}` ({type_name(p['type'])}) | {p['access']} | {emits} | "
          f"{md_escape(' '.join(p['doc']))} |")
    w("")

    w("## Methods")
    w("")
    for m in model["methods"]:
        w(f"### {m['name']}")
        w("")
        w("```")
        w(signature_line(m["name"], m["args"], True))
        w("```")
        w("")
        if m["args"]:
            w("| argument | direction | type | meaning |")
            w("| --- | --- | --- | --- |")
            for a in m["args"]:
                w(f"| `{a['name']}` | {a['direction']} | `{a['type']}` ({type_name(a['type'])}) | "
                  f"{md_escape(a['doc'])} |")
            w("")
        for p in m["doc"]:
            w(md_escape(p))
            w("")

    w("## Signals")
    w("")
    for s in model["signals"]:
        w(f"### {s['name']}")
        w("")
        w("```")
        w(signature_line(s["name"], s["args"], False))
        w("```")
        w("")
        if s["args"]:
            w("| argument | type | meaning |")
            w("| --- | --- | --- |")
            for a in s["args"]:
                w(f"| `{a['name']}` | `{a['type']}` ({type_name(a['type'])}) | {md_escape(a['doc'])} |")
            w("")
        for p in s["doc"]:
            w(md_escape(p))
            w("")

    w("## Record keys")
    w("")
    if model["keys_intro"]:
        w(md_escape(model["keys_intro"]))
        w("")
    w("| key | type | meaning |")
    w("| --- | --- | --- |")
    for name, sig, doc in model["keys"]:
        w(f"| `{name}` | `{sig}` ({type_name(sig)}) | {md_escape(doc) if doc else '-'} |")
    w("")

    w("## Errors")
    w("")
    w("| error name | when |")
    w("| --- | --- |")
    for name, when in model["errors"]:
        w(f"| `{name}` | {md_escape(when)} |")
    w("")

    check_examples(model)
    dest = f"{bus} {obj} {iface}"
    gdest = f"--system --dest {bus} --object-path {obj}"
    w("## Examples")
    w("")
    w("On the system bus, as root or a member of the monitor group (`leco-monitor` by default). "
      "Against a private bus, replace `busctl` with `busctl --address=ADDRESS` and `--system` with "
      "`--address ADDRESS`. `busctl --json=pretty call ...` prints the records as JSON.")
    w("")
    for m in model["methods"]:
        w(f"{m['name']}:")
        w("")
        w("```sh")
        gen = generic_args(m)
        if gen is not None:
            b, g = gen
            w(f"busctl call {dest} {m['name']}{(' ' + b) if b else ''}")
            w(f"gdbus call {gdest} --method {iface}.{m['name']}{(' ' + g) if g else ''}")
        for what, _, b, g in EXTRA_EXAMPLES.get(m["name"], {}).get("examples", []):
            w(f"# {what}")
            w(f"busctl call {dest} {m['name']} {b}")
            w(f"gdbus call {gdest} --method {iface}.{m['name']} {g}")
        w("```")
        w("")
    w("Properties:")
    w("")
    w("```sh")
    if model["properties"]:
        w(f"busctl get-property {dest} {model['properties'][0]['name']}")
    w(f"busctl introspect {bus} {obj} {iface}")
    w(f"gdbus call {gdest} --method org.freedesktop.DBus.Properties.GetAll {iface}")
    w("```")
    w("")
    w("Signals, as they come:")
    w("")
    w("```sh")
    w(f"busctl monitor {bus}          # root only: it becomes a bus monitor")
    w(f"gdbus monitor --system --dest {bus}   # any member of the monitor group")
    w("```")
    return "\n".join(out) + "\n"


def generate(xml_path):
    model = load(xml_path)
    # named as in the source tree wherever the file is read from, so the
    # output does not depend on the build or checkout location
    return render(model, "data/" + os.path.basename(xml_path))


def main(argv):
    ap = argparse.ArgumentParser(description="Generate the D-Bus API reference (Markdown) from the XML.")
    ap.add_argument("--xml", default=DEFAULT_XML, help="the introspection XML (default: %(default)s)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("-o", "--output", help="write here instead of stdout")
    g.add_argument("--check", metavar="DOC", help="fail if DOC differs from what the XML generates")
    args = ap.parse_args(argv)

    try:
        text = generate(args.xml)
    except DocError as e:
        print(f"gen-api-doc: {e}", file=sys.stderr)
        return 2

    if args.check:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".md", prefix="api-",
                                         delete=False) as tmp:
            tmp.write(text)
            fresh = tmp.name
        try:
            with open(fresh, encoding="utf-8") as f:
                new = f.read()
            try:
                with open(args.check, encoding="utf-8") as f:
                    old = f.read()
            except OSError as e:
                print(f"gen-api-doc: cannot read {args.check}: {e.strerror}", file=sys.stderr)
                return 1
        finally:
            os.unlink(fresh)
        if old == new:
            print(f"{args.check} matches {args.xml}")
            return 0
        diff = list(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                         args.check, "generated from " + args.xml))
        sys.stdout.writelines(diff[:200])
        if len(diff) > 200:
            print(f"... ({len(diff) - 200} more diff lines)")
        print(f"gen-api-doc: {args.check} is out of date with {args.xml}; regenerate it with "
              f"tools/gen-api-doc.py -o docs/api.md", file=sys.stderr)
        return 1

    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
