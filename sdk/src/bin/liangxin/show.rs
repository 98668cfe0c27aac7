//! Human-readable output (`--json` prints the values themselves instead).

use liangxin_sdk::contracts::instruments::InstrumentStatus;
use liangxin_sdk::rpc::dto::{
    AccountInfo, CertificateInfo, ChainInfo, CheckpointInfo, DrawInfo, EntryInfo, Finalized,
    InstrumentInfo, OperatorInfo, TxInfo,
};
use serde_json::Value;

fn status(s: &InstrumentStatus) -> String {
    match s {
        InstrumentStatus::Registered => "registered, never verified".into(),
        InstrumentStatus::Verified { until: Some(t) } => format!("verified, valid until {t}"),
        InstrumentStatus::Verified { until: None } => "verified (for its service life)".into(),
        InstrumentStatus::Overdue { since } => format!("OVERDUE since {since}"),
        InstrumentStatus::Failed { at } => format!("FAILED verification on {at}"),
        InstrumentStatus::OutOfService { since } => format!("OUT OF SERVICE since {since}"),
        InstrumentStatus::Retired {
            reason,
            replaced_by,
            ..
        } => match replaced_by {
            Some(r) => format!("retired ({reason:?}), replaced by {r}"),
            None => format!("retired ({reason:?})"),
        },
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

/// The JSON (snake_case) name of a serde enum value, for people: `fuel_station`, not
/// `FuelStation`.
fn name_of<T: serde::Serialize + std::fmt::Debug>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(m)) if m.len() == 1 => {
            let (k, v) = m
                .iter()
                .next()
                .map(|(k, v)| (k.clone(), v.clone()))
                .unwrap_or_default();
            match v {
                serde_json::Value::String(inner) => format!("{k} {inner}"),
                other => format!("{k} {other}"),
            }
        }
        _ => format!("{v:?}"),
    }
}

const NOT_PROVEN: &str = "not verified here: run `liangxin verify` to check the checkpoint's \
signatures, each entry's inclusion and the state proofs";

pub fn chain_info(c: &ChainInfo) {
    println!("chain      {}", c.chain_id);
    println!("height     {}", c.height);
    println!("log size   {}", c.log_size);
    println!("validators {} (quorum {}):", c.validators.len(), c.quorum);
    for v in &c.validators {
        println!("  {}  {}", v.name, v.public_key);
    }
}

pub fn finalized(kind: &str, f: &Finalized) {
    println!("{kind} is final");
    println!("  tx id       {}", f.tx_id);
    println!("  height      {}", f.height);
    println!("  leaf index  {}", f.leaf_index);
    println!(
        "  checkpoint  height {}, log size {}",
        f.checkpoint.height, f.checkpoint.log_size
    );
}

pub fn checkpoint(c: &CheckpointInfo) {
    println!("height      {}", c.height);
    println!("log size    {}", c.log_size);
    println!("log root    {}", c.root);
    println!("block hash  {}", c.block_hash);
    println!("state root  {}", c.state_root);
    println!("note (signatures not verified here; use `liangxin verify checkpoint`):");
    for line in c.note.lines() {
        println!("  {line}");
    }
}

pub fn checkpoint_line(c: &CheckpointInfo, signed: Option<&[String]>) {
    let who = match signed {
        Some(names) => format!("verified, signed by {}", names.join(", ")),
        None => "not verified".into(),
    };
    println!(
        "height {:>8}  log size {:>10}  root {}  ({who})",
        c.height, c.log_size, c.root
    );
}

fn record_summary(e: &EntryInfo) -> String {
    let v = serde_json::to_value(&e.record).unwrap_or(Value::Null);
    let mut parts = Vec::new();
    if let Value::Object(m) = v {
        for (k, v) in m {
            if k == "kind" {
                continue;
            }
            let s = match v {
                Value::String(s) => s,
                Value::Null => continue,
                other => other.to_string(),
            };
            let s: String = if s.chars().count() > 40 {
                s.chars().take(37).chain("...".chars()).collect()
            } else {
                s
            };
            parts.push(format!("{k}={s}"));
        }
    }
    parts.join(" ")
}

pub fn entry(e: &EntryInfo) {
    println!(
        "leaf {}  height {}  {}",
        e.leaf_index,
        e.height,
        e.record.kind_name()
    );
    match serde_json::to_string_pretty(&e.record) {
        Ok(s) => println!("{s}"),
        Err(_) => println!("{}", record_summary(e)),
    }
}

pub fn entry_line(e: &EntryInfo) {
    println!(
        "leaf {:>8}  height {:>8}  {:<24} {}",
        e.leaf_index,
        e.height,
        e.record.kind_name(),
        record_summary(e)
    );
}

pub fn tx(t: &TxInfo) {
    println!("tx {}: {}", t.tx_id, name_of(&t.status));
    if let Some(h) = t.height {
        println!("  height      {h}");
    }
    if let Some(l) = t.leaf_index {
        println!("  leaf index  {l}");
    }
    if let Some(r) = &t.rejection {
        println!("  rejected (code {}): {}", r.code, r.message);
    }
}

pub fn account(a: &AccountInfo) {
    println!("key {}", a.public_key);
    match &a.holder {
        Some(h) => println!("  holder            {}", name_of(h)),
        None => println!("  holder            (not registered)"),
    }
    println!("  revoked           {}", a.revoked);
    println!("  next seq (final)  {}", a.next_seq);
    println!("  next seq to use   {}", a.pending_next_seq);
}

pub fn operator(o: &OperatorInfo) {
    let p = &o.profile.registration;
    println!("operator {}  {}", o.uscc, p.name);
    println!(
        "  region {}  sector {}  key {}",
        p.region,
        name_of(&p.sector),
        o.profile.key
    );
    println!(
        "  registered {}  commitment {}",
        o.profile.registered_at,
        o.profile
            .commitment
            .map(|h| h.to_string())
            .unwrap_or_else(|| "none".into())
    );
    println!(
        "grade {:?} (score {}) at {}",
        o.grade.grade, o.grade.score, o.grade.at
    );
    for r in &o.grade.reasons {
        let until = r.until.map(|t| format!(" until {t}")).unwrap_or_default();
        println!("  {:+4}  {}{until}", r.points, r.text);
    }
    println!("instruments ({}):", o.instruments.len());
    for i in &o.instruments {
        println!(
            "  {}  {}",
            i.state.registration.instrument,
            status(&i.status)
        );
    }
    println!("entries ({}):", o.entries.len());
    for e in &o.entries {
        entry_line(e);
    }
    println!(
        "read at checkpoint: height {}, log size {}",
        o.checkpoint.height, o.checkpoint.log_size
    );
    println!("{NOT_PROVEN}");
}

pub fn instrument(i: &InstrumentInfo) {
    let r = &i.state.registration;
    println!("instrument {}", i.id);
    println!("  status   {}", status(&i.status));
    println!(
        "  model    {}  accuracy {}  range {}",
        r.model, r.accuracy_class, r.range
    );
    println!(
        "  usage    {}  mode {}",
        name_of(&r.usage),
        name_of(&r.mode)
    );
    println!("  location {}", r.location);
    println!("entries ({}):", i.entries.len());
    for e in &i.entries {
        entry_line(e);
    }
    println!(
        "read at checkpoint: height {}, log size {}",
        i.checkpoint.height, i.checkpoint.log_size
    );
    println!("{NOT_PROVEN}");
}

pub fn certificate(c: &CertificateInfo) {
    println!("certificate {}", c.digest);
    if !c.on_ledger {
        println!("  NOT on the ledger");
    }
    if let Some(e) = &c.entry {
        println!("  number       {}", e.number);
        println!("  instrument   {}", e.instrument);
        println!(
            "  institution  {} {}",
            e.institution,
            c.institution_name.as_deref().unwrap_or("")
        );
        println!(
            "  result       {} on {}, valid until {}",
            if e.passed { "pass" } else { "FAIL" },
            e.date,
            e.valid_until
        );
    }
    println!(
        "  valid at {}: {} ({})",
        c.at,
        if c.valid { "yes" } else { "NO" },
        c.validity
    );
    println!("{NOT_PROVEN}");
}

pub fn draw(d: &DrawInfo) {
    println!("draw {}  {:?}", d.id, d.request.label.as_str());
    println!(
        "  jurisdiction {}  requested at height {}  candidates {}",
        d.request.jurisdiction,
        d.request_height,
        d.candidates.len()
    );
    match &d.resolution {
        None => println!("  not resolved yet (waits for the next block's seed)"),
        Some(r) => {
            println!("  resolved at height {} with seed {}", r.height, r.seed);
            for t in &r.targets {
                let names: Vec<&str> = t.inspectors.iter().map(|s| s.as_str()).collect();
                println!(
                    "  {}  grade {:?}  inspectors {}",
                    t.operator,
                    t.grade,
                    names.join(", ")
                );
            }
        }
    }
    println!("{NOT_PROVEN}");
}

/// The report of `liangxin verify`: `{"answer": …, "verified": Verified}`.
pub fn verified(v: &Value) {
    let ver = &v["verified"];
    let cp = &ver["checkpoint"];
    let signed: Vec<&str> = cp["signed_by"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let c = &cp["checkpoint"];
    println!(
        "checkpoint  height {}, log size {}, root {}",
        c["height"],
        c["log_size"],
        c["log_root"].as_str().unwrap_or("?")
    );
    println!(
        "  signatures: {} of {} validators (quorum {}) verified: {}",
        signed.len(),
        cp["validators"],
        cp["quorum"],
        signed.join(", ")
    );
    let link = &ver["link"];
    let link_text = match link["kind"].as_str() {
        Some("first") => "first checkpoint seen: trusted on its signatures".to_string(),
        Some("same") => "same log as the checkpoint verified before".to_string(),
        Some("extends") => format!(
            "consistency proof verified: extends the log of {} leaves to {}",
            link["from_size"], link["to_size"]
        ),
        Some("prefix") => format!(
            "consistency proof verified: a prefix ({} leaves) of the latest log ({} leaves)",
            link["size"], link["latest_size"]
        ),
        _ => link.to_string(),
    };
    println!("  {link_text}");
    if let Some(entries) = ver["entries_included"].as_array() {
        println!(
            "inclusion   {} entr{} verified (bytes under the root, signature, record): {}",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" },
            entries
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(seed) = v["block_seed_checked"].as_object() {
        println!(
            "block seed  VRF output of proposer {} for height {}, final under the quorum checkpoint \
             at height {}: verified",
            seed.get("proposer").and_then(|p| p.as_str()).unwrap_or("?"),
            seed.get("height").unwrap_or(&serde_json::Value::Null),
            seed.get("final_under").unwrap_or(&serde_json::Value::Null),
        );
    }
    if let Some(true) = v["selection_recomputed"].as_bool() {
        println!("selection   recomputed from the seed, the request and the candidates: matches");
    }
    let sp = &ver["state_proof"];
    match sp["status"].as_str() {
        Some("not_provided") => println!(
            "state proof NOT PROVIDED: facts read from state (grade, statuses, that the lists \
             are complete) are the node's word, not proven"
        ),
        Some("verified") => {
            let list = |k: &str| {
                sp[k]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default()
            };
            println!(
                "state proof verified against the state root: {}",
                list("proven")
            );
            let np = list("not_proven");
            if !np.is_empty() {
                println!("  not proven: {np}");
            }
        }
        Some(other) => println!("state proof {other}: not verified"),
        None => {}
    }
}
