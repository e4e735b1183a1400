#!/usr/bin/env python3
"""Writes big-but-valid inputs for bench/big-inputs.sh (issue 23): each is valid, under every
size bound, and large in one count that comes from the input. Sizes are scaled by --scale so the
script can show how time grows with the count (linear: x2 per doubling).

  big_inputs.py OUT KIND N
    dpkg     N stanzas in OUT/var/lib/dpkg/status (+ a Debian 12 os-release)
    npmlock  N entries in OUT/app/package-lock.json (lockfileVersion 3)
    layer    an OCI layout at OUT with one gzip layer of N empty files
    events   an OSV feed dir at OUT/feed with one PyPI advisory of N range events, and a rootfs at
             OUT/root with the affected package installed (dist-info METADATA)
    affected the same with one advisory of N `affected` entries
    allzip   an OSV all.zip at OUT/feed/PyPI/all.zip with N small records
    debian-tracker
             a Debian security tracker export at OUT/feed/debian-tracker.json with N CVE entries
             (about 800 bytes each, in four releases): a tenth in one big package (as `linux`), the
             rest 20 a package, each package also listing the previous one's first CVE
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def dpkg(out, n):
    write(os.path.join(out, "etc/os-release"), OS_RELEASE)
    path = os.path.join(out, "var/lib/dpkg/status")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for i in range(n):
            # a short stanza (about 230 bytes), so 250,000 stay under the 64 MiB status bound
            f.write(
                f"Package: pkg{i}\nStatus: install ok installed\nPriority: optional\nSection: libs\n"
                f"Installed-Size: {i % 997}\nArchitecture: amd64\nSource: src{i // 4}\n"
                f"Version: 1.{i % 50}-{i % 7}\nDescription: package {i}\n\n"
            )


def npmlock(out, n):
    packages = {"": {"name": "app", "version": "1.0.0"}}
    for i in range(n):
        # version only (about 45 bytes an entry), so 1,000,000 stay under the lockfile bound
        packages[f"node_modules/pkg{i}"] = {"version": f"1.{i % 100}.{i % 7}"}
    write(os.path.join(out, "etc/os-release"), OS_RELEASE)
    write(
        os.path.join(out, "app/package-lock.json"),
        json.dumps({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": packages}),
    )


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs/sha256", digest), "wb") as f:
        f.write(data)
    return f"sha256:{digest}", len(data)


def layer(out, n):
    os.makedirs(os.path.join(out, "blobs/sha256"), exist_ok=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, text in (("etc/os-release", OS_RELEASE),):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
        for i in range(n):
            info = tarfile.TarInfo(f"data/d{i // 1000}/f{i}")
            tar.addfile(info)
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    gz = gzip.compress(raw.getvalue(), compresslevel=1)
    layer_digest, layer_size = blob(out, gz)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "bench"}],
    }).encode()
    config_digest, config_size = blob(out, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}],
    }).encode()
    manifest_digest, manifest_size = blob(out, manifest)
    write(os.path.join(out, "oci-layout"), json.dumps({"imageLayoutVersion": "1.0.0"}))
    write(os.path.join(out, "index.json"), json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
                       "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }))


def installed(out, name, version):
    write(os.path.join(out, "root/etc/os-release"), OS_RELEASE)
    write(
        os.path.join(out, f"root/usr/lib/python3/dist-packages/{name}-{version}.dist-info/METADATA"),
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    )


def advisory(ident, affected):
    return {"schema_version": "1.6.0", "id": ident, "modified": "2026-11-01T00:00:00Z",
            "published": "2026-11-01T00:00:00Z", "aliases": [], "summary": "bench advisory",
            "affected": affected}


def events(out, n):
    evs = [{"introduced": "0"}]
    for i in range(1, n // 2):
        evs.append({"fixed": f"1.{i}.0"})
        evs.append({"introduced": f"1.{i}.1"})
    affected = [{"package": {"ecosystem": "PyPI", "name": "benchpkg"},
                 "ranges": [{"type": "ECOSYSTEM", "events": evs}]}]
    write(os.path.join(out, "feed/PYSEC-2026-1.json"), json.dumps(advisory("PYSEC-2026-1", affected)))
    installed(out, "benchpkg", "0.5")


def affected(out, n):
    entries = []
    for i in range(n):
        entries.append({"package": {"ecosystem": "PyPI", "name": "benchpkg"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": f"0.{i}"}, {"fixed": f"2.{i}"}]}]})
    write(os.path.join(out, "feed/PYSEC-2026-2.json"), json.dumps(advisory("PYSEC-2026-2", entries)))
    installed(out, "benchpkg", "1.5")


def allzip(out, n):
    path = os.path.join(out, "feed/PyPI/all.zip")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(n):
            rec = advisory(f"PYSEC-2026-{i}", [{"package": {"ecosystem": "PyPI", "name": f"pkg{i % 5000}"},
                                                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"1.{i % 90}"}]}]}])
            z.writestr(f"PYSEC-2026-{i}.json", json.dumps(rec))


TRACKER_RELEASES = ("bookworm", "bullseye", "sid", "trixie")


def tracker_entry(i):
    releases = {}
    for r, name in enumerate(TRACKER_RELEASES):
        rel = {"status": "resolved", "repositories": {name: f"1.{i % 90}-1"}, "fixed_version": f"1.{i % 90}-{r}",
               "urgency": ("low", "medium", "high", "not yet assigned")[(i + r) % 4]}
        if (i + r) % 7 == 0:
            rel = {"status": "open", "repositories": {name: f"1.{i % 90}-1"}, "urgency": "low",
                   "nodsa": "Minor issue", "nodsa_reason": "ignored"}
        releases[name] = rel
    return {"description": f"Bench vulnerability {i}: a buffer overflow in a parser allows remote attackers to "
                           f"cause a denial of service via a crafted file ({'x' * (i % 60)}).",
            "scope": "remote", "debianbug": 1000000 + i, "releases": releases}


def debian_tracker(out, n):
    path = os.path.join(out, "feed/debian-tracker.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    big = n // 10
    packages = {"linux": range(big)}
    rest = list(range(big, n))
    for start in range(0, len(rest), 20):
        packages[f"pkg{start // 20}"] = rest[start:start + 20]
    with open(path, "w") as f:
        # written package by package: the generator itself stays small
        f.write("{")
        previous = None
        for p, (name, cves) in enumerate(packages.items()):
            entries = {f"CVE-2026-{i}": tracker_entry(i) for i in cves}
            if previous is not None:
                entries[f"CVE-2026-{previous}"] = tracker_entry(previous)
            previous = cves[0] if len(cves) else None
            f.write(("," if p else "") + json.dumps(name) + ":" + json.dumps(entries))
        f.write("}")


def main():
    out, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    kinds = {"dpkg": dpkg, "npmlock": npmlock, "layer": layer, "events": events, "affected": affected,
             "allzip": allzip, "debian-tracker": debian_tracker}
    kinds[kind](out, n)


if __name__ == "__main__":
    main()
