//! The command line's token settings: `leadscore serve` and `leadscore token`
//! refuse an empty or short secret (from the flag or the environment), an
//! empty audience or issuer, and `--dev` on a non-loopback address without
//! `--dev-allow-remote`. Every refusal happens before models or backends
//! load, so these tests need no services; each also passes `--workers 0`, so
//! that a `serve` that got past the token settings stops at once (with
//! "--workers must be at least 1") instead of starting.

use std::process::{Command, Output};
use std::time::Duration;

use leadscore::auth::{self, Auth, AuthError};

const SECRET_32: &str = "0123456789abcdef0123456789abcdef";
const PUBLIC_PEM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/test-only-rsa-public.pem");
const PAST_AUTH: &str = "--workers must be at least 1";

/// `leadscore <args>` with no LEADSCORE_* settings from the environment
/// except `env`, in a fresh directory.
fn leadscore(args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stderr)
}

/// `leadscore serve <args> --workers 0` with a fresh store and no models.
fn serve(args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let store = tempfile::tempdir().unwrap();
    let store = store.path().to_str().unwrap();
    let mut all = vec!["serve", "--store", store, "--models", store, "--workers", "0"];
    all.extend_from_slice(args);
    leadscore(&all, env)
}

fn assert_refused_secret(what: &str, (output, stderr): (Output, String)) {
    assert!(!output.status.success(), "{what}: exits non-zero");
    for needle in ["--jwt-secret or LEADSCORE_JWT_SECRET", "at least 32 bytes"] {
        assert!(stderr.contains(needle), "{what}: {stderr}");
    }
}

#[test]
fn serve_refuses_an_empty_or_short_secret() {
    for secret in ["", "x", &"s".repeat(31)] {
        assert_refused_secret(&format!("--jwt-secret {secret:?}"), serve(&["--jwt-secret", secret], &[]));
        let env = [("LEADSCORE_JWT_SECRET", secret)];
        assert_refused_secret(&format!("LEADSCORE_JWT_SECRET={secret:?}"), serve(&[], &env));
    }
    // A blank LEADSCORE_JWT_SECRET= is a bad secret, not a missing one: --dev
    // does not fall back to the development secret.
    assert_refused_secret("--dev with LEADSCORE_JWT_SECRET=", serve(&["--dev"], &[("LEADSCORE_JWT_SECRET", "")]));
    // A secret beside a public key is refused whatever its length: one of
    // them would be silently ignored.
    for secret in ["x", SECRET_32] {
        let (output, stderr) = serve(&["--jwt-public-key", PUBLIC_PEM, "--jwt-secret", secret], &[]);
        assert!(!output.status.success() && stderr.contains("cannot be used with"), "{stderr}");
    }
    let spaces = " ".repeat(40);
    let (output, stderr) = serve(&["--jwt-secret", &spaces], &[]);
    assert!(!output.status.success() && stderr.contains("only whitespace"), "{stderr}");
    // No secret at all is still refused, and 32 bytes get past auth.
    let (output, stderr) = serve(&[], &[]);
    assert!(!output.status.success() && stderr.contains("no token secret"), "{stderr}");
    let (output, stderr) = serve(&["--jwt-secret", SECRET_32], &[]);
    assert!(!output.status.success() && stderr.contains(PAST_AUTH), "{stderr}");
}

#[test]
fn token_refuses_an_empty_or_short_secret() {
    for secret in ["", "x", &"s".repeat(31)] {
        let refused = leadscore(&["token", "--org", "acme"], &[("LEADSCORE_JWT_SECRET", secret)]);
        assert_refused_secret(&format!("token with LEADSCORE_JWT_SECRET={secret:?}"), refused);
    }
    let (output, stderr) = leadscore(&["token", "--org", "acme", "--jwt-secret", SECRET_32], &[]);
    assert!(output.status.success(), "{stderr}");
    let token = String::from_utf8(output.stdout).unwrap();
    let caller = Auth::hs256(SECRET_32.as_bytes(), false).caller(Some(&format!("Bearer {}", token.trim())));
    assert_eq!(caller.unwrap().org, "acme");
}

#[test]
fn token_mints_the_configured_audience_and_issuer() {
    let env = [
        ("LEADSCORE_JWT_SECRET", SECRET_32),
        ("LEADSCORE_JWT_AUDIENCE", "leadscore-api"),
        ("LEADSCORE_JWT_ISSUER", "https://leadscore.example.com/"),
    ];
    let (output, stderr) = leadscore(&["token", "--org", "acme", "--scopes", "crm.read.leads"], &env);
    assert!(output.status.success(), "{stderr}");
    let bearer = format!("Bearer {}", String::from_utf8(output.stdout).unwrap().trim());
    let configured = Auth::hs256(SECRET_32.as_bytes(), false)
        .with_audience(&["leadscore-api"])
        .with_issuer(Some("https://leadscore.example.com/"));
    assert_eq!(configured.caller(Some(&bearer)).unwrap().org, "acme");
    let elsewhere = Auth::hs256(SECRET_32.as_bytes(), false).with_audience(&["another-api"]);
    assert_eq!(elsewhere.caller(Some(&bearer)).unwrap_err(), AuthError::WrongAudience);
    let unconfigured = Auth::hs256(SECRET_32.as_bytes(), false);
    assert_eq!(unconfigured.caller(Some(&bearer)).unwrap_err(), AuthError::AudienceNotConfigured);
    // Without the flags, no aud and no iss (what `auth::mint` gives).
    let plain = auth::mint(SECRET_32.as_bytes(), "acme", &[auth::READ_LEADS], Duration::from_secs(60)).unwrap();
    assert!(unconfigured.caller(Some(&format!("Bearer {plain}"))).is_ok());
}

#[test]
fn serve_refuses_an_empty_audience_or_issuer() {
    let (output, stderr) = serve(&["--jwt-secret", SECRET_32], &[("LEADSCORE_JWT_AUDIENCE", "")]);
    assert!(!output.status.success() && stderr.contains("--jwt-audience"), "{stderr}");
    let (output, stderr) = serve(&["--jwt-secret", SECRET_32, "--jwt-issuer", ""], &[]);
    assert!(!output.status.success() && stderr.contains("--jwt-issuer"), "{stderr}");
    let (output, stderr) = serve(
        &["--jwt-public-key", PUBLIC_PEM, "--jwt-audience", "leadscore-api,https://idp.example.com/userinfo"],
        &[("LEADSCORE_JWT_ISSUER", "https://idp.example.com/")],
    );
    assert!(!output.status.success() && stderr.contains(PAST_AUTH), "{stderr}");
    assert!(!stderr.contains("warning"), "an audience is configured: {stderr}");
}

#[test]
fn serve_warns_of_rs256_without_an_audience() {
    let (output, stderr) = serve(&["--jwt-public-key", PUBLIC_PEM], &[]);
    assert!(!output.status.success() && stderr.contains(PAST_AUTH), "{stderr}");
    assert!(stderr.contains("warning") && stderr.contains("--jwt-audience"), "{stderr}");
}

#[test]
fn dev_mode_refuses_a_remote_address_unless_allowed() {
    let (output, stderr) = serve(&["--dev", "--addr", "0.0.0.0:0"], &[]);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("--dev-allow-remote") && stderr.contains("0.0.0.0:0"), "{stderr}");
    let (output, stderr) = serve(&["--dev", "--addr", "0.0.0.0:0"], &[("LEADSCORE_JWT_SECRET", SECRET_32)]);
    assert!(!output.status.success() && stderr.contains("--dev-allow-remote"), "a secret changes nothing: {stderr}");
    // Allowed explicitly, or on loopback, it gets past the token settings.
    for args in [&["--dev", "--dev-allow-remote", "--addr", "0.0.0.0:0"][..], &["--dev", "--addr", "127.0.0.1:0"]] {
        let (output, stderr) = serve(args, &[]);
        assert!(!output.status.success() && stderr.contains(PAST_AUTH), "{args:?}: {stderr}");
        assert!(!stderr.contains("--dev-allow-remote"), "{args:?}: {stderr}");
    }
    // And a remote address without --dev needs no flag.
    let (output, stderr) = serve(&["--jwt-secret", SECRET_32, "--addr", "0.0.0.0:0"], &[]);
    assert!(!output.status.success() && stderr.contains(PAST_AUTH), "{stderr}");
    // --dev-allow-remote means nothing without --dev.
    let (output, stderr) = serve(&["--jwt-secret", SECRET_32, "--dev-allow-remote"], &[]);
    assert!(!output.status.success() && stderr.contains("required arguments were not provided"), "{stderr}");
}
