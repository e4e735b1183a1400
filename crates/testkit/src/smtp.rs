//! An SMTP server for tests that keeps every message: Debian's `aiosmtpd` with its `Mailbox`
//! handler, writing a Maildir in a temporary directory. Killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python that has `aiosmtpd` (Debian's `python3-aiosmtpd`): named in full, because a
/// `python3` earlier on `PATH` (pyenv) may not have it.
const PYTHON: &str = "/usr/bin/python3";

/// A running SMTP sink on `127.0.0.1:port`, without TLS or authentication.
pub struct SmtpSink {
    /// The port it listens on (127.0.0.1 only).
    pub port: u16,
    maildir: PathBuf,
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the sink and waits until it accepts connections. `None` (with a note) when
    /// `/usr/bin/python3` has no `aiosmtpd`, except under CI (`CI` set), where that is a
    /// failure. Panics when it is installed but does not start.
    pub fn start() -> Option<Self> {
        let installed = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            crate::require(false, &format!("{PYTHON} -m aiosmtpd (python3-aiosmtpd)"));
            return None;
        }
        let dir = tempfile::Builder::new().prefix("microscanner-smtp").tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let port = crate::postgres::free_port();
        let log = std::fs::File::create(dir.path().join("aiosmtpd.log")).unwrap();
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut sink = Self { port, maildir, child, dir };
        sink.wait_until_listening();
        Some(sink)
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            let exited = self.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.path().join("aiosmtpd.log")).unwrap_or_default();
                panic!("aiosmtpd did not start on port {} ({exited:?}):\n{log}", self.port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The raw messages received so far (headers and body, as written to the Maildir's `new/`
    /// and `cur/`), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir.join(sub)).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| std::fs::read(path).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }

    /// The messages once there are at least `n` of them, or whatever arrived by `timeout`.
    pub fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The decoded text of a raw mail's body: `quoted-printable` and `base64` transfer encodings
/// undone (lettre picks one when a line is long), so a test can read the token out of it.
pub fn mail_text(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or(("", raw.as_str()));
    let encoding = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case("content-transfer-encoding").then(|| v.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    match encoding.as_str() {
        "base64" => {
            use base64::Engine as _;
            let joined: String = body.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|_| body.to_owned())
        }
        "quoted-printable" => decode_quoted_printable(body),
        _ => body.to_owned(),
    }
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader, Write as _};

    use super::*;

    /// Speaks SMTP to the sink by hand and finds the message in the Maildir.
    #[test]
    fn keeps_a_message() {
        let Some(sink) = SmtpSink::start() else { return };
        let stream = std::net::TcpStream::connect(("127.0.0.1", sink.port)).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut expect = |code: &str| {
            let mut line = String::new();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                assert!(line.starts_with(code), "expected {code}, got {line:?}");
                if line.as_bytes().get(3) != Some(&b'-') {
                    break;
                }
            }
        };
        expect("220");
        for (cmd, code) in [
            ("EHLO test\r\n", "250"),
            ("MAIL FROM:<a@example.org>\r\n", "250"),
            ("RCPT TO:<b@example.org>\r\n", "250"),
            ("DATA\r\n", "354"),
            ("Subject: hello\r\n\r\nthe body\r\n.\r\n", "250"),
            ("QUIT\r\n", "221"),
        ] {
            writer.write_all(cmd.as_bytes()).unwrap();
            expect(code);
        }
        let messages = sink.wait_for_messages(1, Duration::from_secs(10));
        assert_eq!(messages.len(), 1);
        assert!(messages[0].contains("Subject: hello") && messages[0].contains("the body"), "{}", messages[0]);
    }
}
