//! Running scorer components: one engine built once, a fresh sandboxed
//! instance per call.
//!
//! Built once ([`Runtime`]): the `Engine` with the pooling allocator and
//! copy-on-write memory images, the epoch ticker. Built per component
//! ([`ScorerComponent`]): the compiled code (cached on disk), the checked
//! imports, the pre-instantiated bindings. Built per call: a `Store` with its
//! memory cap and wall-clock deadline, and a fresh instance — nothing is carried
//! from one call (or tenant) to the next.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits, StoreLimitsBuilder, Trap,
};

use super::manifest::GoldenLead;
use super::presentation::Presentation;
use crate::bindings::{Lead, ModelInfo, ScoreError, ScoredLead, Scorer, ScorerPre};

/// Core instances (and tables) one scorer component instance may use.
const CORE_INSTANCES_PER_COMPONENT: u32 = 4;

/// How often the epoch ticker ticks: the granularity of deadlines.
const TICK: Duration = Duration::from_millis(1);

/// What Rust's `std` for `wasm32-wasip2` imports. A component may import
/// these and nothing else; each is linked to a trap, so it reaches nothing.
const ALLOWED_IMPORTS: &[&str] = &[
    "wasi:io/poll",
    "wasi:io/error",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];

/// Limits and caching of a [`Runtime`].
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Wall-clock time a call may take before it is interrupted: epochs tick
    /// with the clock, so time spent waiting for a core counts too.
    pub deadline: Duration,
    /// Linear memory one instance may use.
    pub memory_limit: usize,
    /// Instances that may exist at once.
    pub max_instances: u32,
    /// Where compiled code is kept between runs; `None`: compile every time.
    pub cache_dir: Option<PathBuf>,
}

impl Default for RuntimeConfig {
    fn default() -> RuntimeConfig {
        RuntimeConfig {
            deadline: Duration::from_millis(100),
            memory_limit: 64 << 20,
            max_instances: 64,
            cache_dir: None,
        }
    }
}

/// Why a call into a component failed. The host is unaffected either way.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call ran past its deadline and was interrupted.
    #[error("the model ran past its {0:?} deadline and was stopped")]
    Deadline(Duration),
    /// The instance tried to use more memory than allowed.
    #[error("the model tried to use more than {} MiB of memory and was stopped", .0 >> 20)]
    MemoryLimit(usize),
    /// The component trapped (a bug or a refused capability).
    #[error("the model trapped: {0}")]
    Trap(String),
    /// Anything else (instantiation failed, ...).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CallError {
    /// A short name for metrics and logs: `deadline`, `memory`, `trap` or `other`.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Deadline(_) => "deadline",
            CallError::MemoryLimit(_) => "memory",
            CallError::Trap(_) => "trap",
            CallError::Other(_) => "other",
        }
    }
}

/// The engine and its epoch ticker, shared by every component.
pub struct Runtime {
    engine: Engine,
    config: RuntimeConfig,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
    in_use: Arc<AtomicU32>,
}

impl Runtime {
    /// Builds the engine and starts the ticker thread.
    pub fn new(config: RuntimeConfig) -> Result<Arc<Runtime>> {
        // A scorer component instance holds one linear memory but several
        // core instances and tables (the canonical ABI's shims): size the
        // pool per component instance.
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(config.max_instances)
            .total_core_instances(config.max_instances * CORE_INSTANCES_PER_COMPONENT)
            .total_memories(config.max_instances)
            .total_tables(config.max_instances * CORE_INSTANCES_PER_COMPONENT)
            .max_memory_size(config.memory_limit);
        let mut wasm = Config::new();
        wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .memory_init_cow(true)
            .epoch_interruption(true);
        let engine = Engine::new(&wasm).map_err(anyhow::Error::from).context("cannot create the wasmtime engine")?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (engine, stop) = (engine.clone(), stop.clone());
            std::thread::Builder::new().name("epoch-ticker".into()).spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })?
        };
        Ok(Arc::new(Runtime { engine, config, stop, ticker: Some(ticker), in_use: Arc::default() }))
    }

    /// The runtime's limits.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// Instances alive right now (out of `config().max_instances` pool slots).
    pub fn instances_in_use(&self) -> u32 {
        self.in_use.load(Ordering::Relaxed)
    }

    /// Checks and compiles a component (or loads its compiled code from the
    /// cache), ready to instantiate.
    pub fn load(self: &Arc<Self>, bytes: &[u8]) -> Result<ScorerComponent> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let component = self.compile(bytes, &sha256)?;
        let imports: Vec<String> =
            component.component_type().imports(&self.engine).map(|(name, _)| name.to_string()).collect();
        check_imports(&imports)?;
        let mut linker = Linker::new(&self.engine);
        // The allowed imports get traps: the scorer never calls them, and if
        // it did it would reach nothing — no files, clocks, sockets or environment.
        linker.define_unknown_imports_as_traps(&component)?;
        let pre = ScorerPre::new(linker.instantiate_pre(&component)?)
            .map_err(anyhow::Error::from)
            .context("the component does not export the scorer world of wit/scorer.wit")?;
        Ok(ScorerComponent { runtime: self.clone(), pre, imports, sha256, presentation: Arc::default() })
    }

    fn compile(&self, bytes: &[u8], sha256: &str) -> Result<Component> {
        let Some(dir) = &self.config.cache_dir else {
            return Ok(Component::new(&self.engine, bytes)?);
        };
        let path = self.cache_path(dir, sha256);
        if path.exists() {
            // SAFETY: the file was written by `serialize` below for this very
            // engine configuration (its name carries the wasm's sha256 and the
            // engine's compatibility hash) in the runtime's own cache directory.
            if let Ok(component) = unsafe { Component::deserialize_file(&self.engine, &path) } {
                return Ok(component);
            }
        }
        let component = Component::new(&self.engine, bytes)?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, component.serialize()?)?;
        std::fs::rename(&temporary, &path)?;
        Ok(component)
    }

    /// `<dir>/<sha256>-<engine compatibility hash>.cwasm`.
    pub fn cache_path(&self, dir: &Path, sha256: &str) -> PathBuf {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut hasher);
        dir.join(format!("{sha256}-{:016x}.cwasm", hasher.finish()))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

/// Refuses a component that imports anything beyond what `std` needs.
pub fn check_imports(imports: &[String]) -> Result<()> {
    let unversioned = |name: &str| name.split('@').next().unwrap_or(name).to_string();
    let refused: Vec<&String> =
        imports.iter().filter(|i| !ALLOWED_IMPORTS.contains(&unversioned(i).as_str())).collect();
    if !refused.is_empty() {
        bail!("the component imports capabilities a scorer must not have: {refused:?}");
    }
    Ok(())
}

/// Per-call state: the limits, and the instance's place in the pool count.
pub struct CallState {
    limits: StoreLimits,
    _slot: PoolSlot,
}

/// Counts an instance as in use for as long as its store lives.
struct PoolSlot(Arc<AtomicU32>);

impl PoolSlot {
    fn take(in_use: &Arc<AtomicU32>) -> PoolSlot {
        in_use.fetch_add(1, Ordering::Relaxed);
        PoolSlot(in_use.clone())
    }
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A checked, compiled scorer component, ready to instantiate.
pub struct ScorerComponent {
    runtime: Arc<Runtime>,
    pre: ScorerPre<CallState>,
    imports: Vec<String>,
    sha256: String,
    /// What the version's manifest adds to its answers (empty until the
    /// store pairs the component with its manifest).
    pub presentation: Arc<Presentation>,
}

impl ScorerComponent {
    /// Loads a component from its bytes into a runtime with default limits.
    pub fn from_bytes(bytes: &[u8]) -> Result<ScorerComponent> {
        Runtime::new(RuntimeConfig::default())?.load(bytes)
    }

    /// Checks that the component reproduces the golden results of its
    /// manifest: each lead's score, and its margin and probability to 1e-9.
    pub fn self_test(&self, golden: &[GoldenLead]) -> Result<()> {
        let leads: Vec<_> = golden
            .iter()
            .map(|g| guest_model::load::lead_json::from_json(&g.lead).map(super::lead::to_wit))
            .collect::<Result<_, _>>()?;
        let results = self.score(&leads)?;
        anyhow::ensure!(
            results.len() == golden.len(),
            "the component returned {} results for {} golden leads",
            results.len(),
            golden.len()
        );
        for (want, got) in golden.iter().zip(results) {
            let id = want.lead["id"].as_str().unwrap_or("?");
            let got = got.map_err(|e| anyhow::anyhow!("golden lead {id}: {}", e.message))?;
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
            anyhow::ensure!(
                got.final_score == want.final_score
                    && close(got.margin, want.margin)
                    && close(got.probability, want.probability),
                "golden lead {id}: the component gives score {} (margin {}), the manifest expects {} (margin {})",
                got.final_score,
                got.margin,
                want.final_score,
                want.margin
            );
        }
        Ok(())
    }

    /// The interfaces the component imports.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// sha256 of the component's bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// A fresh instance in its own store, with the runtime's memory cap and
    /// a deadline `deadline` from now.
    pub fn instantiate(&self, deadline: Duration) -> Result<(Store<CallState>, Scorer), CallError> {
        let config = self.runtime.config();
        let limits = StoreLimitsBuilder::new().memory_size(config.memory_limit).trap_on_grow_failure(true).build();
        let slot = PoolSlot::take(&self.runtime.in_use);
        let mut store = Store::new(&self.runtime.engine, CallState { limits, _slot: slot });
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline((deadline.as_millis() as u64 / TICK.as_millis() as u64).max(1));
        // Instantiation runs guest code too, so the deadline may strike here;
        // any other failure (e.g. every pool slot busy) is the host's
        // condition, not the model's fault.
        let scorer = self.pre.instantiate(&mut store).map_err(|e| match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => CallError::Deadline(deadline),
            _ => CallError::Other(e.into()),
        })?;
        Ok((store, scorer))
    }

    /// What the component says about its model.
    pub fn model_info(&self) -> Result<ModelInfo, CallError> {
        let deadline = self.runtime.config().deadline;
        let (mut store, scorer) = self.instantiate(deadline)?;
        scorer.call_model_info(&mut store).map_err(|e| self.classify(e, deadline))
    }

    /// Scores a batch of leads in one fresh instance, within the runtime's deadline.
    pub fn score(&self, leads: &[Lead]) -> Result<Vec<Result<ScoredLead, ScoreError>>, CallError> {
        self.score_within(leads, self.runtime.config().deadline)
    }

    /// [`ScorerComponent::score`] with an explicit deadline.
    pub fn score_within(
        &self,
        leads: &[Lead],
        deadline: Duration,
    ) -> Result<Vec<Result<ScoredLead, ScoreError>>, CallError> {
        let (mut store, scorer) = self.instantiate(deadline)?;
        scorer.call_score(&mut store, leads).map_err(|e| self.classify(e, deadline))
    }

    /// Scores a batch in one call, like [`ScorerComponent::score`]; if that
    /// call fails (deadline, memory cap, trap) or answers for another number
    /// of leads, scores each lead again alone, in its own instance with the
    /// full deadline, so that only the lead that causes the failure fails —
    /// with its own [`CallError`] saying why. One result per lead, in order.
    pub fn score_isolating(&self, leads: &[Lead]) -> Vec<Result<Result<ScoredLead, ScoreError>, CallError>> {
        let failed = match self.score(leads) {
            Ok(results) if results.len() == leads.len() => return results.into_iter().map(Ok).collect(),
            Ok(results) => CallError::Other(anyhow::anyhow!(
                "the component answered {} results for {} leads",
                results.len(),
                leads.len()
            )),
            Err(e) => e,
        };
        if leads.len() == 1 {
            return vec![Err(failed)];
        }
        leads.iter().map(|lead| self.score_alone(lead)).collect()
    }

    /// One lead in a call of its own: its result, or why the call failed.
    fn score_alone(&self, lead: &Lead) -> Result<Result<ScoredLead, ScoreError>, CallError> {
        let mut results = self.score(std::slice::from_ref(lead))?;
        match (results.pop(), results.is_empty()) {
            (Some(result), true) => Ok(result),
            (None, _) => Err(CallError::Other(anyhow::anyhow!("the component answered no result for a lead"))),
            (Some(_), false) => {
                Err(CallError::Other(anyhow::anyhow!("the component answered several results for one lead")))
            }
        }
    }

    /// Names what went wrong in a call. Everything that is neither the
    /// deadline nor the memory cap is a trap: a wasm trap, a panic, or a
    /// call into one of the trapping imports (a panicking Rust guest reads
    /// `RUST_BACKTRACE` through `wasi:cli/environment` and ends there).
    fn classify(&self, error: wasmtime::Error, deadline: Duration) -> CallError {
        let message = format!("{error:#}");
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => CallError::Deadline(deadline),
            _ if message.contains("growing memory") => CallError::MemoryLimit(self.runtime.config().memory_limit),
            _ => CallError::Trap(message),
        }
    }
}
