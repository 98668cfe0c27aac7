#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(any(feature = "server", feature = "client"))]
pub mod api;
#[cfg(feature = "server")]
pub mod backend;
pub mod dto;
mod error;
#[cfg(feature = "server")]
pub mod portal;
#[cfg(feature = "server")]
mod server;

#[cfg(feature = "client")]
pub use api::LxApiClient;
#[cfg(feature = "server")]
pub use api::LxApiServer;
#[cfg(feature = "server")]
pub use backend::{Backend, EntryEvent};
pub use dto::{MAX_ENTRIES_PER_CALL, MAX_WAIT_MS};
pub use error::{RpcError, codes};
#[cfg(feature = "server")]
pub use server::{RpcConfig, RpcImpl, start_server, start_server_with_portal};

/// jsonrpsee, as this crate uses it (clients: `jsonrpsee::http_client::HttpClientBuilder`,
/// `jsonrpsee::ws_client::WsClientBuilder`; servers: `jsonrpsee::server::ServerHandle`).
pub use jsonrpsee;
/// The contracts whose types the API carries.
pub use liangxin_contracts as contracts;
/// The protocol types this crate builds on.
pub use liangxin_types as types;
