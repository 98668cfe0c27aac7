//! The public portal (`docs/portal.md`): a small web app, embedded in the binary, that the RPC
//! server serves at `/portal/` on its own port. The page asks the same JSON-RPC API as every
//! client and checks every answer itself, in the browser, against the validators' signatures,
//! so serving it adds no trust in the node.
//!
//! [`PortalLayer`] is the server's HTTP middleware: `GET`/`HEAD` of `/portal/…` are answered
//! from the embedded files (gzip when the browser accepts it), a plain `GET /` (not a
//! WebSocket upgrade) is redirected to `/portal/`, and everything else goes on to JSON-RPC.
//! Besides the files, `/portal/trust.json` carries what the node's operator pins the page to:
//! the chain id and the genesis validators.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::body::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Method, StatusCode};
use jsonrpsee::core::BoxError;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tower::{Layer, Service};

/// The built page (`node/portal/dist`, built by `node/portal/build.mjs` and checked in, so a
/// Rust build needs no JavaScript tools).
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "/portal/",
        "text/html; charset=utf-8",
        include_bytes!("../../portal/dist/index.html"),
    ),
    (
        "/portal/app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../portal/dist/app.js"),
    ),
    (
        "/portal/app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../portal/dist/app.css"),
    ),
    (
        "/portal/favicon.svg",
        "image/svg+xml",
        include_bytes!("../../portal/dist/favicon.svg"),
    ),
];

/// What the page trusts: `/portal/trust.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalTrust {
    /// The chain id (checkpoint origins are `liangxin/<chain_id>`).
    pub chain_id: String,
    /// The genesis document's hash, to compare with the one the regulators publish.
    pub genesis_hash: String,
    /// The genesis validators, `{name, public_key}` (hex).
    pub validators: Vec<PortalValidator>,
    /// Signatures a checkpoint needs: 2f+1 of the validators.
    pub quorum: u32,
}

/// One pinned validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalValidator {
    /// Its checkpoint-signing name.
    pub name: String,
    /// Its Ed25519 key, hex.
    pub public_key: String,
}

/// One file ready to send.
#[derive(Debug)]
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: Bytes,
    gzip: Bytes,
}

/// The portal's files, compressed once.
#[derive(Debug)]
pub struct Portal {
    assets: Vec<Asset>,
}

fn gzip(data: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    Bytes::from(enc.finish().unwrap_or_default())
}

impl Portal {
    /// The embedded page with `trust` as its `trust.json`.
    pub fn new(trust: &PortalTrust) -> Portal {
        let trust = serde_json::to_vec_pretty(trust).unwrap_or_default();
        let mut assets: Vec<Asset> = FILES
            .iter()
            .map(|(path, content_type, body)| Asset {
                path,
                content_type,
                body: Bytes::from_static(body),
                gzip: gzip(body),
            })
            .collect();
        assets.push(Asset {
            path: "/portal/trust.json",
            content_type: "application/json",
            gzip: gzip(&trust),
            body: Bytes::from(trust),
        });
        Portal { assets }
    }

    /// The bytes of the page's JavaScript and CSS, gzip-compressed as served (the figure
    /// `docs/portal.md` budgets).
    pub fn compressed_script_and_style(&self) -> usize {
        self.assets
            .iter()
            .filter(|a| a.path.ends_with(".js") || a.path.ends_with(".css"))
            .map(|a| a.gzip.len())
            .sum()
    }

    fn find(&self, path: &str) -> Option<&Asset> {
        let path = if path == "/portal" || path == "/portal/index.html" {
            "/portal/"
        } else {
            path
        };
        self.assets.iter().find(|a| a.path == path)
    }

    fn answer<B>(&self, req: &HttpRequest<B>) -> Option<HttpResponse> {
        let path = req.uri().path();
        let get = req.method() == Method::GET;
        let head = req.method() == Method::HEAD;
        if !(get || head) {
            return None;
        }
        if path == "/" {
            // A WebSocket handshake is a GET of `/` too: leave it to the server.
            if req.headers().contains_key(header::UPGRADE) {
                return None;
            }
            return Some(response(
                StatusCode::FOUND,
                &[(header::LOCATION, HeaderValue::from_static("/portal/"))],
                Bytes::new(),
                head,
            ));
        }
        if !(path == "/portal" || path.starts_with("/portal/")) {
            return None;
        }
        let Some(asset) = self.find(path) else {
            return Some(response(
                StatusCode::NOT_FOUND,
                &[(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                )],
                Bytes::from_static(b"not found\n"),
                head,
            ));
        };
        let gzip_ok = req
            .headers()
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
        let mut headers = vec![
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::VARY, HeaderValue::from_static("accept-encoding")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'self'; style-src 'self'; \
                     img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
                     form-action 'self'; frame-ancestors 'none'",
                ),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ];
        let body = if gzip_ok {
            headers.push((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
            asset.gzip.clone()
        } else {
            asset.body.clone()
        };
        Some(response(StatusCode::OK, &headers, body, head))
    }
}

fn response(
    status: StatusCode,
    headers: &[(header::HeaderName, HeaderValue)],
    body: Bytes,
    head: bool,
) -> HttpResponse {
    let mut r = HttpResponse::new(HttpBody::empty());
    *r.status_mut() = status;
    for (k, v) in headers {
        r.headers_mut().insert(k.clone(), v.clone());
    }
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    if !head {
        *r.body_mut() = HttpBody::new(http_body_util::Full::new(body));
    }
    r
}

/// The server's HTTP middleware: the portal's files, or JSON-RPC. Without a portal (the
/// config switch off) every request goes on to JSON-RPC.
#[derive(Clone, Debug)]
pub struct PortalLayer(Option<Arc<Portal>>);

impl PortalLayer {
    /// Serves `portal`, or nothing when `None`.
    pub fn new(portal: Option<Arc<Portal>>) -> Self {
        PortalLayer(portal)
    }
}

impl<S> Layer<S> for PortalLayer {
    type Service = PortalService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PortalService {
            inner,
            portal: self.0.clone(),
        }
    }
}

/// See [`PortalLayer`].
#[derive(Clone, Debug)]
pub struct PortalService<S> {
    inner: S,
    portal: Option<Arc<Portal>>,
}

impl<S, B> Service<HttpRequest<B>> for PortalService<S>
where
    S: Service<HttpRequest<B>, Response = HttpResponse>,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: HttpRequest<B>) -> Self::Future {
        if let Some(r) = self.portal.as_ref().and_then(|p| p.answer(&req)) {
            return Box::pin(async move { Ok(r) });
        }
        let fut = self.inner.call(req);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::io::Read;

    fn trust() -> PortalTrust {
        PortalTrust {
            chain_id: "liangxin-test-0011223344556677".into(),
            genesis_hash: "00".repeat(32),
            validators: vec![PortalValidator {
                name: "regulator-1".into(),
                public_key: "11".repeat(32),
            }],
            quorum: 1,
        }
    }

    fn req(method: Method, path: &str, headers: &[(&str, &str)]) -> HttpRequest<()> {
        let mut b = hyper::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap()
    }

    async fn body(r: HttpResponse) -> Vec<u8> {
        r.into_body().collect().await.unwrap().to_bytes().to_vec()
    }

    #[tokio::test]
    async fn serves_the_page_and_leaves_everything_else_to_json_rpc() {
        let p = Portal::new(&trust());
        // `GET /` goes to the page; a WebSocket handshake and every POST go on to JSON-RPC.
        let r = p.answer(&req(Method::GET, "/", &[])).unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(r.headers()[header::LOCATION], "/portal/");
        assert!(
            p.answer(&req(Method::GET, "/", &[("upgrade", "websocket")]))
                .is_none()
        );
        assert!(p.answer(&req(Method::POST, "/", &[])).is_none());
        assert!(p.answer(&req(Method::POST, "/portal/", &[])).is_none());
        assert!(p.answer(&req(Method::GET, "/metrics", &[])).is_none());

        let r = p.answer(&req(Method::GET, "/portal/", &[])).unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let html = body(r).await;
        assert_eq!(html, include_bytes!("../../portal/dist/index.html"));

        // gzip when accepted, and it decompresses to the same bytes.
        let r = p
            .answer(&req(
                Method::GET,
                "/portal/app.js",
                &[("accept-encoding", "br, gzip")],
            ))
            .unwrap();
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        let gz = body(r).await;
        let mut js = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut js)
            .unwrap();
        assert_eq!(js, include_bytes!("../../portal/dist/app.js"));

        // HEAD: headers only.
        let r = p
            .answer(&req(Method::HEAD, "/portal/app.css", &[]))
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(body(r).await.is_empty());

        let r = p.answer(&req(Method::GET, "/portal/nope.js", &[])).unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        let r = p
            .answer(&req(Method::GET, "/portal/trust.json", &[]))
            .unwrap();
        let t: PortalTrust = serde_json::from_slice(&body(r).await).unwrap();
        assert_eq!(t, trust());
    }

    #[test]
    fn page_weight_is_within_its_budget() {
        let n = Portal::new(&trust()).compressed_script_and_style();
        assert!(n > 0 && n <= 200 * 1024, "{n} bytes gzipped");
    }
}
