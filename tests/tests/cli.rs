//! The CLI as a user meets it: the demo model built and scored, the
//! explanation contract on every sample lead, and bad input reported per line.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use leadscore_tests::{build_component, leadscore, leadscore_ok, repo_root};
use serde_json::Value;

/// The default model (v12), built once for all tests of this file.
fn default_component() -> &'static PathBuf {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            let wasm = build_component(&repo_root().join("models/v12"), out.path());
            (out, wasm)
        })
        .1
}

fn score_text(input: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.jsonl");
    std::fs::write(&leads, input).unwrap();
    let out = leadscore_ok(&["score", "--model", default_component().to_str().unwrap(), leads.to_str().unwrap()]);
    out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn build_writes_the_component_and_a_manifest_that_describes_it() {
    let wasm = default_component();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(wasm.with_extension("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["name"], "lead-scorer");
    assert_eq!(manifest["version"], "v12");
    assert_eq!(manifest["wasm"], "lead-scorer-v12.wasm");
    assert_eq!(manifest["features"].as_array().unwrap().len(), 23);
    let bytes = std::fs::read(wasm).unwrap();
    let sha = sha256_hex(&bytes);
    assert_eq!(manifest["sha256"], sha.as_str(), "the manifest's sha256 is the wasm's");
    for import in manifest["imports"].as_array().unwrap() {
        let name = import.as_str().unwrap();
        assert!(name.starts_with("wasi:io/") || name.starts_with("wasi:cli/"), "only std's WASI imports: {name}");
    }
}

/// sha256 through the system's `sha256sum`, to check the manifest independently.
fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("sha256sum").arg(&file).output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// The released binary copied alone to a machine with no Rust toolchain and
/// no source tree (PATH holds nothing but the binary; no HOME, no cargo)
/// still builds v12, and its component gives every sample lead exactly the
/// native library's score, probability and SHAP values, bit for bit.
#[test]
fn a_copied_binary_builds_v12_with_no_toolchain_and_scores_as_the_native_library() {
    let machine = tempfile::tempdir().unwrap();
    let bin = machine.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::copy(leadscore_tests::leadscore_bin(), bin.join("leadscore")).unwrap();
    let model = machine.path().join("v12");
    std::fs::create_dir(&model).unwrap();
    for entry in std::fs::read_dir(repo_root().join("models/v12")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, model.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::copy(repo_root().join("models/sample-leads.jsonl"), machine.path().join("leads.jsonl")).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin.join("leadscore"))
            .args(args)
            .current_dir(machine.path())
            .env_clear()
            .env("PATH", &bin)
            .output()
            .unwrap();
        assert!(out.status.success(), "leadscore {args:?}:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(
        std::process::Command::new("cargo").env_clear().env("PATH", &bin).output().is_err(),
        "cargo is out of reach"
    );
    run(&["model", "build", "v12", "--out", "built"]);
    let scored = run(&["score", "--model", "built/lead-scorer-v12.wasm", "leads.jsonl"]);

    let native_model = guest_model::load::model_dir(&model).unwrap();
    let text = std::fs::read_to_string(machine.path().join("leads.jsonl")).unwrap();
    let leads: Vec<_> = text.lines().map(|l| guest_model::load::lead_json::parse(l).unwrap()).collect();
    let native = native_model.score_batch(&leads, &mut guest_model::shap::Scratch::default());
    let lines: Vec<Value> = scored.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), leads.len());
    let bits = |v: &Value| v.as_f64().unwrap().to_bits();
    for ((lead, native), got) in leads.iter().zip(native).zip(&lines) {
        let native = native.unwrap();
        let id = &lead.id;
        assert_eq!(got["lead_id"], id.as_str());
        assert_eq!(got["final_score"], native.final_score, "{id}");
        assert_eq!(bits(&got["margin"]), native.margin.to_bits(), "{id}: margin");
        assert_eq!(bits(&got["probability"]), native.probability.to_bits(), "{id}: probability");
        let explanation = native.explanation.unwrap();
        assert_eq!(bits(&got["base_value"]), explanation.base_value.to_bits(), "{id}: base value");
        let contributions = got["contributions"].as_array().unwrap();
        assert_eq!(contributions.len(), explanation.contributions.len());
        for (c, want) in contributions.iter().zip(&explanation.contributions) {
            let name = native_model.features[want.feature].name.as_ref();
            assert_eq!(c["feature"], name, "{id}");
            assert_eq!(bits(&c["shap"]), want.shap.to_bits(), "{id}: SHAP of {name}");
        }
    }
}

#[test]
fn every_sample_lead_gets_a_consistent_explanation() {
    let input = std::fs::read_to_string(repo_root().join("models/sample-leads.jsonl")).unwrap();
    let results = score_text(&input);
    assert_eq!(results.len(), input.lines().count());
    let mut bands = std::collections::HashSet::new();
    for r in &results {
        let score = r["final_score"].as_u64().unwrap();
        let band = r["band"].as_str().unwrap();
        let expected = if score > 80 {
            "hot"
        } else if score < 40 {
            "cold"
        } else {
            "warm"
        };
        assert_eq!(band, expected, "{r}");
        bands.insert(band.to_string());
        let contributions = r["contributions"].as_array().unwrap();
        let sum: f64 = contributions.iter().map(|c| c["shap"].as_f64().unwrap()).sum();
        let (base, margin) = (r["base_value"].as_f64().unwrap(), r["margin"].as_f64().unwrap());
        assert!((base + sum - margin).abs() < 1e-4, "base + Σ shap = margin: {r}");
        let magnitudes: Vec<f64> = contributions.iter().map(|c| c["shap"].as_f64().unwrap().abs()).collect();
        assert!(magnitudes.windows(2).all(|w| w[0] >= w[1]), "largest |shap| first: {r}");
        let shares: f64 = r["feature_importance"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
        assert!((shares - 1.0).abs() < 1e-9, "importance sums to 1: {r}");
        let confidence = r["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
        for reason in r["reasons"].as_array().unwrap() {
            let up = reason["shap"].as_f64().unwrap() > 0.0;
            assert_eq!(reason["direction"], if up { "up" } else { "down" });
            assert!(!reason["text"].as_str().unwrap().contains("{value}"), "the value is filled in: {reason}");
        }
    }
    assert_eq!(bands.len(), 3, "the samples show every band: {bands:?}");
}

#[test]
fn bad_leads_get_error_lines_in_place_and_the_rest_are_scored() {
    let good = r#"{"id": "ok-1", "as_of": "2026-10-01T12:00:00Z", "fields": {"employees": 50}}"#;
    let input = [
        good,
        r#"{"id": "bad-time", "as_of": "last tuesday"}"#,
        "not json at all",
        r#"{"id": "bad-type", "as_of": "2026-10-01T12:00:00Z", "fields": {"employees": "fifty"}}"#,
        r#"{"id": "ok-2", "as_of": "2026-10-01T12:00:00Z"}"#,
    ]
    .join("\n");
    let results = score_text(&input);
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["lead_id"], "ok-1");
    assert!(results[0]["final_score"].is_u64());
    assert_eq!(results[1]["lead_id"], "bad-time");
    assert_eq!(results[1]["error"]["code"], "invalid_lead");
    assert!(results[1]["error"]["message"].as_str().unwrap().contains("as_of"), "{}", results[1]);
    assert_eq!(results[2]["lead_id"], Value::Null);
    assert!(results[2]["error"]["message"].as_str().unwrap().contains("line 3"), "{}", results[2]);
    assert_eq!(results[3]["lead_id"], "bad-type");
    assert_eq!(results[3]["error"]["code"], "invalid_field");
    assert!(results[3]["error"]["message"].as_str().unwrap().starts_with("fields.employees"), "{}", results[3]);
    assert_eq!(results[4]["lead_id"], "ok-2");
    assert!(results[4]["final_score"].is_u64());
}

#[test]
fn a_model_that_cannot_be_loaded_fails_the_command() {
    let out = leadscore(&["score", "--model", "/nonexistent/model.wasm", "-"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/model.wasm"));
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"\0asm not really").unwrap();
    let out = leadscore(&["score", "--model", junk.to_str().unwrap(), "-"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a usable scorer component"));
}

#[test]
fn building_a_broken_model_directory_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["model.json", "features.toml"] {
        std::fs::copy(repo_root().join("models/demo").join(name), dir.path().join(name)).unwrap();
    }
    let spec = std::fs::read_to_string(dir.path().join("features.toml")).unwrap();
    std::fs::write(dir.path().join("features.toml"), spec.replace("agg = \"count\"", "agg = \"median\"")).unwrap();
    let out = leadscore(&["model", "build", dir.path().to_str().unwrap(), "--out", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("features.toml") && stderr.contains("unknown agg \"median\""), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// Issue 14: bad input stays one lead's problem.

/// The encodings field-case model (tests/fixtures/field-cases/encodings),
/// built once for all tests of this file.
fn encodings_component() -> &'static PathBuf {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            let wasm = build_component(&encodings_dir(), out.path());
            (out, wasm)
        })
        .1
}

fn encodings_dir() -> PathBuf {
    repo_root().join("tests/fixtures/field-cases/encodings")
}

/// Where the runs of this file keep compiled components (a run compiles
/// once, not once per call of `leadscore score`).
fn cache_dir() -> &'static str {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path().to_str().unwrap()
}

/// `leadscore score` over `input` (bytes, as a file) with `component` and
/// `flags`; its output lines, as printed.
fn score_lines(component: &Path, input: &[u8], flags: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.jsonl");
    std::fs::write(&leads, input).unwrap();
    let mut args = vec!["score", "--model", component.to_str().unwrap(), "--cache-dir", cache_dir()];
    args.extend_from_slice(flags);
    args.push(leads.to_str().unwrap());
    leadscore_ok(&args).lines().map(String::from).collect()
}

fn parsed(lines: &[String]) -> Vec<Value> {
    lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The error line's (lead_id, code, message).
fn error_of(line: &Value) -> (Value, String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("an error line: {line}")).to_string();
    (line["lead_id"].clone(), text(&line["error"]["code"]), text(&line["error"]["message"]))
}

/// The result without the lead's id, to compare two leads' scores.
fn without_id(result: &Value) -> Value {
    let mut result = result.clone();
    result.as_object_mut().unwrap().remove("lead_id");
    result
}

#[test]
fn encodings_field_cases_one_bad_line_is_that_lines_error_and_the_bom_is_skipped() {
    let wasm = encodings_component();
    let file = |name: &str| std::fs::read(encodings_dir().join(name)).unwrap();

    // One Windows-1252 byte (ë as 0xEB) in line 2's `fields.name`.
    let out = parsed(&score_lines(wasm, &file("B_cp1252_byte_in_one_line.jsonl"), &[]));
    assert_eq!(out.len(), 3, "{out:?}");
    assert_eq!((&out[0]["lead_id"], &out[2]["lead_id"]), (&"before".into(), &"after".into()));
    assert!(out[0]["final_score"].is_u64() && out[2]["final_score"].is_u64(), "{out:?}");
    let (id, code, message) = error_of(&out[1]);
    assert_eq!((id, code.as_str()), ("latin1".into(), "invalid_lead"));
    assert!(message.starts_with("line 2: fields.name: not UTF-8"), "{message}");
    assert!(message.contains("0xEB"), "{message}");

    // A UTF-8 byte order mark before line 1: skipped.
    let out = parsed(&score_lines(wasm, &file("B_utf8_bom_at_start.jsonl"), &[]));
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0]["lead_id"], "before", "{}", out[0]);
    assert_eq!(without_id(&out[0]), without_id(&out[1]), "the same lead, BOM or not");

    // `\ud83d` alone in `fields.name`, which no feature reads: the line is an
    // error naming the field and the escape (README: `score`), the others score.
    let out = parsed(&score_lines(wasm, &file("B_lone_surrogate_in_unused_name.jsonl"), &[]));
    assert_eq!(out.len(), 3, "{out:?}");
    assert!(out[0]["final_score"].is_u64() && out[2]["final_score"].is_u64(), "{out:?}");
    let (id, code, message) = error_of(&out[1]);
    assert_eq!((id, code.as_str()), ("surrogate".into(), "invalid_lead"));
    assert!(message.starts_with("line 2: fields.name: ") && message.contains(r"\ud83d"), "{message}");
}

#[test]
fn encodings_field_cases_composed_and_decomposed_categories_score_the_same() {
    let input = std::fs::read(encodings_dir().join("B_nfc_vs_nfd.jsonl")).unwrap();
    let out = parsed(&score_lines(encodings_component(), &input, &[]));
    assert_eq!(out.len(), 6, "{out:?}");
    for pair in out.chunks(2) {
        let (nfc, nfd) = (pair[0]["lead_id"].as_str().unwrap(), pair[1]["lead_id"].as_str().unwrap());
        assert_eq!(nfc.strip_prefix("nfc-"), nfd.strip_prefix("nfd-"), "a pair: the same category");
        assert!(pair[0]["final_score"].is_u64(), "{}", pair[0]);
        // The score and every contribution; the values shown may keep the
        // spelling the lead came with.
        let scored = |r: &Value| {
            let shap: Vec<(Value, Value)> = r["contributions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["feature"].clone(), c["shap"].clone()))
                .collect();
            (r["final_score"].clone(), r["probability"].clone(), r["margin"].clone(), r["confidence"].clone(), shap)
        };
        assert_eq!(scored(&pair[0]), scored(&pair[1]), "{nfc} and {nfd} score the same");
    }
}

/// The same kinds of fault elsewhere in a lead, and line ends of other
/// systems: each bad line is its own error naming the field, the good ones
/// score, blank lines give nothing.
#[test]
fn bytes_that_are_not_utf8_or_not_text_anywhere_in_a_line_stay_that_lines_problem() {
    let good = |id: &str| {
        format!(
            r#"{{"id": "{id}", "as_of": "2026-10-01T12:00:00Z", "fields": {{"employees": 50}}, "activities": [{{"kind": "page_view", "at": "2026-09-30T10:00:00Z", "page": "/pricing"}}]}}"#
        )
        .into_bytes()
    };
    let mut input = Vec::new();
    let mut line = |bytes: &[u8]| {
        input.extend_from_slice(bytes);
        input.push(b'\n');
    };
    line(&good("first"));
    // A Windows-1252 en dash (0x96) in an activity's attribute.
    line(&[&br#"{"id": "dash", "as_of": "2026-10-01T12:00:00Z", "activities": [{"kind": "page_view", "at": "2026-09-30T10:00:00Z", "page": "/a "#[..], &[0x96], br#" b"}]}"#].concat());
    // A byte order mark where two files were joined, and a Windows line end.
    line(&[&b"\xEF\xBB\xBF"[..], &good("joined")].concat());
    line(&[&good("crlf")[..], b"\r"].concat());
    // Latin-1 in the id itself: no id to give.
    line(&[&br#"{"id": "caf"#[..], &[0xE9], br#"", "as_of": "2026-10-01T12:00:00Z"}"#].concat());
    // A lone low surrogate in a field, and a line cut short.
    line(br#"{"id": "low", "as_of": "2026-10-01T12:00:00Z", "fields": {"industry": "\ude00 tech"}}"#);
    line(br#"{"id": "cut", "as_of": "2026-10-01T12:00:00Z", "activities": [{"kind": "page_view", "at": "2026-"#);
    line(b"   \r");
    line(&good("last"));
    let out = parsed(&score_lines(default_component(), &input, &[]));
    let ids: Vec<&str> = out.iter().map(|r| r["lead_id"].as_str().unwrap_or("-")).collect();
    assert_eq!(ids, ["first", "dash", "joined", "crlf", "-", "low", "cut", "last"], "{out:?}");
    for i in [0, 2, 3, 7] {
        assert!(out[i]["final_score"].is_u64(), "{}", out[i]);
    }
    assert_eq!(without_id(&out[0]), without_id(&out[2]));
    for (i, starts) in [
        (1, "line 2: activities[0].page: not UTF-8: byte 0x96"),
        (4, "line 5: id: not UTF-8: byte 0xE9"),
        (5, r"line 6: fields.industry: the escape \ude00"),
        (6, "line 7: activities[0].at: not valid JSON"),
    ] {
        let (_, code, message) = error_of(&out[i]);
        assert_eq!(code, "invalid_lead");
        assert!(message.starts_with(starts), "{message} should start with {starts}");
    }
}

/// 63 ordinary leads (the sample leads, ids `lead-0`..`lead-62`) as lines.
fn ordinary_leads() -> Vec<String> {
    let samples = std::fs::read_to_string(repo_root().join("models/sample-leads.jsonl")).unwrap();
    let samples: Vec<Value> = samples.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (0..63)
        .map(|i| {
            let mut lead = samples[i % samples.len()].clone();
            lead["id"] = format!("lead-{i}").into();
            lead.to_string()
        })
        .collect()
}

/// A lead with `n` page views (600,000 of them: 38 MB of JSON).
fn busy_lead(n: usize) -> String {
    let mut text = String::with_capacity(70 * n + 200);
    text += r#"{"id": "big", "as_of": "2026-10-01T12:00:00Z", "fields": {"employees": 50}, "activities": ["#;
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        let (day, hour, minute) = (1 + i % 28, i / 28 % 24, i / 672 % 60);
        text += &format!(r#"{{"kind":"page_view","at":"2026-09-{day:02}T{hour:02}:{minute:02}:00Z","page":"/docs"}}"#);
    }
    text + "]}"
}

/// The 63 ordinary leads with the busy one as line 32, scored with `flags`:
/// the busy lead's error line, and the other 63 lines.
fn score_among_ordinary(busy: &str, flags: &[&str]) -> (Value, Vec<String>) {
    let mut lines = ordinary_leads();
    lines.insert(31, busy.to_string());
    let mut out = score_lines(default_component(), (lines.join("\n") + "\n").as_bytes(), flags);
    assert_eq!(out.len(), 64, "one line per lead");
    let busy = serde_json::from_str(&out.remove(31)).unwrap();
    (busy, out)
}

/// The 63 ordinary leads' lines scored without the busy one, checked
/// against a few scored one per run: how they score alone.
fn ordinary_alone() -> &'static Vec<String> {
    static ALONE: OnceLock<Vec<String>> = OnceLock::new();
    ALONE.get_or_init(|| {
        let leads = ordinary_leads();
        let out = score_lines(default_component(), (leads.join("\n") + "\n").as_bytes(), &[]);
        assert_eq!(out.len(), 63);
        for i in [0, 31, 62] {
            assert_eq!(score_lines(default_component(), leads[i].as_bytes(), &[]), [out[i].clone()], "lead {i}");
        }
        out
    })
}

#[test]
fn a_lead_of_600000_activities_fails_alone_and_the_63_others_score_as_they_do_alone() {
    let busy = busy_lead(600_000);
    assert!(busy.len() > 35_000_000, "{} bytes", busy.len());

    // Within the default limits it is refused before it is read.
    let (error, others) = score_among_ordinary(&busy, &[]);
    let (id, code, message) = error_of(&error);
    assert_eq!((id, code.as_str()), ("big".into(), "lead_too_large"));
    assert!(message.starts_with("line 32: ") && message.contains("--max-lead-bytes"), "{message}");
    assert!(&others == ordinary_alone(), "the 63 others score as they do alone");

    // With the limits raised it reaches the model and exceeds the 64 MiB
    // memory cap: the call of 64 leads fails, and each is scored again alone.
    let (error, others) =
        score_among_ordinary(&busy, &["--max-lead-bytes", "100000000", "--max-activities", "1000000"]);
    let (id, code, message) = error_of(&error);
    assert_eq!((id, code.as_str()), ("big".into(), "model_failed"));
    assert!(message.contains("more than 64 MiB of memory") && message.contains("--memory-mib"), "{message}");
    assert!(&others == ordinary_alone(), "the 63 others score as they do alone");
}

#[test]
fn a_lead_within_the_limits_that_exceeds_the_memory_cap_fails_alone() {
    // 60,000 page views (4.4 MB) within limits of 8 MiB and 100,000
    // activities, against an 8 MiB cap that every ordinary lead fits.
    let busy = busy_lead(60_000);
    let flags = ["--memory-mib", "8", "--max-lead-bytes", "8388608", "--max-activities", "100000"];
    let (error, others) = score_among_ordinary(&busy, &flags);
    let (id, code, message) = error_of(&error);
    assert_eq!((id, code.as_str()), ("big".into(), "model_failed"));
    assert!(message.contains("more than 8 MiB of memory"), "{message}");
    assert!(&others == ordinary_alone(), "the 63 others score as they do alone");

    // Over a limit instead: refused, naming it.
    let (error, others) = score_among_ordinary(&busy, &["--memory-mib", "8", "--max-activities", "50000"]);
    let (_, code, message) = error_of(&error);
    assert_eq!(code, "lead_too_large");
    assert!(message.contains("--max-lead-bytes"), "{message}");
    assert!(&others == ordinary_alone());
    let (error, _) = score_among_ordinary(&busy, &["--max-lead-bytes", "8388608"]);
    let (_, code, message) = error_of(&error);
    assert_eq!(code, "lead_too_large");
    assert!(message.starts_with("line 32: activities: 60000 activities") && message.contains("10000"), "{message}");
}
