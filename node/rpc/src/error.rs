//! The crate's one error type and the stable JSON-RPC error codes.

use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use liangxin_types::Hash;
use serde::{Deserialize, Serialize};

use crate::dto::RejectionInfo;

/// JSON-RPC error codes of this API. The numbers never change meaning; new errors get new numbers.
///
/// The standard codes (`-32700` parse error, `-32600` invalid request, `-32601` method not
/// found, `-32602` invalid params, `-32603` internal error) and jsonrpsee's server codes
/// (`-32007` request too big, `-32008` response too big, `-32006` too many subscriptions,
/// `-32010` batch too big, `-32009` server busy) keep their usual meaning.
pub mod codes {
    /// Standard JSON-RPC: the request is not valid JSON.
    pub const PARSE_ERROR: i32 = -32700;
    /// Standard JSON-RPC: the request is not a valid request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// Standard JSON-RPC: there is no such method.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Standard JSON-RPC: the parameters have the wrong number or JSON types.
    pub const INVALID_PARAMS: i32 = -32602;
    /// Standard JSON-RPC: the node failed while answering (not the caller's fault).
    pub const INTERNAL_ERROR: i32 = -32603;
    /// jsonrpsee: too many subscriptions on one connection.
    pub const TOO_MANY_SUBSCRIPTIONS: i32 = -32006;
    /// jsonrpsee: the request body is above `max_request_body_size`.
    pub const OVERSIZED_REQUEST: i32 = -32007;
    /// jsonrpsee: the response is above `max_response_body_size` (ask for less).
    pub const OVERSIZED_RESPONSE: i32 = -32008;
    /// jsonrpsee: the batch has more calls than `max_batch_size` (or batches are disabled:
    /// `-32005`).
    pub const TOO_BIG_BATCH: i32 = -32010;

    /// The thing asked for does not exist (yet): a leaf, a height, an operator, an instrument,
    /// a draw.
    pub const NOT_FOUND: i32 = 1000;
    /// A parameter has the right JSON type but a wrong value: bad hex, a bad USCC (the message
    /// names the expected check character), a size or range out of bounds.
    pub const BAD_REQUEST: i32 = 1001;
    /// The transaction was rejected; `data` is `{code, message}` from the contracts' rejection
    /// (plus `tx_id` when known).
    pub const REJECTED: i32 = 1002;
    /// The node is busy (e.g. its mempool is full): retry later.
    pub const BUSY: i32 = 1003;
    /// `lx_submitAndWait` gave up waiting; the transaction may still become final. `data` is
    /// `{tx_id, waited_ms}`: ask `lx_tx` later.
    pub const TIMEOUT: i32 = 1004;
}

/// Everything that can go wrong in this crate: answers the backend or the input checks give
/// (each becomes a JSON-RPC error object with a stable code, see [`codes`]), and failures to
/// start the server.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RpcError {
    /// Not found ([`codes::NOT_FOUND`]).
    #[error("not found: {0}")]
    NotFound(String),
    /// A well-typed parameter with a bad value ([`codes::BAD_REQUEST`]).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The transaction was rejected ([`codes::REJECTED`]).
    #[error("transaction rejected (code {}): {}", .rejection.code, .rejection.message)]
    Rejected {
        /// The transaction, when known.
        tx_id: Option<Hash>,
        /// The contracts' (or admission's) rejection.
        rejection: RejectionInfo,
    },
    /// The node is busy, e.g. the mempool is full ([`codes::BUSY`]).
    #[error("busy, retry later: {0}")]
    Busy(String),
    /// Waiting for finality timed out ([`codes::TIMEOUT`]).
    #[error(
        "transaction {tx_id} was not final after {waited_ms} ms; it may still be: ask lx_tx later"
    )]
    Timeout {
        /// The transaction waited for.
        tx_id: Hash,
        /// How long the server waited.
        waited_ms: u64,
    },
    /// The node failed while answering ([`codes::INTERNAL_ERROR`]).
    #[error("internal error: {0}")]
    Internal(String),
    /// An [`RpcConfig`](crate::RpcConfig) value that cannot work (never sent on the wire).
    #[error("invalid rpc config: {0}")]
    Config(String),
    /// The server could not listen (never sent on the wire).
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// An error object with a code this crate does not name (client side: e.g. jsonrpsee's
    /// own `-32602`, `-32601`, `-32007`).
    #[error("rpc error {code}: {message}")]
    Other {
        /// The JSON-RPC code.
        code: i32,
        /// The message.
        message: String,
        /// The `data` member, if any.
        data: Option<serde_json::Value>,
    },
}

/// `data` of a [`codes::REJECTED`] error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RejectedData {
    code: u16,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tx_id: Option<Hash>,
}

/// `data` of a [`codes::TIMEOUT`] error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TimeoutData {
    tx_id: Hash,
    waited_ms: u64,
}

impl RpcError {
    /// A not-found error.
    pub fn not_found(what: impl Into<String>) -> Self {
        RpcError::NotFound(what.into())
    }

    /// A bad-request error.
    pub fn bad_request(why: impl Into<String>) -> Self {
        RpcError::BadRequest(why.into())
    }

    /// The JSON-RPC code this error is sent with.
    pub fn code(&self) -> i32 {
        match self {
            RpcError::NotFound(_) => codes::NOT_FOUND,
            RpcError::BadRequest(_) => codes::BAD_REQUEST,
            RpcError::Rejected { .. } => codes::REJECTED,
            RpcError::Busy(_) => codes::BUSY,
            RpcError::Timeout { .. } => codes::TIMEOUT,
            RpcError::Internal(_) | RpcError::Config(_) | RpcError::Bind { .. } => {
                codes::INTERNAL_ERROR
            }
            RpcError::Other { code, .. } => *code,
        }
    }

    /// The error object sent on the wire: the code, `self.to_string()` as the message, and
    /// `data` for rejections and timeouts.
    pub fn to_error_object(&self) -> ErrorObjectOwned {
        let data = match self {
            RpcError::Rejected { tx_id, rejection } => serde_json::to_value(RejectedData {
                code: rejection.code,
                message: rejection.message.clone(),
                tx_id: *tx_id,
            })
            .ok(),
            RpcError::Timeout { tx_id, waited_ms } => serde_json::to_value(TimeoutData {
                tx_id: *tx_id,
                waited_ms: *waited_ms,
            })
            .ok(),
            RpcError::Other { data, .. } => data.clone(),
            _ => None,
        };
        ErrorObject::owned(self.code(), self.to_string(), data)
    }

    /// Reads an error object back (client side): this crate's codes become their variants
    /// (the message's prefix, e.g. `"not found: "`, is removed again), anything else
    /// [`RpcError::Other`].
    pub fn from_error_object(e: &ErrorObject<'_>) -> Self {
        let message = e.message();
        let data: Option<serde_json::Value> =
            e.data().and_then(|d| serde_json::from_str(d.get()).ok());
        let strip = |prefix: &str| message.strip_prefix(prefix).unwrap_or(message).to_string();
        let other = || RpcError::Other {
            code: e.code(),
            message: message.to_string(),
            data: data.clone(),
        };
        match e.code() {
            codes::NOT_FOUND => RpcError::NotFound(strip("not found: ")),
            codes::BAD_REQUEST => RpcError::BadRequest(strip("bad request: ")),
            codes::BUSY => RpcError::Busy(strip("busy, retry later: ")),
            codes::REJECTED => match data
                .clone()
                .and_then(|d| serde_json::from_value::<RejectedData>(d).ok())
            {
                Some(d) => RpcError::Rejected {
                    tx_id: d.tx_id,
                    rejection: RejectionInfo {
                        code: d.code,
                        message: d.message,
                    },
                },
                None => other(),
            },
            codes::TIMEOUT => match data
                .clone()
                .and_then(|d| serde_json::from_value::<TimeoutData>(d).ok())
            {
                Some(d) => RpcError::Timeout {
                    tx_id: d.tx_id,
                    waited_ms: d.waited_ms,
                },
                None => other(),
            },
            _ => other(),
        }
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(e: RpcError) -> Self {
        e.to_error_object()
    }
}

impl From<liangxin_contracts::Rejection> for RpcError {
    fn from(r: liangxin_contracts::Rejection) -> Self {
        RpcError::Rejected {
            tx_id: None,
            rejection: r.into(),
        }
    }
}
