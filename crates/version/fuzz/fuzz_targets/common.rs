//! Shared checks: split the input into two or three versions and check the order's laws.

use std::cmp::Ordering;

use microscanner_version::VersionScheme;

/// Splits `data` at newlines into up to three versions; compares every pair both ways.
pub fn check(scheme: VersionScheme, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parts: Vec<&str> = text.splitn(3, '\n').collect();
    for a in &parts {
        if let Ok(o) = scheme.compare(a, a) {
            assert_eq!(o, Ordering::Equal, "{scheme} not reflexive on {a:?}");
        }
        let _ = scheme.is_strictly_valid(a);
        for b in &parts {
            let ab = scheme.compare(a, b);
            let ba = scheme.compare(b, a);
            if let (Ok(ab), Ok(ba)) = (ab, ba) {
                assert_eq!(ab, ba.reverse(), "{scheme} not antisymmetric on {a:?} {b:?}");
            }
        }
    }
    // Where the reference order is not transitive (see `maven::has_dot_qualifier` and the
    // `composer` module), neither is ours: check transitivity elsewhere.
    let transitive_domain = |v: &str| match scheme {
        VersionScheme::Maven => !microscanner_version::maven::has_dot_qualifier(v),
        VersionScheme::Composer => !v.contains('#'),
        _ => true,
    };
    if let [a, b, c] = parts[..]
        && parts.iter().all(|v| transitive_domain(v))
        && let (Ok(ab), Ok(bc), Ok(ac)) = (scheme.compare(a, b), scheme.compare(b, c), scheme.compare(a, c))
        && ab == bc
    {
        assert_eq!(ac, ab, "{scheme} not transitive on {a:?} {b:?} {c:?}");
    }
}
