//! The fixture corpora the differential and property tests draw from are not empty, and every
//! scheme orders its own corpus consistently with a sort (a cheap whole-corpus total-order check).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)] // test code

use crate::common;

use microscanner_version::VersionScheme;

#[test]
fn every_scheme_sorts_its_corpus_consistently() {
    for scheme in VersionScheme::ALL {
        let corpus = common::corpus(scheme);
        assert!(corpus.len() >= 20, "{scheme}: only {} versions", corpus.len());
        let mut valid: Vec<&String> = corpus.iter().filter(|v| scheme.validate(v).is_ok()).collect();
        assert!(valid.len() * 2 >= corpus.len(), "{scheme}: only {} of {} parse", valid.len(), corpus.len());
        valid.sort_by(|a, b| scheme.compare(a, b).unwrap());
        for w in valid.windows(2) {
            assert!(scheme.compare(w[0], w[1]).unwrap().is_le(), "{scheme}: sort left {} before {}", w[0], w[1]);
        }
        println!("{scheme}: {} versions, {} valid", corpus.len(), valid.len());
    }
}
