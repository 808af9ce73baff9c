#!/usr/bin/python3
"""Keeps the generated parts of man/virtioctl.1 equal to the command table.

The COMMANDS, OPTIONS and EXIT STATUS lists of the man page are written
from `virtioctl --json __commands` (the command table, the global options
and the exit codes the binary itself uses) between the markers
    .\\" BEGIN GENERATED name
    .\\" END GENERATED name
and checked into git, so `man ./man/virtioctl.1` works from a checkout.

    man/sync.py VIRTIOCTL [MANPAGE]           rewrite the generated parts
    man/sync.py --check VIRTIOCTL [MANPAGE]   exit 1 with a diff when they differ

`ninja -C build man-sync` runs the first; the test suite runs the second.
"""

import difflib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = re.compile(r'^\.\\" (BEGIN|END) GENERATED (\S+)$')


def esc(text):
    """Text for a roff text line: backslashes and hyphens escaped, `code`
    in bold, and a leading dot or quote made harmless."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    # `code` in the table's Markdown-ish text: bold, never literal backticks
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    return "\\&" + text if text[:1] in (".", "'") else text


def sentence(text):
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def arg_spec(spec):
    """'<device> [set|negotiate] [feature...]' -> italic kinds, bold
    literal choices, brackets kept for optional arguments."""
    out = []
    for w in spec.split():
        opt = w.startswith("[")
        body = w.strip("<>[]")
        more = body.endswith("...")
        body = body[:-3] if more else body
        if "|" in body:
            s = "|".join("\\fB%s\\fR" % esc(x) for x in body.split("|"))
        else:
            s = "\\fI%s\\fR" % esc(body)
        s += "\\&..." if more else ""
        out.append("[%s]" % s if opt else s)
    return " ".join(out)


def option_tag(o):
    long = "\\fB\\-\\-%s\\fR" % esc(o["name"])
    tag = "\\fB\\-%s\\fR, %s" % (esc(o["short"]), long) if o["short"] else long
    return tag + (" \\fI%s\\fR" % esc(o["arg"]) if o["arg"] else "")


def options(opts):
    lines = []
    for o in opts:
        lines += [".TP", option_tag(o), esc(sentence(o["help"]))]
    return lines


def action_tag(a):
    """'set <feature...>' with the word bold; a word list (status steps) as
    its kind in italics; an argument from a list as its bold words."""
    name = "\\fI%s\\fR" % esc(a["name"]) if a["words"] else "\\fB%s\\fR" % esc(a["name"])
    if a["values"]:
        rest = "|".join("\\fB%s\\fR" % esc(v) for v in a["values"])
    else:
        rest = arg_spec(a["args"])
    return (name + " " + rest).rstrip()


def actions(acts):
    lines = []
    for a in acts:
        lines += [".TP", action_tag(a), esc(sentence(a["summary"]))]
    return lines


def command(c):
    lines = [".TP", ("\\fB%s\\fR %s" % (esc(c["name"]), arg_spec(c["args"]))).rstrip(),
             esc(sentence(c["summary"]))]
    if c["help"]:
        lines.append(esc(c["help"]))
    if c["actions"]:
        lines += [".RS", ".PP", "Actions:"] + actions(c["actions"]) + [".RE"]
    if c["options"]:
        lines += [".RS", ".PP", "Options:"] + options(c["options"]) + [".RE"]
    return lines


def commands_part(t):
    lines = [".SS Device commands"]
    for c in t["commands"]:
        if not c["session_only"]:
            lines += command(c)
    lines += [".SS Shell and script commands",
              "These act on the session of a shell or a script; "
              "elsewhere they are a usage error."]
    for c in t["commands"]:
        if c["session_only"]:
            lines += command(c)
    return lines


def exit_part(t):
    lines = []
    for x in t["exit_codes"]:
        lines += [".TP", ".B %d" % x["code"], esc(sentence(x["meaning"]))]
    return lines


def generate(t):
    return {
        "commands": commands_part(t),
        "options": options(t["global_options"]),
        "exit-codes": exit_part(t),
    }


def table(virtioctl):
    p = subprocess.run([virtioctl, "--json", "__commands"], capture_output=True, text=True,
                       check=True)
    return json.loads(p.stdout)


def splice(text, parts):
    """The man page with each generated part replaced."""
    out, skipping, seen = [], None, set()
    for line in text.splitlines():
        m = MARK.match(line)
        if m and m.group(1) == "BEGIN":
            name = m.group(2)
            if name not in parts:
                raise SystemExit("man page: unknown generated part '%s'" % name)
            out.append(line)
            out += parts[name]
            skipping = name
            seen.add(name)
        elif m and m.group(1) == "END":
            skipping = None
            out.append(line)
        elif not skipping:
            out.append(line)
    missing = set(parts) - seen
    if missing:
        raise SystemExit("man page: no markers for %s" % ", ".join(sorted(missing)))
    return "\n".join(out) + "\n"


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if not args:
        raise SystemExit(__doc__)
    page = args[1] if len(args) > 1 else os.path.join(HERE, "virtioctl.1")
    old = open(page).read()
    new = splice(old, generate(table(args[0])))
    if not check:
        if new != old:
            open(page, "w").write(new)
        return 0
    if new == old:
        return 0
    sys.stdout.writelines(difflib.unified_diff(
        old.splitlines(True), new.splitlines(True), page, "from the command table"))
    print("\n%s differs from the command table: run 'ninja -C BUILD man-sync' "
          "(man/sync.py BUILD/virtioctl) and review the diff." % page)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
