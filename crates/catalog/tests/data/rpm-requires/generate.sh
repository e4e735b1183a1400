#!/usr/bin/env bash
# Writes cbl-mariner-2.0.tsv from the real rpm (4.18) over the SQLite rpmdb of
# ../shared/fixtures/pkgdb-go-rpmdb: one line per installed package and requirement (rpmlib(...)
# left out), with the names of the installed packages that provide it, comma-separated, as
# `rpm --whatprovides` answers (empty when none does).
#   bash crates/catalog/tests/data/rpm-requires/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
cp "$here/../../../../../../shared/fixtures/pkgdb-go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite" "$db/"
rpm --dbpath "$db" -qa --qf '[%{=NAME}\t%{REQUIRENAME}\n]' | grep -v $'\trpmlib(' | LC_ALL=C sort -u |
  while IFS=$'\t' read -r name req; do
    providers=$(rpm --dbpath "$db" -q --whatprovides --qf '%{NAME}\n' -- "$req" 2>/dev/null | LC_ALL=C sort -u | paste -sd, || true)
    case $providers in *"no package provides"*) providers= ;; esac
    printf '%s\t%s\t%s\n' "$name" "$req" "$providers"
  done >"$here/cbl-mariner-2.0.tsv"
