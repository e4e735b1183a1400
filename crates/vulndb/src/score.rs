//! CVSS base scores from vectors (RustSec's `cvss` crate: v2, v3.0, v3.1 base and v4.0).

use std::str::FromStr;

use crate::record::SeverityKind;

/// The base score of a CVSS vector, or `None` when it does not parse.
pub fn cvss_base_score(vector: &str) -> Option<f64> {
    let cvss = cvss::Cvss::from_str(vector.trim()).ok()?;
    Some(cvss.score())
}

/// The kind of rating a CVSS vector string is, judged by its prefix.
pub fn cvss_kind(vector: &str) -> SeverityKind {
    let v = vector.trim_start();
    if v.starts_with("CVSS:4") {
        SeverityKind::CvssV4
    } else if v.starts_with("CVSS:3") {
        SeverityKind::CvssV3
    } else {
        SeverityKind::CvssV2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_each_version() {
        assert_eq!(cvss_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), Some(7.5));
        assert_eq!(cvss_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), Some(10.0));
        assert_eq!(cvss_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
        let v4 = cvss_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
        assert_eq!(v4, Some(9.3));
        assert_eq!(cvss_base_score("not a vector"), None);
        assert_eq!(cvss_kind("CVSS:4.0/AV:N"), SeverityKind::CvssV4);
        assert_eq!(cvss_kind("AV:N/AC:L"), SeverityKind::CvssV2);
    }
}
