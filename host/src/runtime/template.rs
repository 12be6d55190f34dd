//! The scorer template: the one prebuilt `guest-model` component (built by
//! `host/build.rs`, embedded in this binary) and how one model's tables turn
//! it into that model's component, with no compiler.
//!
//! wasmtime-wizer instruments the template; we instantiate it with the
//! tables on stdin (WASI with nothing else: no files, network, clock or
//! environment) and call `wizer-initialize`, which decodes them into the
//! instance's memory; wizer then writes the instance's memory and globals
//! out as a new component. Its instances start with the
//! decoded model in their memory image (copy-on-write): nothing is parsed
//! when one starts. Its imports are the template's, which
//! [`super::component::check_imports`] allows.

use anyhow::{Context, Result, anyhow};
use wasmtime::component::{Component, Instance, Lift, Linker, ResourceTable, WasmList};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

/// The scorer template component (`wit/scorer.wit`, world `scorer-template`).
pub const TEMPLATE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/scorer-template.wasm"));

/// The template's initialisation export.
const INIT: &str = "wizer-initialize";

/// How much of the template's stderr (a panic message) an error quotes.
const STDERR_LIMIT: usize = 64 * 1024;

/// The component for one model: [`TEMPLATE`] pre-initialised with
/// `tables` (`guest_model::tables::encode`). Errors: the template traps on
/// the tables (the error quotes its panic message), or wasmtime cannot
/// compile or snapshot it.
pub async fn specialise(tables: &[u8]) -> Result<Vec<u8>> {
    let mut wizer = Wizer::new();
    // Removing the export breaks components built by Rust's wasm32-wasip2
    // toolchain (wasmtime issue 13168); the kept export traps if called, as
    // the model is already set.
    wizer.init_func(INIT).keep_init_func(true);
    let (context, instrumented) =
        wizer.instrument_component(TEMPLATE).map_err(anyhow::Error::from).context("cannot instrument the template")?;
    let engine = Engine::new(&Config::new()).map_err(anyhow::Error::from)?;
    let component = Component::new(&engine, &instrumented)
        .map_err(anyhow::Error::from)
        .context("cannot compile the scorer template")?;

    let stderr = MemoryOutputPipe::new(STDERR_LIMIT);
    let wasi = WasiCtxBuilder::new().stdin(MemoryInputPipe::new(tables.to_vec())).stderr(stderr.clone()).build();
    let mut store = Store::new(&engine, Wasi { ctx: wasi, table: ResourceTable::new() });
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
    let instance = linker.instantiate_async(&mut store, &component).await.map_err(anyhow::Error::from)?;
    let init = instance.get_typed_func::<(), ()>(&mut store, INIT).map_err(anyhow::Error::from)?;
    if let Err(trap) = init.call_async(&mut store, ()).await {
        let said = String::from_utf8_lossy(&stderr.contents()).trim().to_string();
        return Err(anyhow!("the scorer template could not take the model: {said}")).context(anyhow::Error::from(trap));
    }
    wizer
        .snapshot_component(&context, &mut Snapshot { store: &mut store, instance })
        .await
        .map_err(anyhow::Error::from)
        .context("cannot snapshot the initialised template")
}

/// The WASI state of the initialisation: stdin and stderr pipes only.
struct Wasi {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Wasi {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
    }
}

/// What wizer reads the initialised instance through: the accessor
/// functions its instrumentation exported, each returning one value.
struct Snapshot<'a> {
    store: &'a mut Store<Wasi>,
    instance: Instance,
}

impl Snapshot<'_> {
    /// Calls `func` of the exported `interface` (both added by wizer).
    async fn call<R: Lift + Send + Sync + 'static>(&mut self, interface: &str, func: &str) -> R {
        let (_, scope) = self.instance.get_export(&mut *self.store, None, interface).expect("wizer exported it");
        let (_, index) = self.instance.get_export(&mut *self.store, Some(&scope), func).expect("wizer exported it");
        let func = self.instance.get_typed_func::<(), (R,)>(&mut *self.store, index).expect("wizer typed it");
        func.call_async(&mut *self.store, ()).await.expect("an accessor does not trap").0
    }
}

impl ComponentInstanceState for Snapshot<'_> {
    async fn call_func_ret_list_u8(&mut self, interface: &str, func: &str, contents: impl FnOnce(&[u8]) + Send) {
        let list: WasmList<u8> = self.call(interface, func).await;
        contents(list.as_le_slice(&*self.store));
    }

    async fn call_func_ret_s32(&mut self, interface: &str, func: &str) -> i32 {
        self.call(interface, func).await
    }

    async fn call_func_ret_s64(&mut self, interface: &str, func: &str) -> i64 {
        self.call(interface, func).await
    }

    async fn call_func_ret_f32(&mut self, interface: &str, func: &str) -> u32 {
        self.call::<f32>(interface, func).await.to_bits()
    }

    async fn call_func_ret_f64(&mut self, interface: &str, func: &str) -> u64 {
        self.call::<f64>(interface, func).await.to_bits()
    }
}
