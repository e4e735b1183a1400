#!/usr/bin/env python3
"""A 10,000-package inventory (microscanner inventory JSON, for `scan sbom:FILE`) drawn from a
database's real affected entries, as crates/matcher/benches/match.rs draws its own: Debian 10
sources (three binaries each), Go, crates.io, PyPI, Maven and npm names at their newest fixed
version (one in eight at its oldest), the rest names no advisory mentions.

    python3 bench/inventory10k.py FIXTURE.db > inventory.json
"""
import json
import sqlite3
import sys

KIND = {"Debian:10": "deb", "Go": "golang", "crates.io": "cargo", "PyPI": "pypi", "Maven": "maven", "npm": "npm"}
PURL = {"deb": "deb/debian", "golang": "golang", "cargo": "cargo", "pypi": "pypi", "maven": "maven", "npm": "npm"}


def main():
    conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    names = {}
    for eco, name, ranges in conn.execute(
            "SELECT ecosystem, name, ranges FROM affected WHERE ecosystem IN "
            "('Debian:10','Go','crates.io','PyPI','Maven','npm') ORDER BY ecosystem, name, advisory_id"):
        vs = names.setdefault((eco, name), [])
        for r in json.loads(ranges):
            for e in r.get("events", []):
                v = e.get("fixed") or e.get("last_affected")
                if v:
                    vs.append(v)
    pkgs = []

    def add(kind, name, version, location):
        pname = name.replace(":", "/") if kind == "maven" else name
        pkgs.append({"kind": kind, "name": name, "version": version, "purl": f"pkg:{PURL[kind]}/{pname}@{version}",
                     "location": location, "evidence": "installed"})
    for i, ((eco, name), vs) in enumerate(sorted(names.items())):
        if not vs:
            continue
        v = vs[0] if i % 8 == 0 else vs[-1]
        kind = KIND[eco]
        if kind == "deb":
            for b in (name, f"lib{name}1", f"{name}-common"):
                add(kind, b, v, "/var/lib/dpkg/status")
                pkgs[-1]["source_name"] = name
        else:
            add(kind, name, v, "/app/a.lock")
            add(kind, name, v, "/app/b.lock")
    i = 0
    while len(pkgs) < 10000:
        add(["deb", "pypi", "npm", "cargo"][i % 4], f"unlisted-package-{i}", f"1.{i % 20}.{i % 7}", "/app/c.lock")
        i += 1
    doc = {"schema_version": "1.0", "tool": {"name": "bench", "version": "1"}, "created": "2025-12-06T00:00:00Z",
           "image": {"name": "bench-10k", "source": "sbom", "layers": []},
           "os": {"family": "debian", "version": "10", "ecosystem": "Debian:10", "evidence": "/etc/os-release"},
           "packages": pkgs[:10000], "diagnostics": []}
    json.dump(doc, sys.stdout)


if __name__ == "__main__":
    main()
