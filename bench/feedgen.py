#!/usr/bin/env python3
"""A full-size synthetic feed set for benchmarks, made from the real records in ../shared/fixtures.

    python3 bench/feedgen.py --out DIR [--scale 0.1] [--seed 1] [--next-day] [--jobs 2]

Writes, under DIR, the layout of `microscanner db update --source DIR` (the upstream paths), which
`microscanner db build --from DIR` reads too:

    DIR/<Ecosystem>/all.zip                           osv.dev's per-ecosystem export, one record a file
    DIR/nvd/nvdcve-2.0-page-NNNN.json                 NVD CVE API 2.0 pages of 2,000 CVEs
    DIR/sites/default/files/feeds/known_exploited_vulnerabilities.json   CISA KEV
    DIR/epss_scores-current.csv.gz                    EPSS (comment line, cve,epss,percentile)

Every record is a real fixture record (OSV: Go, crates.io, PyPI and AlmaLinux complete sets, the
npm/Maven/RubyGems/NuGet/Packagist/Debian/Ubuntu/Alpine/Rocky/Red Hat/Wolfi/Chainguard/Bitnami
samples; NVD: the ~90 API 2.0 records; KEV: the complete 2025-08-25 catalog; EPSS: the fixture
rows' scores) copied with its id renumbered, its CVE aliases pointed at the synthetic NVD ids, the
package name varied (`name`, `name-s1`, `name-s2`...) and its versions shifted (the first number
of every version of a record moved by the same amount, so ranges stay ordered). Debian and
Ubuntu records get one affected entry per release (Debian 10-13; Ubuntu 18.04-24.04), with real
source package names and fixed versions from the tracker's DSA/DLA lists. Ecosystems with no
fixture record take the records of the nearest family (SUSE/openSUSE: AlmaLinux's rpm records;
Hex/Pub/Julia/ConanCenter: crates.io's), with the ecosystem renamed and the purl dropped.

Sizes at --scale 1: ~550,000 OSV records in the proportions of osv.dev's ecosystems (OSV_COUNTS),
300,000 NVD CVEs, one EPSS row per CVE, KEV's 1,404 entries. Deterministic from --seed: the same
seed and scale give the same bytes (zip entries carry a fixed date).

--next-day writes the set of the day after (the same seed): 0.5% of the OSV records, NVD CVEs and
EPSS rows changed (OSV: `modified` bumped and a fixed version or a severity changed; NVD:
`lastModified` bumped and its first CVSS score changed; EPSS: the score changed, and the file's
score date is the next day, as the real file's is), and --added (300) new OSV records, each with a
new CVE in NVD and EPSS.
"""

import argparse
import csv
import gzip
import io
import json
import multiprocessing
import os
import random
import re
import sys
import zipfile
import zlib

# Approximate numbers of records per ecosystem on osv.dev (late 2025; npm is mostly the MAL-
# malicious-package reports), for the ecosystems `db update` fetches (DEFAULT_OSV_ECOSYSTEMS);
# scaled so they sum to OSV_TOTAL.
OSV_COUNTS = {
    "npm": 205000, "PyPI": 16000, "Maven": 6000, "Go": 5000, "crates.io": 2000, "RubyGems": 1100,
    "Packagist": 4500, "NuGet": 1100, "Pub": 70, "Hex": 160, "SwiftURL": 60, "ConanCenter": 60,
    "Julia": 100, "Debian": 60000, "Ubuntu": 55000, "Alpine": 40000, "SUSE": 45000,
    "openSUSE": 20000, "Red Hat": 20000, "AlmaLinux": 6000, "Rocky Linux": 4000,
    "Chainguard": 18000, "Wolfi": 13000, "Bitnami": 8000,
}
OSV_TOTAL = 550_000
NVD_TOTAL = 300_000
NVD_PAGE = 2000
CHANGED = 0.005
DAY = "2025-12-06"
NEXT_DAY = "2025-12-07"
ZIP_DATE = (2025, 12, 6, 0, 0, 0)

# Ecosystems without fixture records: the family whose records stand in, and the ecosystem
# names (with releases) they are given.
FAMILY = {
    "SUSE": ("AlmaLinux", ["SUSE:Linux Enterprise Server 15 SP5", "SUSE:Linux Enterprise Server 15 SP6",
                           "SUSE:Linux Enterprise Server 12 SP5"]),
    "openSUSE": ("AlmaLinux", ["openSUSE:Leap 15.5", "openSUSE:Leap 15.6", "openSUSE:Tumbleweed"]),
    "Hex": ("crates.io", ["Hex"]),
    "Pub": ("crates.io", ["Pub"]),
    "Julia": ("crates.io", ["Julia"]),
    "ConanCenter": ("crates.io", ["ConanCenter"]),
}
RELEASES = {
    "Debian": ["Debian:10", "Debian:11", "Debian:12", "Debian:13"],
    "Ubuntu": ["Ubuntu:18.04:LTS", "Ubuntu:20.04:LTS", "Ubuntu:22.04:LTS", "Ubuntu:24.04:LTS"],
    "Alpine": ["Alpine:v3.18", "Alpine:v3.19", "Alpine:v3.20", "Alpine:v3.21"],
}
OSV_DIRS = ["osv-go-vulndb", "osv-rustsec", "osv-pypi-pypa/json", "osv-almalinux", "osv-samples", "osv-ghsa-subset",
            "feeds-osv-dev-testdata", "feeds-vunnel-fixtures", "feeds-vuls-data-update-fixtures",
            "feeds-trivy-db-fixtures", "feeds-vuln-list-update-fixtures"]
CVE_RE = re.compile(r"^CVE-\d{4}-\d+$")
DIGITS = re.compile(r"\d+")


def base_of(ecosystem):
    return ecosystem.split(":")[0]


def osv_records(fixtures):
    """Every OSV record in the fixture folders (JSON files, lists, and all.zip members)."""
    def from_doc(doc):
        docs = doc if isinstance(doc, list) else doc.get("vulns", [doc]) if isinstance(doc, dict) else []
        for r in docs:
            if isinstance(r, dict) and isinstance(r.get("id"), str) and r.get("affected"):
                yield r
    for d in OSV_DIRS:
        for root, _, files in sorted(os.walk(os.path.join(fixtures, d))):
            for f in sorted(files):
                p = os.path.join(root, f)
                try:
                    if f.endswith(".json"):
                        with open(p, "rb") as fh:
                            yield from from_doc(json.load(fh))
                    elif f.endswith(".zip"):
                        with zipfile.ZipFile(p) as z:
                            for n in sorted(z.namelist()):
                                if n.endswith(".json"):
                                    yield from from_doc(json.loads(z.read(n)))
                except (ValueError, zipfile.BadZipFile, UnicodeDecodeError, OSError):
                    continue


def nvd_records(fixtures):
    """Every NVD API 2.0 CVE object in the fixtures."""
    seen = {}
    for root, _, files in sorted(os.walk(fixtures)):
        if "/pkgdb" in root:
            continue
        for f in sorted(files):
            if not f.endswith(".json"):
                continue
            try:
                with open(os.path.join(root, f), "rb") as fh:
                    doc = json.load(fh)
            except (ValueError, UnicodeDecodeError, OSError):
                continue
            if isinstance(doc, dict) and doc.get("format") == "NVD_CVE":
                for v in doc.get("vulnerabilities") or []:
                    cve = v.get("cve") if isinstance(v, dict) else None
                    if isinstance(cve, dict) and isinstance(cve.get("id"), str):
                        seen.setdefault(cve["id"], cve)
    return [seen[k] for k in sorted(seen)]


def debian_fixes(fixtures):
    """(source package, fixed version) pairs of the tracker's DSA and DLA lists."""
    out = []
    for kind in ("DSA", "DLA"):
        path = os.path.join(fixtures, "debian-security-tracker/CVEDB-mirror/data", kind, "list")
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = re.match(r"^\s+\[\w+\] - (\S+) (\d\S*)", line)
                if m:
                    out.append((m.group(1), m.group(2)))
    return sorted(set(out))


def cve_id(k):
    """The synthetic NVD's k-th CVE id."""
    return f"CVE-{1999 + k % 27}-{100000 + k}"


def shift_version(v, d):
    if d == 0 or not isinstance(v, str) or v in ("0", ""):
        return v
    return DIGITS.sub(lambda m: str(int(m.group()) + d), v, count=1)


def bump_last_number(v):
    if not isinstance(v, str):
        return v
    ms = list(DIGITS.finditer(v))
    if not ms:
        return v + ".1"
    m = ms[-1]
    return v[:m.start()] + str(int(m.group()) + 1) + v[m.end():]


def vary_name(eco, name, variant):
    if variant == 0:
        return name
    return f"{name}-s{variant}"


class Plan:
    """What one ecosystem's generator needs (picklable for the worker processes)."""

    def __init__(self, eco, index, count, templates, fixes, nvd_n, seed, next_day, added, added_from):
        self.eco, self.index, self.count, self.templates = eco, index, count, templates
        self.added_from = added_from
        self.fixes, self.nvd_n, self.seed, self.next_day, self.added = fixes, nvd_n, seed, next_day, added


def changed(seed, kind, i):
    return random.Random(f"{seed}:next:{kind}:{i}").random() < CHANGED


def osv_record(plan, i):
    """The i-th record of an ecosystem (day N); and, on the next day, its changed form."""
    rng = random.Random(f"{plan.seed}:{plan.eco}:{i}")
    t = json.loads(plan.templates[rng.randrange(len(plan.templates))])
    prefix = re.match(r"^([A-Za-z]+(?:-CVE)?)", t["id"]).group(1).upper()
    t["id"] = f"{prefix}-S{plan.seed}-{plan.index:02d}{i:07d}"
    cves = [cve_id(rng.randrange(plan.nvd_n)) for _ in range(max(1, len([a for a in t.get("aliases") or []
                                                                         if CVE_RE.match(a)])))]
    if i >= plan.count:  # added on the next day: a CVE of its own, added to NVD and EPSS too
        cves = [cve_id(plan.nvd_n + plan.added_from + (i - plan.count))]
    for key in ("aliases", "upstream", "related"):
        if key in t:
            t[key] = cves if key == "aliases" else [c for c in cves] if key == "upstream" else []
    if "aliases" not in t:
        t["aliases"] = cves
    # Names: about two records per package, the first variant keeping the real name.
    variants = max(1, plan.count // (2 * len(plan.templates)))
    variant = rng.randrange(variants)
    d = rng.choice((0, 0, 1, 2))
    family = FAMILY.get(plan.eco)
    releases = RELEASES.get(plan.eco)
    affected = []
    first = t["affected"]
    family_eco = family[1][rng.randrange(len(family[1]))] if family else None
    if releases:
        # One entry per release, with a real Debian source package and its fixed version.
        pkg, fixed = plan.fixes[rng.randrange(len(plan.fixes))]
        pkg = vary_name(plan.eco, pkg, variant)
        proto = first[0]
        for rel in rng.sample(releases, rng.randint(1, len(releases))):
            e = json.loads(json.dumps(proto))
            e["package"] = {"ecosystem": rel, "name": pkg}
            e["ranges"] = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": shift_version(fixed, d)}]}]
            e["versions"] = [shift_version(v, d) for v in e.get("versions") or []]
            affected.append(e)
    else:
        for e in first:
            pkg = e.get("package") or {}
            if not isinstance(pkg.get("name"), str):
                continue
            pkg["name"] = vary_name(plan.eco, pkg["name"], variant)
            if family:
                pkg["ecosystem"] = family_eco
                pkg.pop("purl", None)
            elif variant or d:
                pkg.pop("purl", None)
            for r in e.get("ranges") or []:
                if r.get("type") == "GIT":
                    continue
                for ev in r.get("events") or []:
                    for k in list(ev):
                        ev[k] = shift_version(ev[k], d)
            if isinstance(e.get("versions"), list):
                e["versions"] = [shift_version(v, d) for v in e["versions"]]
            affected.append(e)
    t["affected"] = affected
    if plan.next_day and (i >= plan.count or changed(plan.seed, plan.eco, i)):
        t["modified"] = f"{NEXT_DAY}T06:00:00Z"
        if i < plan.count:
            sev = [s for s in t.get("severity") or [] if isinstance(s.get("score"), str) and "/A:" in s["score"]]
            if sev and i % 2 == 0:
                s = sev[0]["score"]
                sev[0]["score"] = s.replace("/A:H", "/A:L") if "/A:H" in s else re.sub(r"/A:[NL]", "/A:H", s)
            else:
                for e in affected:
                    for r in e.get("ranges") or []:
                        for ev in r.get("events") or []:
                            if "fixed" in ev:
                                ev["fixed"] = bump_last_number(ev["fixed"])
                                break
                    break
    return t


def write_osv(plan, out):
    path = os.path.join(out, plan.eco, "all.zip")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    total = plan.count + (plan.added if plan.next_day else 0)
    with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for i in range(total):
            r = osv_record(plan, i)
            info = zipfile.ZipInfo(f"{r['id']}.json", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, json.dumps(r, separators=(",", ":")))
    os.replace(path + ".tmp", path)
    return plan.eco, total


def nvd_cve(templates, seed, k, next_day, new):
    rng = random.Random(f"{seed}:nvd:{k}")
    c = json.loads(templates[rng.randrange(len(templates))])
    c["id"] = cve_id(k)
    if next_day and (new or changed(seed, "nvd", k)):
        c["lastModified"] = f"{NEXT_DAY}T06:00:00.000"
        c["vulnStatus"] = "Received" if new else "Modified"
        for metrics in (c.get("metrics") or {}).values():
            for m in metrics:
                data = m.get("cvssData") or {}
                if isinstance(data.get("baseScore"), (int, float)):
                    data["baseScore"] = round(max(0.0, data["baseScore"] - 0.1), 1)
                    break
            break
    return c


def write_nvd(args):
    templates, seed, n, extra, next_day, out, page_from, page_to = args
    total = n + extra
    os.makedirs(os.path.join(out, "nvd"), exist_ok=True)
    for page in range(page_from, page_to):
        start = page * NVD_PAGE
        items = [{"cve": nvd_cve(templates, seed, k, next_day, k >= n)} for k in range(start, min(total, start + NVD_PAGE))]
        doc = {"resultsPerPage": len(items), "startIndex": start, "totalResults": total, "format": "NVD_CVE",
               "version": "2.0", "timestamp": f"{NEXT_DAY if next_day else DAY}T06:00:00.000", "vulnerabilities": items}
        path = os.path.join(out, "nvd", f"nvdcve-2.0-page-{page:04d}.json")
        with open(path + ".tmp", "w") as fh:
            json.dump(doc, fh, separators=(",", ":"))
        os.replace(path + ".tmp", path)
    return "nvd", page_to - page_from


def write_epss(scores, seed, n, extra, next_day, out):
    path = os.path.join(out, "epss_scores-current.csv.gz")
    with gzip.GzipFile(path + ".tmp", "wb", compresslevel=6, mtime=0) as gz:
        w = io.TextIOWrapper(gz, encoding="ascii", newline="")
        w.write(f"#model_version:v2025.03.14,score_date:{NEXT_DAY if next_day else DAY}T00:00:00+0000\n")
        w.write("cve,epss,percentile\n")
        rows = csv.writer(w, lineterminator="\n")
        for k in range(n + extra):
            rng = random.Random(f"{seed}:epss:{k}")
            score, pct = scores[rng.randrange(len(scores))]
            if next_day and k < n and changed(seed, "epss", k):
                score = f"{min(1.0, float(score) * 1.1 + 0.00001):.5f}"
            rows.writerow([cve_id(k), score, pct])
        w.flush()
        w.detach()
    os.replace(path + ".tmp", path)


def write_kev(fixtures, seed, nvd_n, scale, out):
    with open(os.path.join(fixtures, "kev-cisa/known_exploited_vulnerabilities.json"), "rb") as fh:
        doc = json.load(fh)
    vulns = doc["vulnerabilities"][: max(1, round(len(doc["vulnerabilities"]) * min(1.0, scale)))]
    rng = random.Random(f"{seed}:kev")
    picked = rng.sample(range(nvd_n), min(nvd_n, len(vulns)))
    for v, k in zip(vulns, picked):
        v["cveID"] = cve_id(k)
    doc["vulnerabilities"] = vulns
    doc["count"] = len(vulns)
    path = os.path.join(out, "sites/default/files/feeds/known_exploited_vulnerabilities.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)


def epss_scores(fixtures):
    d = os.path.join(fixtures, "feeds-vuls-data-update-fixtures/pkg/fetch/epss/testdata/fixtures")
    out = []
    for f in sorted(os.listdir(d)):
        with gzip.open(os.path.join(d, f), "rt") as fh:
            for line in fh:
                parts = line.strip().split(",")
                if len(parts) == 3 and parts[0].startswith("CVE-"):
                    out.append((parts[1], parts[2]))
    return out


def run(job):
    kind = job[0]
    if kind == "osv":
        return write_osv(job[1], job[2])
    return write_nvd(job[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory to write the feed set into (created)")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (0.1: a tenth)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--next-day", action="store_true", help="write the set of the day after")
    ap.add_argument("--added", type=int, default=300, help="OSV records (and CVEs) added on the next day")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--fixtures", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/fixtures"))
    a = ap.parse_args()
    if not 0 < a.scale <= 4:
        sys.exit("feedgen: --scale must be in (0, 4]")
    fixtures = os.path.normpath(a.fixtures)
    os.makedirs(a.out, exist_ok=True)

    by_eco = {}
    seen = set()
    for r in osv_records(fixtures):
        # A record naming several ecosystems is a template of each, with that one's entries.
        ecos = sorted({base_of(((e or {}).get("package") or {}).get("ecosystem", "")) for e in r["affected"]})
        for eco in ecos:
            if (eco, r["id"]) in seen or eco not in OSV_COUNTS:
                continue
            seen.add((eco, r["id"]))
            one = dict(r, affected=[e for e in r["affected"]
                                    if base_of(((e or {}).get("package") or {}).get("ecosystem", "")) == eco])
            by_eco.setdefault(eco, []).append(json.dumps(one, sort_keys=True))
    nvd_t = [json.dumps(c, sort_keys=True) for c in nvd_records(fixtures)]
    fixes = debian_fixes(fixtures)
    nvd_n = max(1, round(NVD_TOTAL * a.scale))
    factor = OSV_TOTAL / sum(OSV_COUNTS.values()) * a.scale
    # The next day's added OSV records, spread over the ecosystems by their share.
    shares = {e: c / sum(OSV_COUNTS.values()) for e, c in OSV_COUNTS.items()}
    added = {e: int(a.added * s) for e, s in shares.items()}
    added["npm"] += a.added - sum(added.values())
    plans = []
    added_from = 0
    for index, (eco, count) in enumerate(OSV_COUNTS.items()):
        src = FAMILY.get(eco, (eco,))[0]
        templates = by_eco.get(src)
        if not templates:
            sys.exit(f"feedgen: no fixture record of {src} under {fixtures}")
        n = max(1, round(count * factor))
        plans.append(Plan(eco, index, n, templates, fixes, nvd_n, a.seed, a.next_day, added[eco], added_from))
        added_from += added[eco]
    # CVEs added on the next day: one per added OSV record, after the day's nvd_n (see osv_record).
    extra = a.added if a.next_day else 0
    pages = (nvd_n + extra + NVD_PAGE - 1) // NVD_PAGE
    jobs = [("osv", p, a.out) for p in sorted(plans, key=lambda p: -p.count)]
    step = max(1, pages // 8)
    jobs += [("nvd", (nvd_t, a.seed, nvd_n, extra, a.next_day, a.out, s, min(pages, s + step)))
             for s in range(0, pages, step)]
    with multiprocessing.Pool(a.jobs) as pool:
        for name, n in pool.imap_unordered(run, jobs):
            print(f"  {name}: {n}", file=sys.stderr)
    write_epss(epss_scores(fixtures), a.seed, nvd_n, extra, a.next_day, a.out)
    write_kev(fixtures, a.seed, nvd_n, a.scale, a.out)
    osv_total = sum(p.count + (p.added if a.next_day else 0) for p in plans)
    print(f"feedgen: {osv_total} OSV records in {len(plans)} ecosystems, {nvd_n + extra} NVD CVEs "
          f"({extra} new), {nvd_n + extra} EPSS rows, KEV; seed {a.seed}, scale {a.scale}"
          f"{', next day' if a.next_day else ''} -> {a.out}")


if __name__ == "__main__":
    main()
