//! A throwaway PostgreSQL server for tests: `initdb` into a temporary directory, `pg_ctl start`
//! on a free loopback port with trust authentication, stopped and deleted on drop.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running PostgreSQL server, owned by the test; stopped (`-m immediate`) and deleted on drop.
pub struct PgServer {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser on the default database.
    pub url: String,
    /// The port it listens on (127.0.0.1 only).
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl PgServer {
    /// Starts a server from `/usr/lib/postgresql/*/bin` (the newest installed). `None` (with a
    /// note) when PostgreSQL is not installed, except under CI (`CI` set), where that is a
    /// failure. Panics when it is installed but does not start.
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin() else {
            crate::require(false, "PostgreSQL (initdb, pg_ctl under /usr/lib/postgresql/*/bin)");
            return None;
        };
        // initdb refuses to run as root: run the server as the `postgres` user then
        let as_postgres = is_root();
        let dir = tempfile::Builder::new().prefix("microscanner-pg").tempdir().unwrap();
        if as_postgres {
            run(Command::new("chown").args(["-R", "postgres:"]).arg(dir.path()));
        }
        let data = dir.path().join("data");
        let mut server = Self { url: String::new(), port: 0, bin, data, as_postgres, _dir: dir };
        server.initdb();
        server.start_server();
        Some(server)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn initdb(&self) {
        let mut c = self.command("initdb");
        c.arg("-D").arg(&self.data);
        c.args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
        run(&mut c);
    }

    /// `pg_ctl start` on a free port; a port taken between picking and binding is retried.
    fn start_server(&mut self) {
        let dir = self.data.parent().unwrap().to_owned();
        for attempt in 1..=5 {
            let port = free_port();
            let options = format!(
                "-p {port} -k {} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                dir.display()
            );
            let mut c = self.command("pg_ctl");
            c.arg("-D").arg(&self.data).arg("-l").arg(dir.join("server.log"));
            c.args(["-w", "-t", "60", "start", "-o", &options]);
            let out = c.output().unwrap();
            if out.status.success() {
                self.port = port;
                self.url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
                return;
            }
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            assert!(attempt < 5, "pg_ctl start failed: {}\n{log}", String::from_utf8_lossy(&out.stderr));
        }
    }

    /// Creates the database `name` (letters, digits, `_`) and returns its URL, so each test can
    /// have a database of its own.
    pub fn create_database(&self, name: &str) -> String {
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "database name {name:?}: letters, digits and _ only"
        );
        let mut c = Command::new(self.bin.join("createdb"));
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", name]);
        run(&mut c);
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs SQL through `psql` on database `db`; its output (unaligned, tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut c = Command::new(self.bin.join("psql"));
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", db]);
        c.args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]);
        String::from_utf8(run(&mut c)).unwrap()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut c = self.command("pg_ctl");
        c.arg("-D").arg(&self.data).args(["-m", "immediate", "-w", "stop"]);
        if let Ok(out) = c.output()
            && !out.status.success()
        {
            eprintln!("note: pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// The newest `/usr/lib/postgresql/VERSION/bin` holding `initdb` and `pg_ctl`.
fn find_bin() -> Option<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// A port free on 127.0.0.1 a moment ago.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs a command to success; its stdout.
fn run(c: &mut Command) -> Vec<u8> {
    let out = c.output().unwrap_or_else(|e| panic!("{c:?}: {e}"));
    assert!(out.status.success(), "{c:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}
