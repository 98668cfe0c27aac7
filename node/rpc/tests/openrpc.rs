//! `docs/openrpc.json` against the server's real method list and parameters.
//!
//! The module under test is the real one, `RpcImpl::new(backend).into_rpc()`, over the mock
//! backend of the API tests (`common::Mock`). Checks:
//!
//! - the document parses, says OpenRPC 1.2, and names each method once;
//! - every method the server registers is documented, and every documented method is served
//!   (subscriptions and their unsubscribe methods included);
//! - for every method with parameters declared in `api.rs`, the documented parameters are the
//!   trait's, by name and by position: the documented example, sent by position and by name,
//!   is not an "invalid params" (-32602) error; leaving out a required documented parameter,
//!   or giving any documented parameter a value of the wrong type, is one (so the server reads
//!   every documented name); and a value after the documented ones is ignored (so the trait
//!   has no undocumented trailing parameter);
//! - the unsubscribe methods (jsonrpsee's, not in `api.rs`) take one `subscription` and answer
//!   a boolean.

#![cfg(all(feature = "server", feature = "client"))]
// Test helpers outside `#[test]` functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use liangxin_rpc::jsonrpsee::RpcModule;
use liangxin_rpc::{LxApiServer, RpcImpl, codes};
use serde_json::{Map, Value, json};
use tokio::time::timeout;

use common::{Mock, WAIT};

/// A value no parameter of the API accepts: not a string, not a number, and an object with
/// a field that every parameter object refuses.
fn wrong_type() -> Value {
    json!({ "__not_a_parameter_value__": true })
}

fn load_doc() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openrpc.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn module() -> RpcModule<RpcImpl<Mock>> {
    RpcImpl::new(Arc::new(Mock::new())).into_rpc()
}

/// One documented parameter.
struct Param {
    name: String,
    required: bool,
    /// The documented example's value, if the example gives one.
    example: Option<Value>,
}

/// One documented method.
struct Method {
    name: String,
    params: Vec<Param>,
}

fn methods(doc: &Value) -> Vec<Method> {
    let list = doc["methods"].as_array().expect("`methods` is an array");
    list.iter()
        .map(|m| {
            let name = m["name"].as_str().expect("a method has a name").to_string();
            let example: Map<String, Value> = m["examples"][0]["params"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: the first example has no `params` array"))
                .iter()
                .map(|p| {
                    let n = p["name"].as_str().expect("an example param has a name");
                    (n.to_string(), p["value"].clone())
                })
                .collect();
            let params: Vec<Param> = m["params"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: `params` is not an array"))
                .iter()
                .map(|p| {
                    let pname = p["name"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{name}: a param has no name"))
                        .to_string();
                    assert!(p.get("schema").is_some(), "{name}({pname}): no schema");
                    Param {
                        required: p["required"].as_bool().unwrap_or(false),
                        example: example.get(&pname).cloned(),
                        name: pname,
                    }
                })
                .collect();
            for n in example.keys() {
                assert!(
                    params.iter().any(|p| &p.name == n),
                    "{name}: the example names a parameter `{n}` that is not documented"
                );
            }
            Method { name, params }
        })
        .collect()
}

/// Sends one call and returns the error code, if any.
async fn call(module: &RpcModule<RpcImpl<Mock>>, method: &str, params: Value) -> Option<i64> {
    let req = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let (resp, _rx) = timeout(WAIT, module.raw_json_request(&req.to_string(), 16))
        .await
        .unwrap_or_else(|_| panic!("{method}: no answer within {WAIT:?}"))
        .unwrap();
    let resp: Value = serde_json::from_str(resp.get()).unwrap();
    resp.get("error").map(|e| e["code"].as_i64().unwrap())
}

fn is_unsubscribe(name: &str) -> bool {
    name.starts_with("lx_unsubscribe")
}

#[test]
fn document_is_openrpc_and_names_each_method_once() {
    let doc = load_doc();
    let version = doc["openrpc"].as_str().expect("`openrpc` is a string");
    assert!(version.starts_with("1.2."), "OpenRPC version {version}");
    let mut seen = BTreeSet::new();
    for m in methods(&doc) {
        assert!(seen.insert(m.name.clone()), "{} documented twice", m.name);
        assert!(
            m.name.starts_with("lx_"),
            "{}: not in the lx namespace",
            m.name
        );
    }
}

#[test]
fn documented_methods_are_exactly_the_served_ones() {
    let doc = load_doc();
    let documented: BTreeSet<String> = methods(&doc).into_iter().map(|m| m.name).collect();
    let served: BTreeSet<String> = module().method_names().map(str::to_string).collect();
    let undocumented: Vec<&String> = served.difference(&documented).collect();
    let unserved: Vec<&String> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in docs/openrpc.json: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in docs/openrpc.json but not served: {unserved:?}"
    );
    // The subscriptions and their unsubscribe methods are in both lists.
    for name in [
        "lx_subscribeCheckpoints",
        "lx_unsubscribeCheckpoints",
        "lx_subscribeEntries",
        "lx_unsubscribeEntries",
    ] {
        assert!(served.contains(name), "{name} is not served");
    }
}

#[tokio::test]
async fn documented_params_are_the_traits() {
    let doc = load_doc();
    let module = module();
    for m in methods(&doc) {
        let name = m.name.as_str();
        if is_unsubscribe(name) {
            // jsonrpsee's unsubscribe: one positional subscription id; answers `false` (never
            // an error) for anything it cannot use.
            assert_eq!(m.params.len(), 1, "{name}: one parameter");
            assert_eq!(m.params[0].name, "subscription", "{name}: its parameter");
            let id = m.params[0].example.clone().expect("an example id");
            let req = json!({ "jsonrpc": "2.0", "id": 1, "method": name, "params": [id] });
            let (resp, _rx) = module.raw_json_request(&req.to_string(), 16).await.unwrap();
            let resp: Value = serde_json::from_str(resp.get()).unwrap();
            assert!(resp["result"].is_boolean(), "{name}: {resp}");
            continue;
        }
        // Values for every parameter: the example's, or null for an optional one without.
        let values: Vec<Value> = m
            .params
            .iter()
            .map(|p| match (&p.example, p.required) {
                (Some(v), _) => v.clone(),
                (None, false) => Value::Null,
                (None, true) => panic!("{name}: the example gives no value for `{}`", p.name),
            })
            .collect();
        let by_name = |skip: Option<usize>, replace: Option<usize>| -> Value {
            let mut obj = Map::new();
            for (i, (p, v)) in m.params.iter().zip(&values).enumerate() {
                if skip == Some(i) {
                    continue;
                }
                let v = if replace == Some(i) {
                    wrong_type()
                } else {
                    v.clone()
                };
                obj.insert(p.name.clone(), v);
            }
            Value::Object(obj)
        };
        let invalid = Some(i64::from(codes::INVALID_PARAMS));

        // The example, by position and by name: the server takes these parameters.
        let code = call(&module, name, Value::Array(values.clone())).await;
        assert_ne!(
            code, invalid,
            "{name}: documented params by position refused"
        );
        if !m.params.is_empty() {
            let code = call(&module, name, by_name(None, None)).await;
            assert_ne!(code, invalid, "{name}: documented param names refused");
        }

        // Nothing undocumented after them.
        let mut extra = values.clone();
        extra.push(wrong_type());
        let code = call(&module, name, Value::Array(extra)).await;
        assert_ne!(
            code,
            invalid,
            "{name}: the server reads a parameter after the {} documented ones",
            m.params.len()
        );

        for (i, p) in m.params.iter().enumerate() {
            // The server reads this name, at this position.
            let code = call(&module, name, by_name(None, Some(i))).await;
            assert_eq!(
                code, invalid,
                "{name}: a wrong type for `{}` was not refused: the server does not read that name",
                p.name
            );
            let mut positional = values.clone();
            positional[i] = wrong_type();
            let code = call(&module, name, Value::Array(positional)).await;
            assert_eq!(
                code, invalid,
                "{name}: a wrong type at position {i} (`{}`) was not refused",
                p.name
            );
            // Required in the document exactly when required by the trait.
            let code = call(&module, name, by_name(Some(i), None)).await;
            if p.required {
                assert_eq!(
                    code, invalid,
                    "{name}: `{}` is documented as required but may be left out",
                    p.name
                );
            } else {
                assert_ne!(
                    code, invalid,
                    "{name}: `{}` is documented as optional but is required",
                    p.name
                );
            }
        }
    }
}
