//! Property tests: every scheme is a total order (reflexive, antisymmetric, transitive) on
//! generated versions and on versions sampled from the fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)] // test code

use crate::common;

use std::cmp::Ordering;
use std::sync::OnceLock;

use microscanner_version::VersionScheme;
use proptest::prelude::*;

/// Version-shaped strings for `scheme`: the well-formed shape, plus looser junk for the schemes
/// that order every string.
fn generated(scheme: VersionScheme) -> &'static str {
    match scheme {
        VersionScheme::Dpkg => "([0-9]{1,2}:)?[0-9][0-9a-zA-Z.+~]{0,6}(-[0-9a-zA-Z.+~]{1,4})?",
        VersionScheme::Apk => {
            "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}[a-z]?(_(alpha|beta|pre|rc|p|cvs|git)[0-9]{0,2}){0,2}(~[0-9a-f]{1,3})?(-r[0-9]{0,2})?|[0-9a-z._~-]{0,8}"
        }
        VersionScheme::Rpm => "([0-9]:)?[0-9a-z.~^+_]{1,8}(-[0-9a-z.~^]{1,5})?",
        VersionScheme::Semver => "v?[0-9]{1,3}(\\.[0-9]{1,3}){0,3}(-[0-9a-zA-Z.-]{1,6})?(\\+[0-9a-z]{1,3})?",
        VersionScheme::Npm => "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[0-9a-zA-Z-]{1,3}(\\.[0-9a-zA-Z-]{1,3}){0,2})?",
        VersionScheme::Go => {
            "v(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})(-[0-9a-z]{1,3}(\\.[0-9a-z]{1,3}){0,2})?(\\+incompatible)?)?)?"
        }
        VersionScheme::Pep440 => {
            "([0-9]!)?[0-9]{1,3}(\\.[0-9]{1,3}){0,2}((a|b|rc)[0-9]{1,2})?(\\.post[0-9])?(\\.dev[0-9])?(\\+[a-z0-9]{1,3})?|[0-9a-z.-]{1,8}"
        }
        VersionScheme::Maven => {
            "[0-9]{1,3}([.-]([0-9]{1,2}|alpha|beta|milestone|rc|cr|sp|snapshot|ga|final|foo|a|b|m)){0,4}|[0-9a-z.-]{1,10}"
        }
        VersionScheme::RubyGems => "[0-9]{1,3}(\\.([0-9]{1,2}|[a-z]{1,3})){0,4}(-[a-z0-9]{1,3})?",
        VersionScheme::NuGet => {
            "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}(-[0-9a-zA-Z]{1,3}(\\.[0-9a-zA-Z]{1,3}){0,2})?(\\+[a-z]{1,3})?"
        }
        VersionScheme::Composer => "v?[0-9]{1,3}(\\.[0-9]{1,3}){0,3}([-._]?(dev|alpha|a|beta|b|RC|rc|pl|p)[0-9]{0,2})?",
        VersionScheme::Generic => "[0-9a-zA-Z.+~_-]{1,10}",
    }
}

fn corpus(scheme: VersionScheme) -> Vec<String> {
    static CORPORA: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let all = CORPORA.get_or_init(|| VersionScheme::ALL.iter().map(|&s| common::corpus(s)).collect());
    let index = VersionScheme::ALL.iter().position(|&s| s == scheme).unwrap();
    all[index].clone()
}

fn version(scheme: VersionScheme) -> BoxedStrategy<String> {
    prop_oneof![proptest::string::string_regex(generated(scheme)).unwrap(), proptest::sample::select(corpus(scheme)),]
        .boxed()
}

/// Where the reference order itself is not transitive, so neither is ours (see the scheme
/// modules): Maven's `ComparableVersion` puts `1.foo > 1 > 1-alpha` but `1.foo < 1-alpha` (a
/// qualifier after `.` against one after `-`), and PHP's `#` equals every number
/// (`1.2.3.# = 1.2.3` and `= 1.2.3.1`, as the Packagist vectors require). Reflexivity and
/// antisymmetry are still checked there; transitivity only outside.
fn transitive_domain(scheme: VersionScheme, v: &str) -> bool {
    match scheme {
        VersionScheme::Maven => !microscanner_version::maven::has_dot_qualifier(v),
        VersionScheme::Composer => !v.contains('#'),
        _ => true,
    }
}

fn check_laws(scheme: VersionScheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    let cmp = |x: &str, y: &str| scheme.compare(x, y);
    let (Ok(ab), Ok(bc), Ok(ac)) = (cmp(a, b), cmp(b, c), cmp(a, c)) else {
        // Only versions the scheme accepts are ordered.
        return Ok(());
    };
    prop_assert_eq!(cmp(a, a).unwrap(), Ordering::Equal, "not reflexive: {:?}", a);
    prop_assert_eq!(cmp(b, a).unwrap(), ab.reverse(), "not antisymmetric: {:?} {:?}", a, b);
    if ![a, b, c].iter().all(|v| transitive_domain(scheme, v)) {
        return Ok(());
    }
    if ab.is_le() && bc.is_le() {
        prop_assert!(ac.is_le(), "not transitive: {:?} <= {:?} <= {:?} but {:?}", a, b, c, ac);
        if ab.is_eq() && bc.is_eq() {
            prop_assert!(ac.is_eq(), "equality not transitive: {:?} = {:?} = {:?}", a, b, c);
        }
    }
    if ab.is_ge() && bc.is_ge() {
        prop_assert!(ac.is_ge(), "not transitive: {:?} >= {:?} >= {:?} but {:?}", a, b, c, ac);
    }
    Ok(())
}

macro_rules! laws {
    ($name:ident, $scheme:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]
            #[test]
            fn $name(a in version($scheme), b in version($scheme), c in version($scheme)) {
                check_laws($scheme, &a, &b, &c)?;
            }
        }
    };
}

laws!(dpkg_is_a_total_order, VersionScheme::Dpkg);
laws!(apk_is_a_total_order, VersionScheme::Apk);
laws!(rpm_is_a_total_order, VersionScheme::Rpm);
laws!(semver_is_a_total_order, VersionScheme::Semver);
laws!(npm_is_a_total_order, VersionScheme::Npm);
laws!(go_is_a_total_order, VersionScheme::Go);
laws!(pep440_is_a_total_order, VersionScheme::Pep440);
laws!(maven_is_a_total_order, VersionScheme::Maven);
laws!(rubygems_is_a_total_order, VersionScheme::RubyGems);
laws!(nuget_is_a_total_order, VersionScheme::NuGet);
laws!(composer_is_a_total_order, VersionScheme::Composer);
laws!(generic_is_a_total_order, VersionScheme::Generic);

/// Transitivity violations hide in near-equal triples, which independent random triples
/// rarely hit: derive b and c from a by small edits.
fn near(scheme: VersionScheme) -> BoxedStrategy<(String, String, String)> {
    let edits = "[0-9a-z.~_+^-]{0,2}";
    (version(scheme), proptest::string::string_regex(edits).unwrap(), proptest::string::string_regex(edits).unwrap())
        .prop_map(|(a, x, y)| {
            let b = format!("{a}{x}");
            let c = format!("{b}{y}");
            (a, b, c)
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
    #[test]
    fn near_triples_obey_the_laws(scheme in proptest::sample::select(VersionScheme::ALL.to_vec()), seed in any::<u64>()) {
        // Draw a near triple for the chosen scheme from a per-case runner.
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            ProptestConfig::default(),
            proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes(seed)),
        );
        let (a, b, c) = near(scheme).new_tree(&mut runner).unwrap().current();
        for (x, y, z) in [(&a, &b, &c), (&a, &c, &b), (&b, &a, &c), (&b, &c, &a), (&c, &a, &b), (&c, &b, &a)] {
            check_laws(scheme, x, y, z)?;
        }
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&seed.wrapping_mul(i as u64 + 1).to_le_bytes());
    }
    bytes
}
