"""What every CLI test needs, in one place: where the tree and the binary
are, running virtioctl (never with a terminal on standard input unless
asked), exit statuses by name, its JSON, the command table and the JSON
schemas. The tests run with VIRTIOCTL set by meson (tests/meson.build)."""

import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(TOP, "tests", "fixtures")
SCHEMA = os.path.join(TOP, "docs", "schema")
COMPLETIONS = os.path.join(TOP, "completions")
MAN = os.path.join(TOP, "man", "virtioctl.1")
VIRTIOCTL = os.path.abspath(os.environ.get("VIRTIOCTL") or os.path.join(TOP, "build", "virtioctl"))
BINDIR = os.path.dirname(VIRTIOCTL)

# src/util/err.h: exit statuses are part of the interface.
OK, FAIL, USAGE, NODEV, NOTVIRTIO, PERM, DEVICE, EXPECT, TIMEOUT, INPUT, UNAVAILABLE, CHECK = \
    range(12)
EXIT = {"ok": OK, "fail": FAIL, "usage": USAGE, "nodev": NODEV, "notvirtio": NOTVIRTIO,
        "perm": PERM, "device": DEVICE, "expect": EXPECT, "timeout": TIMEOUT, "input": INPUT,
        "unavailable": UNAVAILABLE, "check": CHECK}


def fixture(name):
    """Path of a file in tests/fixtures."""
    return os.path.join(FIXTURES, name)


def run(*args, want=None, input=None, env=None, timeout=60):
    """Runs virtioctl ARGS; standard input is empty (not a terminal) unless
    `input` is given. With `want`, a different exit status fails with the
    command line and both outputs."""
    p = subprocess.run([VIRTIOCTL, *args], capture_output=True, text=True, timeout=timeout,
                       input=input, stdin=None if input is not None else subprocess.DEVNULL,
                       env=env)
    if want is not None and p.returncode != want:
        raise AssertionError("virtioctl %s: exit %d, want %d\nstdout:%s\nstderr:%s" % (
            " ".join(args), p.returncode, want, p.stdout, p.stderr))
    return p


def run_json(*args, want=OK, **kw):
    """virtioctl --json ARGS, its standard output parsed."""
    return json.loads(run("--json", *args, want=want, **kw).stdout)


_table = None


def command_table():
    """The command table as the binary describes it (--json __commands)."""
    global _table
    if _table is None:
        _table = run_json("__commands")
    return _table


# Schema file names that are not the command's name (common.schema.json
# holds shared definitions; help prints the command table).
SCHEMA_OF = {"common": "common-command", "help": "commands", "__commands": "commands"}


def schema_name(words):
    """The docs/schema file name (without .schema.json) for the document a
    command line prints: WORDS as in a script line (the command first)."""
    if words[0] in ("dump", "check") and "--all" in words or words[0] == "dump" and "-a" in words:
        return words[0] + "-all"
    return SCHEMA_OF.get(words[0], words[0])


def schema_path(name):
    return os.path.join(SCHEMA, name + ".schema.json")


def schema_validator(name):
    """A validator for the schema of command NAME in docs/schema (needs
    jsonschema); references resolve from that directory only."""
    import jsonschema
    name = SCHEMA_OF.get(name, name)
    store = {}
    for f in os.listdir(SCHEMA):
        with open(os.path.join(SCHEMA, f)) as fh:
            s = json.load(fh)
        store[s["$id"]] = s
    s = store["https://virtioctl.invalid/schema/%s.schema.json" % name]
    resolver = jsonschema.RefResolver(base_uri=s["$id"], referrer=s, store=store)
    return jsonschema.Draft7Validator(s, resolver=resolver)


def scalars(node, path=""):
    """Yields (path, key, value) for every scalar in a JSON document but its
    schema_version (the JSON contract's, not the device's)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "schema_version" and not path:
                continue
            yield from scalars(v, path + "." + k) if isinstance(v, (dict, list)) else [(path, k, v)]
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from scalars(v, "%s.%d" % (path, i)) if isinstance(v, (dict, list)) else [(path, None, v)]
