#!/usr/bin/env python3
"""An independent oracle for the matcher and scan tests: which OSV advisories affect a package.

Reads "ECOSYSTEM<TAB>NAME<TAB>VERSION" lines on stdin, walks the OSV JSON files under the
directories given as arguments, and prints one JSON object per affected (package, advisory):
{"ecosystem", "name", "version", "id", "aliases", "fixed", "fixed_above"} where "fixed" is the
`fixed` event that closes the affected interval holding the version (null when none does) and
"fixed_above" every `fixed` event of the entry above the version, lowest first.

It shares no code with microscanner: PEP 440 comes from Python's `packaging` (the reference
implementation), SemVer 2.0 precedence is written out here from the spec, and the OSV evaluation
follows the schema's "Evaluation" section. Withdrawn records are skipped.
"""
import json
import os
import re
import sys

from packaging.version import InvalidVersion, Version


def semver_key(v):
    m = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?", v)
    if not m:
        raise ValueError(v)
    core = tuple(int(x) for x in m.group(1, 2, 3))
    pre = m.group(4)
    if pre is None:
        return (core, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (core, 0, ids)


def key_for(ecosystem, range_type):
    if range_type == "SEMVER" or ecosystem in ("Go", "crates.io"):
        return semver_key
    if ecosystem == "PyPI":
        return Version
    return None


def affected_by_range(events, version, key):
    """Returns (affected, closing_fixed) for one range."""
    zero = object()
    parsed = []
    for i, e in enumerate(events):
        (kind, v), = e.items()
        if kind == "limit":
            continue
        parsed.append((zero if v == "0" and kind == "introduced" else key(v), i, kind, v))
    parsed.sort(key=lambda t: (0, t[1]) if t[0] is zero else (1, t[0], t[1]))
    vk = key(version)
    state, intro, result = False, False, (False, None)
    for k, _, kind, v in parsed:
        if kind == "introduced":
            if k is zero or k <= vk:
                state = True
            elif state is False and result[0] is False:
                pass
        elif kind == "fixed":
            if k is not zero and k <= vk:
                state = False
            elif state:
                return (True, v)
        elif kind == "last_affected":
            if k < vk:
                state = False
            elif state:
                return (True, None)
    return (state, None)


def fixed_above(entry, ecosystem, version):
    found = {}
    for r in entry.get("ranges") or []:
        key = key_for(ecosystem, r.get("type"))
        if key is None or r.get("type") == "GIT":
            continue
        for e in r.get("events") or []:
            f = e.get("fixed")
            try:
                if f is not None and key(f) > key(version):
                    found[f] = key(f)
            except (ValueError, InvalidVersion, TypeError):
                continue
    return [f for f, _ in sorted(found.items(), key=lambda t: t[1])]


def evaluate(record, ecosystem, name, version):
    """Returns (affected, closing fixed version, the affected entry)."""
    for a in record.get("affected") or []:
        pkg = a.get("package") or {}
        if pkg.get("ecosystem") != ecosystem or norm(ecosystem, pkg.get("name", "")) != norm(ecosystem, name):
            continue
        if version in (a.get("versions") or []):
            fixed = None
            for r in a.get("ranges") or []:
                key = key_for(ecosystem, r.get("type"))
                if key is None or r.get("type") == "GIT":
                    continue
                try:
                    hit, f = affected_by_range(r.get("events") or [], version, key)
                except (ValueError, InvalidVersion):
                    continue
                if hit and f:
                    fixed = f
            return (True, fixed, a)
        for r in a.get("ranges") or []:
            if r.get("type") == "GIT":
                continue
            key = key_for(ecosystem, r.get("type"))
            if key is None:
                continue
            try:
                hit, fixed = affected_by_range(r.get("events") or [], version, key)
            except (ValueError, InvalidVersion):
                continue
            if hit:
                return (True, fixed, a)
    return (False, None, None)


def norm(ecosystem, name):
    return re.sub(r"[-_.]+", "-", name).lower() if ecosystem == "PyPI" else name


def main():
    wanted = [tuple(l.rstrip("\n").split("\t")) for l in sys.stdin if l.strip()]
    by_name = {}
    for eco, name, version in wanted:
        by_name.setdefault(norm(eco, name), []).append((eco, name, version))
    for root in sys.argv[1:]:
        for dirpath, _, files in os.walk(root):
            for f in files:
                if not f.endswith(".json"):
                    continue
                try:
                    with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                        record = json.load(fh)
                except (ValueError, OSError):
                    continue
                if not isinstance(record, dict) or record.get("withdrawn"):
                    continue
                names = {norm(p.get("ecosystem", ""), p.get("name", ""))
                         for p in ((a.get("package") or {}) for a in record.get("affected") or [])}
                for n in names & by_name.keys():
                    for eco, name, version in by_name[n]:
                        hit, fixed, entry = evaluate(record, eco, name, version)
                        if hit:
                            print(json.dumps({"ecosystem": eco, "name": name, "version": version,
                                              "id": record["id"], "aliases": record.get("aliases") or [],
                                              "fixed": fixed,
                                              "fixed_above": fixed_above(entry, eco, version)}))


if __name__ == "__main__":
    main()
