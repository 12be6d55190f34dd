//! The API layer: HTTP in, the layers below called, typed JSON out.
//!
//! - [`startup`]: builds the layers, the router and the listener;
//! - [`state`]: what every request shares, and who is calling;
//! - [`error`]: the one error shape and its statuses and codes;
//! - [`validate`]: checks on ids, text, times, bodies and leads;
//! - [`ndjson`]: a streamed NDJSON body, line by line;
//! - [`rate_limit`]: each tenant's rate limit on the scoring endpoints (429);
//! - [`openapi`]: the OpenAPI document, generated from the handlers;
//! - [`routes`]: the handlers, one file per resource.
//!
//! Nothing below this layer imports from it.

pub mod error;
pub mod ndjson;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod validate;

pub use startup::{Application, Settings};
pub use validate::{LeadLimits, TimeBounds};
