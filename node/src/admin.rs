//! The operator's p2p admin calls, for test and chaos tooling (`[admin] p2p_links`, off by
//! default): cut and heal this node's link to a peer, list its connected peers. Served on the
//! metrics listener, which must then be a loopback address, and answered only to loopback
//! clients: these calls change who the node talks to, so they are never public.
//!
//! - `POST /admin/p2p/cut/KEY`: disconnect the peer with public key `KEY` (64 hex digits) and
//!   refuse it (no redial, its dials refused) until healed.
//! - `POST /admin/p2p/heal/KEY`: undo a cut (the peer is allowed and redialled again, if it is
//!   still allowed by the validator set or the observer list).
//! - `GET /admin/p2p/peers`: the connected peers' keys, a JSON array of hex strings.
//!
//! A cut is this node's side only, and lasts until healed or until the node restarts.

use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Response, StatusCode};
use liangxin_p2p::Network;
use liangxin_types::KeyBytes;
use liangxin_types::PublicKey;

/// The path prefix of the admin calls.
pub const PREFIX: &str = "/admin/";

fn answer(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

/// Answers one admin request (`path` starts with [`PREFIX`]) from `remote`. `net` is `None`
/// when admin calls are off or the node runs without a network.
pub async fn handle(
    net: Option<&Network>,
    remote: SocketAddr,
    method: &Method,
    path: &str,
) -> Response<Full<Bytes>> {
    if !remote.ip().is_loopback() {
        return answer(
            StatusCode::FORBIDDEN,
            "forbidden: admin calls are answered to loopback clients only\n",
        );
    }
    let Some(net) = net else {
        return answer(
            StatusCode::NOT_FOUND,
            "not found: admin calls are off (set [admin] p2p_links = true on a networked node)\n",
        );
    };
    let rest = path.strip_prefix("/admin/p2p/").unwrap_or("");
    match (method, rest.split_once('/')) {
        (&Method::GET, None) if rest == "peers" => match net.peers().await {
            Ok(keys) => {
                let hexes: Vec<String> = keys.iter().map(|k| hex::encode(k.as_bytes())).collect();
                let mut r = answer(
                    StatusCode::OK,
                    serde_json::to_string(&hexes).unwrap_or_else(|_| "[]".into()),
                );
                r.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/json"),
                );
                r
            }
            Err(e) => answer(StatusCode::SERVICE_UNAVAILABLE, format!("p2p: {e}\n")),
        },
        (&Method::POST, Some((verb @ ("cut" | "heal"), key))) => {
            let key = match PublicKey::from_hex(key) {
                Ok(k) => KeyBytes::from(k),
                Err(e) => {
                    return answer(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "bad request: the peer key must be 64 hex digits of a valid key: {e}\n"
                        ),
                    );
                }
            };
            let done = if verb == "cut" {
                net.cut(key).await
            } else {
                net.heal(key).await
            };
            match done {
                Ok(()) => answer(StatusCode::OK, format!("{verb} ok\n")),
                Err(e) => answer(StatusCode::SERVICE_UNAVAILABLE, format!("p2p: {e}\n")),
            }
        }
        _ => answer(
            StatusCode::NOT_FOUND,
            "not found: POST /admin/p2p/cut/KEY, POST /admin/p2p/heal/KEY, GET /admin/p2p/peers\n",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn status(net: Option<&Network>, remote: &str, method: Method, path: &str) -> u16 {
        handle(net, remote.parse().unwrap(), &method, path)
            .await
            .status()
            .as_u16()
    }

    #[tokio::test]
    async fn only_loopback_clients_and_only_when_on() {
        assert_eq!(
            status(None, "10.1.2.3:5000", Method::POST, "/admin/p2p/cut/00").await,
            403
        );
        assert_eq!(
            status(None, "[2001:db8::1]:5000", Method::GET, "/admin/p2p/peers").await,
            403
        );
        // Off (or no network): not found, whatever the call.
        assert_eq!(
            status(None, "127.0.0.1:5000", Method::GET, "/admin/p2p/peers").await,
            404
        );
    }
}
