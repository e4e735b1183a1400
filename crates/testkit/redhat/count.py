# Counts the (ecosystem, package) fix states microscanner's Red Hat VEX importer should keep from a
# CSAF VEX document, read independently of it (see README.md). Usage: python3 count.py FILE
# The rules: rpm components (not src) of cpe:/[oa]:redhat:enterprise_linux:N platforms, directly or
# through a module stream (pkg:rpmmod) of such a platform, or with an rpmmod= qualifier (the
# stream's ecosystem, `Red Hat:enterprise_linux:9:module:redis:7`); printed: each (ecosystem,
# package) with every state (and fixed version) its products have.
import json, re, sys
from urllib.parse import unquote
d = json.load(open(sys.argv[1], encoding='utf-8'))
helpers = {}
def walk(b):
    for x in b:
        p = x.get('product')
        if p and p['product_id'] not in helpers:
            helpers[p['product_id']] = p.get('product_identification_helper', {})
        walk(x.get('branches', []))
walk(d['product_tree']['branches'])
def release(pid):
    m = re.match(r'cpe:/[oa]:redhat:enterprise_linux:(\d+)', helpers.get(pid, {}).get('cpe', ''))
    return f"Red Hat:enterprise_linux:{m.group(1)}" if m else None
rels = d['product_tree']['relationships']
streams = {}
for r in rels:
    purl = helpers.get(r['product_reference'], {}).get('purl', '')
    rel = release(r['relates_to_product_reference'])
    if purl.startswith('pkg:rpmmod/') and rel:
        name, ver = purl.split('/')[-1].split('@')
        streams[r['full_product_name']['product_id']] = f"{rel}:module:{name}:{ver.split(':')[0]}"
comp = {}
for r in rels:
    purl = helpers.get(r['product_reference'], {}).get('purl', '')
    plat = r['relates_to_product_reference']
    eco = release(plat) or streams.get(plat)
    if not eco or not purl.startswith('pkg:rpm/'):
        continue
    path, _, q = purl[len('pkg:rpm/'):].partition('?')
    qs = dict(x.split('=', 1) for x in q.split('&') if '=' in x)
    if qs.get('arch') == 'src':
        continue
    name, _, ver = path.split('/')[-1].partition('@')
    ver = unquote(ver) or None
    if 'rpmmod' in qs and eco.count(':') == 2:
        eco = f"{eco}:module:{':'.join(unquote(qs['rpmmod']).split(':')[:2])}"
    if ver and qs.get('epoch', '0') != '0':
        ver = qs['epoch'] + ':' + ver
    comp[r['full_product_name']['product_id']] = (eco, name, ver)
v = d['vulnerabilities'][0]
states = {}
for state, ids in v.get('product_status', {}).items():
    for i in ids:
        if i in comp and (state != 'fixed' or comp[i][2]):
            states.setdefault(comp[i][:2], set()).add((state, comp[i][2] if state == 'fixed' else None))
print('product_status keys:', sorted(v.get('product_status', {})))
print('remediation categories:', sorted({r['category'] for r in v.get('remediations', [])}))
print('kept (ecosystem, package) pairs:', len(states))
from collections import Counter
print('per state:', Counter(s for ss in states.values() for s, _ in ss))
print('per ecosystem:', sorted(Counter(e for e, _ in states).items()))
for (e, n), ss in sorted(states.items()):
    print(e, n, sorted(ss))
