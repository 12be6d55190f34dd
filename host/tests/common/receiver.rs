//! The webhook receiver of the tests: `scripts/webhook-receiver`, which
//! verifies every delivery with the official Standard Webhooks Python
//! package (in the test venv).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The Python receiver, verifying with `secret`, on `port`; killed on drop.
pub struct Receiver(Child, u16);

impl Receiver {
    pub fn start(port: u16, secret: &str) -> Receiver {
        Receiver::slow(port, secret, Duration::ZERO)
    }

    /// A receiver that answers each delivery `delay` after recording it.
    pub fn slow(port: u16, secret: &str, delay: Duration) -> Receiver {
        let root = super::workspace();
        let mut child = Command::new(root.join(".venv/bin/python"))
            .arg(root.join("scripts/webhook-receiver"))
            .args(["--port", &port.to_string(), "--secret", secret])
            .args(["--delay-ms", &delay.as_millis().to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the test venv's python (make venv)");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        assert_eq!(line.trim(), format!("listening {port}"));
        Receiver(child, port)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.1)
    }

    pub async fn seen(&self) -> Value {
        reqwest::get(self.url()).await.unwrap().json().await.unwrap()
    }

    /// Waits until `n` verified deliveries arrived (or 30 s pass).
    pub async fn wait_for(&self, n: usize) -> Value {
        for _ in 0..300 {
            let seen = self.seen().await;
            if seen["verified"].as_array().unwrap().len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.seen().await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
