//! Merging advisories that are aliases of each other into one vulnerability.
//!
//! The advisories that matched one package, and their aliases, are the nodes of a graph whose
//! edges are "lists as alias"; each connected component (found with union-find) is one
//! vulnerability, reported once with every id. A DSA that fixes two CVEs joins them, as the
//! distro fixed them together. `related` ids are *not* edges: they name different issues (Rocky
//! and AlmaLinux list the CVEs an update fixes there).

use std::collections::HashMap;

use microscanner_model::{cmp_ids, cve_key};

/// One matched advisory: its id and the ids it lists as aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched<'a> {
    /// The advisory id.
    pub id: &'a str,
    /// Its aliases.
    pub aliases: &'a [String],
}

/// One vulnerability: a connected component of matched advisories and aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// The id reported: the CVE when there is one (the lowest if several), else the first
    /// matched advisory id.
    pub id: &'a str,
    /// Every other id of the component, sorted.
    pub aliases: Vec<&'a str>,
    /// Indexes (into the input) of the matched advisories in this component, in input order.
    pub members: Vec<usize>,
}

impl Group<'_> {
    /// Every id: the primary, then the aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id).chain(self.aliases.iter().copied())
    }

    /// The CVE ids of the group, lowest first.
    pub fn cves(&self) -> Vec<&str> {
        let mut cves: Vec<&str> = self.ids().filter(|id| cve_key(id).is_some()).collect();
        cves.sort_by(|a, b| cmp_ids(a, b));
        cves
    }
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    /// The root of `x`, halving the path on the way (indexes are always in range: nodes are
    /// only made by [`group`]; an out-of-range one is its own root rather than a panic).
    fn find(&mut self, mut x: usize) -> usize {
        loop {
            let parent = self.parent.get(x).copied().unwrap_or(x);
            if parent == x {
                return x;
            }
            let grand = self.parent.get(parent).copied().unwrap_or(parent);
            if let Some(slot) = self.parent.get_mut(x) {
                *slot = grand;
            }
            x = grand;
        }
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The lower index stays the root: components keep the order of first appearance.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            if let Some(slot) = self.parent.get_mut(hi) {
                *slot = lo;
            }
        }
    }
}

/// Groups matched advisories into vulnerabilities. `matched` should be in a deterministic order
/// (the matcher passes them sorted by id): "the first matched advisory" is the first in it.
pub fn group<'a>(matched: &[Matched<'a>]) -> Vec<Group<'a>> {
    let mut index: HashMap<&'a str, usize> = HashMap::new();
    let mut names: Vec<&'a str> = Vec::new();
    let mut node = |id: &'a str, names: &mut Vec<&'a str>| -> usize {
        *index.entry(id).or_insert_with(|| {
            names.push(id);
            names.len() - 1
        })
    };
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut member_node: Vec<usize> = Vec::with_capacity(matched.len());
    for m in matched {
        let a = node(m.id, &mut names);
        member_node.push(a);
        for alias in m.aliases.iter().map(|s| s.trim()).filter(|s| !s.is_empty() && *s != m.id) {
            let b = node(alias, &mut names);
            edges.push((a, b));
        }
    }
    let mut uf = UnionFind { parent: (0..names.len()).collect() };
    for (a, b) in edges {
        uf.union(a, b);
    }
    // Components in order of their first matched advisory.
    let mut by_root: HashMap<usize, usize> = HashMap::new();
    let mut groups: Vec<(Vec<usize>, Vec<&'a str>)> = Vec::new();
    for (i, &n) in member_node.iter().enumerate() {
        let root = uf.find(n);
        let g = *by_root.entry(root).or_insert_with(|| {
            groups.push((Vec::new(), Vec::new()));
            groups.len() - 1
        });
        if let Some(slot) = groups.get_mut(g) {
            slot.0.push(i);
        }
    }
    for (n, name) in names.iter().enumerate() {
        let root = uf.find(n);
        if let Some(&g) = by_root.get(&root)
            && let Some(slot) = groups.get_mut(g)
        {
            slot.1.push(*name);
        }
    }
    groups
        .into_iter()
        .filter_map(|(members, mut ids)| {
            let first = matched.get(*members.first()?)?.id;
            let primary = ids.iter().copied().filter(|id| cve_key(id).is_some()).min_by(|a, b| cmp_ids(a, b));
            let id = primary.unwrap_or(first);
            ids.retain(|x| *x != id);
            ids.sort_unstable();
            ids.dedup();
            Some(Group { id, aliases: ids, members })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn aliases_join_advisories_and_the_cve_is_the_id() {
        // Real ids: PYSEC-2023-120 and GHSA-45c4-8wx5-qw6w are CVE-2023-37276 (aiohttp).
        let pysec = s(&["CVE-2023-37276", "GHSA-45c4-8wx5-qw6w"]);
        let ghsa = s(&["CVE-2023-37276"]);
        let other = s(&[]);
        let matched = [
            Matched { id: "GHSA-45c4-8wx5-qw6w", aliases: &ghsa },
            Matched { id: "PYSEC-2023-120", aliases: &pysec },
            Matched { id: "PYSEC-2021-76", aliases: &other },
        ];
        let groups = group(&matched);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].id, "CVE-2023-37276");
        assert_eq!(groups[0].aliases, ["GHSA-45c4-8wx5-qw6w", "PYSEC-2023-120"]);
        assert_eq!(groups[0].members, [0, 1]);
        assert_eq!(groups[0].cves(), ["CVE-2023-37276"]);
        assert_eq!(groups[1].id, "PYSEC-2021-76");
        assert!(groups[1].aliases.is_empty());
    }

    #[test]
    fn transitive_links_merge_and_the_lowest_cve_wins() {
        // A DSA fixing two CVEs joins them; a DLA naming one of them joins the same group.
        let dsa = s(&["CVE-2022-42332", "CVE-2022-23824"]);
        let dla = s(&["CVE-2022-42332"]);
        let matched = [Matched { id: "DLA-1-1", aliases: &dla }, Matched { id: "DSA-5378-1", aliases: &dsa }];
        let groups = group(&matched);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].id, "CVE-2022-23824");
        assert_eq!(groups[0].aliases, ["CVE-2022-42332", "DLA-1-1", "DSA-5378-1"]);
        assert_eq!(groups[0].ids().count(), 4);
    }

    #[test]
    fn cves_order_numerically() {
        use std::cmp::Ordering;

        assert_eq!(cmp_ids("CVE-2021-9999", "CVE-2021-10000"), Ordering::Less);
        assert_eq!(cmp_ids("CVE-2020-99999", "CVE-2021-1"), Ordering::Less);
        assert_eq!(cmp_ids("CVE-2021-1", "GHSA-x"), Ordering::Less);
        let many = s(&["CVE-2021-10000", "CVE-2021-9999"]);
        let g = group(&[Matched { id: "RUSTSEC-2021-0001", aliases: &many }]);
        assert_eq!(g[0].id, "CVE-2021-9999");
        assert_eq!(g[0].cves(), ["CVE-2021-9999", "CVE-2021-10000"]);
    }

    #[test]
    fn a_matched_cve_is_its_own_id_and_self_aliases_are_ignored() {
        let own = s(&["CVE-2023-1393", " "]);
        let g = group(&[Matched { id: "CVE-2023-1393", aliases: &own }]);
        assert_eq!(g[0].id, "CVE-2023-1393");
        assert!(g[0].aliases.is_empty());
    }
}
