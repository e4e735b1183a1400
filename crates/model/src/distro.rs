//! Normalising a distribution's identity: the release key advisories use, the OSV ecosystem and
//! the purl namespace / `distro` qualifier of its packages. Pure functions of the strings a file
//! states, shared by the catalog (which reads `os-release` and friends) and the SBOM reader
//! (which reads another tool's operating-system entry), so both name a distribution alike.

use crate::OsInfo;

/// The major part of a dotted version (`9.4` → `9`, `7.6.1810` → `7`).
fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

/// The first two dotted parts of a version (`3.19.1` → `3.19`; `3` stays `3`).
fn major_minor(v: &str) -> String {
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}"),
        (Some(a), None) => a.to_owned(),
        _ => v.to_owned(),
    }
}

/// The leading run of digits and dots of `s` (`12.5` stays, `3.21.0_alpha2024` → `3.21.0`).
fn numeric_prefix(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    s[..end].trim_end_matches('.')
}

/// Normalises a distribution id as `os-release`'s `ID` spells it (lowercase; a few historical
/// spellings folded onto today's).
pub fn normalize_id(id: &str) -> String {
    let id = id.trim().to_ascii_lowercase();
    match id.as_str() {
        "redhat" | "red hat" | "rhel" => "rhel".to_owned(),
        "oracle" | "ol" | "oraclelinux" => "ol".to_owned(),
        "alma" | "almalinux" => "almalinux".to_owned(),
        "amazon" | "amzn" | "amazonlinux" => "amzn".to_owned(),
        "suse" | "sles" => "sles".to_owned(),
        "cbl-mariner" | "mariner" => "mariner".to_owned(),
        // openSUSE Leap 42.x and 15.0 said `ID=opensuse`.
        "opensuse" => "opensuse-leap".to_owned(),
        _ => id,
    }
}

/// The release as advisories key it, from the distribution id and the raw version
/// (`VERSION_ID`, or the number read from a release file).
///
/// Debian and the Red Hat family key by major version (`12`, `9`), Alpine by `major.minor`
/// (`3.19`), Ubuntu by `YY.MM`; the others keep the version as the distribution gives it.
pub fn release_key(family: &str, raw_version: &str) -> String {
    let v = raw_version.trim();
    if numeric_prefix(v).is_empty() {
        // A codename (`trixie`) or a date-like id we cannot shorten: keep it.
        return v.to_owned();
    }
    match family {
        "debian" | "rhel" | "centos" | "rocky" | "almalinux" | "ol" | "fedora" => major(numeric_prefix(v)).to_owned(),
        "alpine" | "ubuntu" | "mariner" | "azurelinux" | "photon" => major_minor(numeric_prefix(v)),
        _ => v.to_owned(),
    }
}

/// The SUSE service-pack spelling OSV uses: `15.3` → `15 SP3`, `15` or `15.0` → `15`.
fn suse_sp(version: &str) -> String {
    let mut parts = version.split('.');
    let maj = parts.next().unwrap_or(version);
    match parts.next() {
        Some(sp) if sp != "0" && !sp.is_empty() => format!("{maj} SP{sp}"),
        _ => maj.to_owned(),
    }
}

/// The OSV ecosystem string for a release, where OSV publishes one (`Debian:12`, `Alpine:v3.19`,
/// `Ubuntu:22.04:LTS`, `Rocky Linux:9`, `AlmaLinux:9`, `Red Hat:enterprise_linux:9`,
/// `SUSE:Linux Enterprise Server 15 SP3`, `openSUSE:Leap 15.5`, `Photon OS:4.0`, `Wolfi`,
/// `Chainguard`, `MinimOS`), or where our own importer keys the vendor's data (Amazon Linux:
/// `Amazon Linux:2`, `Amazon Linux:2023`, and `Amazon Linux:1` for every Amazon Linux AMI
/// `2011.09`…`2018.03`, from ALAS `updateinfo.xml`; Oracle Linux: `Oracle Linux:8` from ELSA
/// OVAL; `CBL-Mariner:2.0` and `Azure Linux:3.0` from their OVAL). `None` for distributions
/// without advisory data here (Fedora) and for development releases (`sid`, Alpine
/// `edge`).
///
/// Wolfi, Chainguard and MinimOS are rolling: every `VERSION_ID` maps to the one ecosystem, which
/// OSV's records (`CGA-…`) and the vendor's secdb share.
///
/// Ubuntu LTS releases carry OSV's `:LTS` suffix, as the Ubuntu feed keys them; Red Hat
/// advisories append the repository (`::appstream`, `::baseos`), so match that one by prefix.
pub fn osv_ecosystem(family: &str, version: &str) -> Option<String> {
    let numeric = !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    match family {
        "wolfi" => return Some("Wolfi".to_owned()),
        "chainguard" => return Some("Chainguard".to_owned()),
        "minimos" => return Some("MinimOS".to_owned()),
        "opensuse-tumbleweed" => return Some("openSUSE:Tumbleweed".to_owned()),
        _ => {}
    }
    if !numeric {
        return None;
    }
    Some(match family {
        "debian" => format!("Debian:{version}"),
        "alpine" => format!("Alpine:v{version}"),
        "ubuntu" => {
            // LTS releases are the even years' April releases.
            let lts = version.ends_with(".04")
                && version.split('.').next().and_then(|y| y.parse::<u32>().ok()).is_some_and(|y| y % 2 == 0);
            if lts { format!("Ubuntu:{version}:LTS") } else { format!("Ubuntu:{version}") }
        }
        "rocky" => format!("Rocky Linux:{version}"),
        "almalinux" => format!("AlmaLinux:{version}"),
        // CentOS Linux and Stream rebuild (or lead) RHEL of their major release: matched with RHEL's
        // data of that release (as Trivy and Grype do); the report marks CentOS's end of life.
        "rhel" | "centos" => format!("Red Hat:enterprise_linux:{version}"),
        "sles" => format!("SUSE:Linux Enterprise Server {}", suse_sp(version)),
        "sle-micro" | "sl-micro" => format!("SUSE:Linux Enterprise Micro {version}"),
        "opensuse-leap" => format!("openSUSE:Leap {version}"),
        "photon" => format!("Photon OS:{version}"),
        // Oracle ELSA OVAL (`oracle` importer): os-release `ID="ol"`, `VERSION_ID="8.9"`
        // (https://docs.oracle.com/en/operating-systems/oracle-linux/ : `/etc/os-release`), keyed
        // by major release.
        "ol" => format!("Oracle Linux:{}", major(version)),
        // CBL-Mariner / Azure Linux OVAL (`mariner` importer): `ID=mariner VERSION_ID="2.0"`,
        // `ID=azurelinux VERSION_ID="3.0"` (https://github.com/microsoft/azurelinux,
        // `SPECS/mariner-release` / `SPECS/azurelinux-release`).
        "mariner" => format!("CBL-Mariner:{version}"),
        "azurelinux" => format!("Azure Linux:{version}"),
        // Amazon Linux 2 says `VERSION_ID="2"`, AL2023 `"2023"`, the old AMI `"2018.03"`.
        "amzn" if version.contains('.') && version.starts_with("20") => "Amazon Linux:1".to_owned(),
        "amzn" if matches!(version, "1" | "2" | "2022" | "2023") => format!("Amazon Linux:{version}"),
        _ => return None,
    })
}

/// Oracle's Ksplice stream of an rpm version: the `ksplice…` part of its release
/// (`2:1.1.1g-15.ksplice1.el8_3` → `ksplice1`), `None` for an ordinary package.
///
/// Oracle ships Ksplice user-space packages as a separate stream: a fixed version of one stream
/// says nothing about a package of another, so advisories are matched only within one stream
/// (Trivy's rule: compare only when both or neither are ksplice, and the same ksplice label).
/// ELSA fixes in a Ksplice stream are keyed in `Oracle Linux:N:<label>` and a Ksplice package is
/// looked up there; an ordinary package in `Oracle Linux:N`.
pub fn oracle_ksplice_stream(version: &str) -> Option<&str> {
    let release = version.rsplit_once('-').map(|(_, r)| r)?;
    release.split('.').find(|part| part.to_ascii_lowercase().starts_with("ksplice"))
}

/// The `name:stream` of an rpm modularity label or of a purl's `rpmmod` qualifier
/// (`nodejs:18:9030020231120082734:rhel9` → `nodejs:18`), if it has both parts.
pub fn module_stream(label: &str) -> Option<&str> {
    let mut parts = label.splitn(3, ':');
    let (name, stream) = (parts.next()?, parts.next()?);
    if name.is_empty() || stream.is_empty() {
        return None;
    }
    label.get(..name.len() + 1 + stream.len())
}

/// Where Red Hat's advisories of a module stream's builds are keyed, and a package built in that
/// stream is looked up: `Red Hat:enterprise_linux:9` and `nodejs:18` →
/// `Red Hat:enterprise_linux:9:module:nodejs:18`.
///
/// A module stream is a separate line of builds (`nodejs:18` beside RHEL 9's own `nodejs` 16):
/// a fix of one stream says nothing about a package of another or of none, so advisories are
/// matched only within one stream (Trivy keys such records `nodejs:18::nodejs`). An ecosystem
/// suffix, as Oracle's Ksplice stream has ([`oracle_ksplice_stream`]), keeps the name the rpm's.
pub fn redhat_module_ecosystem(release: &str, stream: &str) -> String {
    format!("{release}:module:{stream}")
}

/// Where Red Hat's states of a *source* rpm are keyed, and an rpm built from that source is
/// looked up by its source name: `Red Hat:enterprise_linux:9` → `Red Hat:enterprise_linux:9:source`.
///
/// Red Hat's VEX names the source package (`pkg:rpm/redhat/ghostscript?arch=src`, "all versions
/// of the emacs package", as its purl guidance says) in every state but a fix: known affected,
/// will not fix, fix deferred, out of support scope, not affected. Fixes name binary builds. A
/// state of the source `ghostscript` holds for each binary built from it (`libgs`), so the matcher
/// looks a Red Hat rpm up twice: by its own name, and by its `SOURCERPM` name here; an advisory
/// the binary's own key has data for is decided there only. A separate key, not the binary
/// names', because a binary and its source often share a name (`ghostscript`).
pub fn redhat_source_ecosystem(ecosystem: &str) -> String {
    format!("{ecosystem}{REDHAT_SOURCE_SUFFIX}")
}

/// The suffix of [`redhat_source_ecosystem`]'s keys.
pub const REDHAT_SOURCE_SUFFIX: &str = ":source";

/// The purl namespace of the distribution's OS packages (`debian`, `alpine`, `rocky`, `rhel`):
/// the normalised `os-release` id.
pub fn purl_namespace(os: &OsInfo) -> &str {
    &os.family
}

/// The purl `distro` qualifier for the distribution's OS packages: `<id>-<release>`
/// (`debian-12`, `alpine-3.19`, `ubuntu-22.04`, `rocky-9`). Empty version gives just the id.
pub fn purl_distro(os: &OsInfo) -> String {
    if os.version.is_empty() { os.family.clone() } else { format!("{}-{}", os.family, os.version) }
}

/// Builds a normalised [`OsInfo`] from a raw id and version as a file states them.
pub fn os_info(raw_id: &str, raw_version: &str, evidence: &str) -> OsInfo {
    let family = normalize_id(raw_id);
    let version = release_key(&family, raw_version);
    let ecosystem = osv_ecosystem(&family, &version);
    OsInfo { family, version, pretty_name: None, codename: None, ecosystem, evidence: evidence.to_owned() }
}

/// Maps a distribution's display name (`NAME=`, a release-file prefix, an SBOM's OS name such as
/// `Debian GNU/Linux`) to its `os-release` `ID`.
pub fn id_from_name(name: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("red hat", "rhel"),
        ("centos", "centos"),
        ("rocky", "rocky"),
        ("almalinux", "almalinux"),
        ("oracle", "ol"),
        ("fedora", "fedora"),
        ("amazon", "amzn"),
        ("alpine", "alpine"),
        ("debian", "debian"),
        ("ubuntu", "ubuntu"),
        ("opensuse", "opensuse-leap"),
        ("suse", "sles"),
        ("photon", "photon"),
        ("mariner", "mariner"),
        ("azure linux", "azurelinux"),
        ("wolfi", "wolfi"),
        ("chainguard", "chainguard"),
        ("minimos", "minimos"),
    ];
    let n = name.to_ascii_lowercase();
    TABLE.iter().find(|(k, _)| n.contains(k)).map(|(_, id)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_streams_of_labels() {
        assert_eq!(module_stream("nodejs:18:9030020231120082734:rhel9"), Some("nodejs:18"));
        assert_eq!(module_stream("firefox:flatpak"), Some("firefox:flatpak"));
        assert_eq!(module_stream("nodejs"), None);
        assert_eq!(module_stream(":18:x"), None);
        assert_eq!(
            redhat_module_ecosystem("Red Hat:enterprise_linux:9", "nodejs:18"),
            "Red Hat:enterprise_linux:9:module:nodejs:18"
        );
    }

    #[test]
    fn release_keys() {
        assert_eq!(release_key("debian", "12"), "12");
        assert_eq!(release_key("debian", "12.5"), "12");
        assert_eq!(release_key("alpine", "3.19.1"), "3.19");
        assert_eq!(release_key("alpine", "3.21.0_alpha20240807"), "3.21");
        assert_eq!(release_key("rocky", "9.3"), "9");
        assert_eq!(release_key("centos", "7.6.1810"), "7");
        assert_eq!(release_key("ubuntu", "22.04"), "22.04");
        assert_eq!(release_key("amzn", "2023"), "2023");
        assert_eq!(release_key("sles", "15.3"), "15.3");
        assert_eq!(release_key("mariner", "2.0.20220226"), "2.0");
    }

    #[test]
    fn ecosystems() {
        assert_eq!(osv_ecosystem("debian", "12").as_deref(), Some("Debian:12"));
        assert_eq!(osv_ecosystem("alpine", "3.19").as_deref(), Some("Alpine:v3.19"));
        assert_eq!(osv_ecosystem("ubuntu", "22.04").as_deref(), Some("Ubuntu:22.04:LTS"));
        assert_eq!(osv_ecosystem("ubuntu", "25.10").as_deref(), Some("Ubuntu:25.10"));
        assert_eq!(osv_ecosystem("ubuntu", "23.04").as_deref(), Some("Ubuntu:23.04"));
        assert_eq!(osv_ecosystem("rocky", "9").as_deref(), Some("Rocky Linux:9"));
        assert_eq!(osv_ecosystem("almalinux", "9").as_deref(), Some("AlmaLinux:9"));
        assert_eq!(osv_ecosystem("sles", "15.3").as_deref(), Some("SUSE:Linux Enterprise Server 15 SP3"));
        assert_eq!(osv_ecosystem("opensuse-leap", "15.5").as_deref(), Some("openSUSE:Leap 15.5"));
        assert_eq!(osv_ecosystem("debian", "sid"), None);
        assert_eq!(osv_ecosystem("centos", "7").as_deref(), Some("Red Hat:enterprise_linux:7"));
        assert_eq!(osv_ecosystem("wolfi", "20230201").as_deref(), Some("Wolfi"));
        assert_eq!(osv_ecosystem("chainguard", "20230214").as_deref(), Some("Chainguard"));
        assert_eq!(osv_ecosystem("minimos", "20241031").as_deref(), Some("MinimOS"));
        assert_eq!(osv_ecosystem("amzn", "2").as_deref(), Some("Amazon Linux:2"));
        assert_eq!(osv_ecosystem("amzn", "2022").as_deref(), Some("Amazon Linux:2022"));
        assert_eq!(osv_ecosystem("amzn", "2023").as_deref(), Some("Amazon Linux:2023"));
        assert_eq!(osv_ecosystem("amzn", "2018.03").as_deref(), Some("Amazon Linux:1"));
        assert_eq!(osv_ecosystem("amzn", "2024"), None);
        assert_eq!(osv_ecosystem("ol", "8").as_deref(), Some("Oracle Linux:8"));
        assert_eq!(os_info("ol", "9.4", "x").ecosystem.as_deref(), Some("Oracle Linux:9"));
        assert_eq!(os_info("mariner", "2.0.20230107", "x").ecosystem.as_deref(), Some("CBL-Mariner:2.0"));
        assert_eq!(os_info("azurelinux", "3.0", "x").ecosystem.as_deref(), Some("Azure Linux:3.0"));
        assert_eq!(oracle_ksplice_stream("2:1.1.1g-15.ksplice1.el8_3"), Some("ksplice1"));
        assert_eq!(oracle_ksplice_stream("1:1.1.1g-15.el8_3"), None);
        assert_eq!(oracle_ksplice_stream("ksplice1"), None);
    }

    #[test]
    fn purl_parts() {
        let os = os_info("debian", "12", "etc/os-release");
        assert_eq!(purl_distro(&os), "debian-12");
        assert_eq!(purl_namespace(&os), "debian");
        let os = os_info("alpine", "3.19.1", "etc/alpine-release");
        assert_eq!(purl_distro(&os), "alpine-3.19");
    }
}
