//! A `leadscore serve` process on the test Postgres and Redis, for tests
//! that kill a host (SIGKILL) and start another.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use leadscore::pipeline::Backends;

/// A `leadscore serve` process; killed when dropped.
pub struct Host {
    /// The process.
    pub child: Child,
    /// Its base URL.
    pub url: String,
    _store: tempfile::TempDir,
}

impl Host {
    /// A host of v12 alone, with two workers.
    pub fn start(backends: &Backends) -> Host {
        Host::start_with(backends, &[])
    }

    /// A host with more flags.
    pub fn start_with(backends: &Backends, flags: &[&str]) -> Host {
        let store = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
            .args(["serve", "--addr", "127.0.0.1:0", "--workers", "2", "--retry-after-ms", "500"])
            .args(["--sweep-after-ms", "3000", "--jwt-secret", std::str::from_utf8(super::SECRET).unwrap()])
            .arg("--models")
            .arg(super::v12_dir())
            .arg("--store")
            .arg(store.path())
            .args(["--database-url", backends.database_url.as_ref().unwrap().expose()])
            .args(["--redis-url", backends.redis_url.as_ref().unwrap().expose()])
            .args(["--redis-namespace", &backends.redis_namespace])
            .args(flags)
            .env("RUST_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the host prints its address").unwrap();
            if let Some(url) = line.strip_prefix("serving on ") {
                break url.to_string();
            }
        };
        // Keep draining its log so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Host { child, url, _store: store }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
