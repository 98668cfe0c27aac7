//! A client of a node's p2p admin calls (`liangxin-node --admin-p2p-links`, served on its
//! loopback metrics listener): cut and heal one link, list connected peers. Plain HTTP/1.1 over
//! a loopback TCP connection, bounded by timeouts.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, bail};

const TIMEOUT: Duration = Duration::from_secs(3);

/// Sends `METHOD path` to the admin listener at `addr` (`127.0.0.1:PORT`) and returns the body
/// of a 200 answer; any other status is an error carrying the node's message.
pub fn call(addr: &str, method: &str, path: &str) -> anyhow::Result<String> {
    let sock: std::net::SocketAddr = addr
        .parse()
        .with_context(|| format!("admin address {addr}"))?;
    if !sock.ip().is_loopback() {
        bail!("admin calls go to loopback addresses only, not {addr}");
    }
    let mut s = TcpStream::connect_timeout(&sock, TIMEOUT)
        .with_context(|| format!("connect to the admin listener {addr}"))?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .with_context(|| format!("{method} {path} at {addr}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .with_context(|| format!("{method} {path} at {addr}: no HTTP status in the answer"))?;
    if status != 200 {
        bail!("{method} {path} at {addr}: {status} {}", body.trim());
    }
    Ok(body.to_string())
}

/// Cuts the link from the node at `addr` to the peer with public key `peer` (hex).
pub fn cut(addr: &str, peer: &str) -> anyhow::Result<()> {
    call(addr, "POST", &format!("/admin/p2p/cut/{peer}")).map(drop)
}

/// Heals a link cut with [`cut`].
pub fn heal(addr: &str, peer: &str) -> anyhow::Result<()> {
    call(addr, "POST", &format!("/admin/p2p/heal/{peer}")).map(drop)
}

/// The keys (hex) of the peers the node at `addr` is connected to.
pub fn peers(addr: &str) -> anyhow::Result<Vec<String>> {
    let body = call(addr, "GET", "/admin/p2p/peers")?;
    serde_json::from_str(&body).context("the peer list is not a JSON array of strings")
}
