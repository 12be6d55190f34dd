//! `leadscore score`: lead JSON lines in, one result line per lead out, in
//! input order. A bad lead gets an error line — a line that is not UTF-8 or
//! not JSON, a lead too large, a lead the component refuses or fails on —
//! and the others are scored; only a model that cannot be loaded (or input
//! that cannot be read at all) stops the command.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use guest_model::explanation::Direction;
use guest_model::load::lead_json;
use guest_model::model::Band;
use leadscore::bindings::{ErrorCode, Lead, ScoreError};
use leadscore::runtime::component::{CallError, Runtime, RuntimeConfig, ScorerComponent};
use leadscore::runtime::lead::{self, locate};
use leadscore::runtime::score::Score;
use serde::Serialize;
use serde_json::Value as Json;

/// Score leads (JSON lines) with a model component; one result line per lead.
#[derive(clap::Args)]
pub struct Args {
    /// The model component (`<name>-<version>.wasm`).
    #[arg(long)]
    model: PathBuf,
    /// Lead JSON lines; `-` or nothing reads standard input.
    leads: Option<PathBuf>,
    /// Print badges and top reasons for people instead of JSON lines.
    #[arg(long)]
    pretty: bool,
    /// Wall-clock time one call into the component may take (64 leads per
    /// call, or one when a failed call's leads are scored again alone;
    /// offline batches get more room than the service's 100 ms).
    #[arg(long, env = "LEADSCORE_DEADLINE_MS", default_value_t = 1000)]
    deadline_ms: u64,
    /// Linear memory one instance may use.
    #[arg(long, env = "LEADSCORE_MEMORY_MIB", default_value_t = 64)]
    memory_mib: usize,
    /// Longest line (one lead's JSON) read, in bytes; a longer one gets an
    /// error line (`lead_too_large`) and is never parsed.
    #[arg(long, env = "LEADSCORE_MAX_LEAD_BYTES", default_value_t = 1 << 20,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_lead_bytes: usize,
    /// Most activities one lead may have; a lead with more gets an error
    /// line (`lead_too_large`).
    #[arg(long, env = "LEADSCORE_MAX_ACTIVITIES", default_value_t = 10_000)]
    max_activities: usize,
    /// Keep compiled components here so that the next run does not recompile.
    #[arg(long, env = "LEADSCORE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

/// Loads the component and scores the leads to standard output.
pub fn run(args: Args) -> Result<()> {
    let runtime = Runtime::new(RuntimeConfig {
        deadline: Duration::from_millis(args.deadline_ms),
        memory_limit: args.memory_mib << 20,
        cache_dir: args.cache_dir,
        ..RuntimeConfig::default()
    })?;
    let bytes = std::fs::read(&args.model).with_context(|| format!("cannot read {}", args.model.display()))?;
    let component =
        runtime.load(&bytes).with_context(|| format!("{} is not a usable scorer component", args.model.display()))?;
    let format = if args.pretty { Format::Text } else { Format::Json };
    let limits = Limits { bytes: args.max_lead_bytes, activities: args.max_activities };
    score(&component, super::open_input(args.leads)?, io::stdout().lock(), format, limits)
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// One JSON object per line.
    Json,
    /// A badge and the top reasons, for people.
    Text,
}

/// The line of a lead that could not be scored.
#[derive(Serialize)]
struct ErrorLine<'a> {
    lead_id: Option<&'a str>,
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

fn error_line(lead_id: Option<&str>, code: &str, message: &str) -> Result<String> {
    Ok(serde_json::to_string(&ErrorLine { lead_id, error: ErrorDetail { code, message } })? + "\n")
}

/// Leads per component call: enough to fill the SHAP kernel's lanes many
/// times over, few enough to stay far inside the per-call deadline.
const BATCH: usize = 64;

/// The largest lead `score` takes.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// Bytes of one line (its newline aside).
    bytes: usize,
    /// Activities of one lead.
    activities: usize,
}

/// One input line: a lead ready to score (its id; the lead itself waits in
/// the batch), or the error line it gets.
enum Line {
    Lead(String),
    Invalid(String),
}

/// Lines read since the last flush, and the leads among them.
#[derive(Default)]
struct Batch {
    lines: Vec<Line>,
    leads: Vec<Lead>,
}

/// Why a line is not a lead: its error line's parts.
struct Refusal {
    lead_id: Option<String>,
    code: &'static str,
    message: String,
}

/// Scores every lead read from `input`, writing results to `out`. Lines are
/// read as bytes: a line that is not UTF-8 (or not JSON, or too large) gets
/// its own error line and the others are scored.
fn score(
    component: &ScorerComponent,
    mut input: impl BufRead,
    mut out: impl Write,
    format: Format,
    limits: Limits,
) -> Result<()> {
    let mut pending = Batch::default();
    let mut buffer = Vec::new();
    let mut number = 0;
    while let Some(length) = read_line(&mut input, &mut buffer, limits.bytes)? {
        number += 1;
        let line = trim_line(&buffer);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match read_lead(line, length, limits) {
            Ok(lead) => {
                pending.lines.push(Line::Lead(lead.id.clone()));
                pending.leads.push(lead);
            }
            Err(refusal) => {
                let message = format!("line {number}: {}", refusal.message);
                pending.lines.push(Line::Invalid(error_line(refusal.lead_id.as_deref(), refusal.code, &message)?));
            }
        }
        if pending.leads.len() == BATCH {
            flush(component, &mut pending, &mut out, format)?;
        }
    }
    flush(component, &mut pending, &mut out, format)?;
    out.flush()?;
    Ok(())
}

/// Reads one line (up to `\n`, which is left out) into `buffer`, keeping at
/// most its first `keep` bytes; returns the line's whole length in bytes,
/// or `None` at the end of the input. A line longer than `keep` is read
/// through without being held.
fn read_line(input: &mut impl BufRead, buffer: &mut Vec<u8>, keep: usize) -> io::Result<Option<usize>> {
    buffer.clear();
    let (mut length, mut any) = (0, false);
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(any.then_some(length));
        }
        any = true;
        let newline = available.iter().position(|b| *b == b'\n');
        let part = &available[..newline.unwrap_or(available.len())];
        let room = keep.saturating_sub(buffer.len()).min(part.len());
        buffer.extend_from_slice(&part[..room]);
        length += part.len();
        let used = part.len() + usize::from(newline.is_some());
        input.consume(used);
        if newline.is_some() {
            return Ok(Some(length));
        }
    }
}

/// A line without its `\r` (Windows line ends) and without a UTF-8 byte
/// order mark before it (at the start of the file, or of a line where files
/// were joined).
fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

/// One line as a lead, or why it is not one. `length` is the line's whole
/// length (`line` holds only its first `limits.bytes` bytes when it is
/// longer).
fn read_lead(line: &[u8], length: usize, limits: Limits) -> Result<Lead, Refusal> {
    let refuse = |lead_id: Option<String>, code, message: String| Refusal { lead_id, code, message };
    if length > limits.bytes {
        let message = format!("the line is {length} bytes; the limit is {} (--max-lead-bytes)", limits.bytes);
        return Err(refuse(locate::lead_id(line), "lead_too_large", message));
    }
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => {
            let at = e.valid_up_to();
            let field = locate::field_at(line, at).map_or_else(|| "lead".to_string(), |(field, _)| field);
            let utf16 = line.starts_with(b"\xFF\xFE") || line.starts_with(b"\xFE\xFF") || line.contains(&0);
            let guess = if utf16 { "is the file UTF-16?" } else { "was the file saved as Windows-1252 or Latin-1?" };
            let message = format!(
                "{field}: not UTF-8: byte 0x{:02X} at column {} (lead JSON is read as UTF-8; {guess})",
                line[at],
                at + 1
            );
            return Err(refuse(locate::lead_id(line), "invalid_lead", message));
        }
    };
    let json: Json = match serde_json::from_str(text) {
        Ok(json) => json,
        Err(e) => return Err(refuse(locate::lead_id(line), "invalid_lead", not_json(line, text, &e))),
    };
    let id = || json.get("id").and_then(Json::as_str).map(String::from);
    let activities = json.get("activities").and_then(Json::as_array).map_or(0, Vec::len);
    if activities > limits.activities {
        let message =
            format!("activities: {activities} activities; the limit is {} (--max-activities)", limits.activities);
        return Err(refuse(id(), "lead_too_large", message));
    }
    match lead_json::from_json(&json) {
        Ok(lead) => Ok(lead::to_wit(lead)),
        Err(e) => Err(refuse(id(), "invalid_lead", e.to_string())),
    }
}

/// What is wrong with a line that is UTF-8 but that serde_json does not
/// read, naming the field.
fn not_json(line: &[u8], text: &str, e: &serde_json::Error) -> String {
    // One line holds one lead, so serde's column is the byte offset (+1).
    let at = e.column().saturating_sub(1).min(line.len());
    let located = locate::field_at(line, at);
    if let Some((field, token)) = &located
        && let Some(escape) = locate::lone_surrogate(&line[token.clone()])
    {
        return format!(
            "{field}: the escape {escape} is half of a UTF-16 surrogate pair (a character cut in two), not text \
             (column {})",
            e.column()
        );
    }
    // The lead reader names the field of a value JSON allows but no lead can
    // hold (a number beyond a 64-bit float's range).
    if let Err(refused) = lead_json::parse(text)
        && refused.field != "lead"
    {
        return refused.to_string();
    }
    let field = located.map_or_else(|| "lead".to_string(), |(field, _)| field);
    format!("{field}: not valid JSON: {e}")
}

fn flush(component: &ScorerComponent, pending: &mut Batch, out: &mut impl Write, format: Format) -> Result<()> {
    // A call that fails (deadline, memory, trap) is made again for each of
    // its leads alone: only the lead that fails it fails, naming why.
    let mut results = match pending.leads.is_empty() {
        true => Vec::new().into_iter(),
        false => component.score_isolating(&pending.leads).into_iter(),
    };
    pending.leads.clear();
    for line in pending.lines.drain(..) {
        let text = match line {
            Line::Invalid(error) => error,
            Line::Lead(id) => match results.next() {
                Some(Ok(Ok(scored))) if format == Format::Text => text(&Score::from(scored), 3),
                Some(Ok(Ok(scored))) => serde_json::to_string(&Score::from(scored))? + "\n",
                Some(Ok(Err(e))) => refused_line(&e)?,
                Some(Err(e)) => error_line(Some(&id), "model_failed", &failed(&e))?,
                None => error_line(Some(&id), "internal", "the component returned too few results")?,
            },
        };
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// Why the component failed on a lead scored alone, and the flag that
/// gives it more room.
fn failed(e: &CallError) -> String {
    match e {
        CallError::MemoryLimit(_) => format!("{e} (the lead alone; --memory-mib raises the cap)"),
        CallError::Deadline(_) => format!("{e} (the lead alone; --deadline-ms gives it longer)"),
        _ => e.to_string(),
    }
}

/// The component's per-lead error as the JSON error line.
fn refused_line(e: &ScoreError) -> Result<String> {
    let code = match e.code {
        ErrorCode::InvalidField => "invalid_field",
        ErrorCode::InvalidActivity => "invalid_activity",
    };
    error_line(Some(&e.lead_id), code, &format!("{}: {}", e.field, e.message))
}

/// A few lines for a person: the badge, score, confidence and the top
/// `reasons` that raise the score, then those that lower it.
fn text(s: &Score, reasons: usize) -> String {
    let badge = match s.band {
        Band::Hot => "HOT ",
        Band::Warm => "WARM",
        Band::Cold => "COLD",
    };
    let mut out = format!(
        "{:<12} {badge} {:>3}/100  p={:.1}%  confidence {:.0}%  ({})\n",
        s.lead_id,
        s.final_score,
        100.0 * s.probability,
        100.0 * s.confidence,
        s.model_version
    );
    match (&s.reasons, &s.explanation_unavailable) {
        (Some(list), _) => {
            for (direction, arrow) in [(Direction::Up, "↑"), (Direction::Down, "↓")] {
                for r in list.iter().filter(|r| r.direction == direction).take(reasons) {
                    out += &format!("    {arrow} {}\n", r.text);
                }
            }
        }
        (None, why) => out += &format!("    (explanation unavailable: {})\n", why.as_deref().unwrap_or_default()),
    }
    out
}
