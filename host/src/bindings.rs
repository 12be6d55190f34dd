//! Host bindings for the `scorer` world, generated from `wit/` (the one
//! place they are generated).

wasmtime::component::bindgen!({ path: "../wit", world: "scorer" });
