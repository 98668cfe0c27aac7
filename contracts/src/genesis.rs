//! Genesis: the document that starts a chain.
//!
//! A JSON document (unknown fields are refused):
//!
//! ```json
//! {
//!   "chain_name": "liangxin-fujian",
//!   "genesis_time": 1767225600,
//!   "regulators": [
//!     { "name": "fujian-amr", "key": "<64 hex digits>", "jurisdiction": "35", "validator": true }
//!   ],
//!   "params": { ... },          // optional: RuleParams::default()
//!   "catalogue": [ ... ],       // optional: catalogue::standard_catalogue()
//!   "institutions": [ ... ]     // optional: InstitutionRegistration objects
//! }
//! ```
//!
//! Its hash ([`Genesis::hash`]) is BLAKE3 in derive-key mode with the context
//! [`GENESIS_CONTEXT`] over the canonical (BCS) bytes of the document *with the defaults
//! filled in*, so omitting `params` and spelling out the defaults give the same chain. The
//! chain id is `<chain_name>-<first 16 hex digits of the hash>` ([`Genesis::chain_id`]): the
//! document hashes to the chain id, and every signed record names it.

use liangxin_types::encoding::Canonical;
use liangxin_types::tx::ChainId;
use liangxin_types::{Hash, PublicKey, SigningKey};
use serde::{Deserialize, Serialize};

use crate::catalogue::standard_catalogue;
use crate::governance::check_regulator_name;
use crate::model::{CatalogueItem, Jurisdiction, ShortText, Time};
use crate::params::RuleParams;
use crate::records::InstitutionRegistration;
use crate::rejection::{Code, Rejection};
use crate::store::{ChainMeta, Holder, InstitutionState, Participant, RegulatorState, tables};
use crate::{ExecError, State};

/// The blake3 derive-key context of the genesis hash.
pub const GENESIS_CONTEXT: &str = liangxin_types::Domain::Genesis.context();

/// Longest chain name (the chain id adds `-` and 16 hex digits).
pub const MAX_CHAIN_NAME: usize = 40;

/// A regulator named in genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisRegulator {
    /// Name (also its checkpoint-signing name).
    pub name: ShortText,
    /// Its key (hex in JSON).
    pub key: PublicKey,
    /// Where it may act (`""` is national).
    pub jurisdiction: Jurisdiction,
    /// Whether it runs a validator.
    pub validator: bool,
}

/// The genesis document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The chain's name: `a-z`, `0-9` and `-`, at most 40 characters, starting with a letter
    /// or digit.
    pub chain_name: String,
    /// The chain's start (seconds since the Unix epoch).
    pub genesis_time: Time,
    /// The founding regulators (at least one, at least one of them a validator).
    pub regulators: Vec<GenesisRegulator>,
    /// The rule parameters (default: [`RuleParams::default`]).
    #[serde(default)]
    pub params: RuleParams,
    /// The instrument catalogue (default: [`standard_catalogue`]).
    #[serde(default = "standard_catalogue")]
    pub catalogue: Vec<CatalogueItem>,
    /// Verification institutions registered from the start.
    #[serde(default)]
    pub institutions: Vec<InstitutionRegistration>,
}

impl Canonical for Genesis {
    const NAME: &'static str = "genesis";
}

fn bad(m: impl Into<String>) -> Rejection {
    Rejection::new(Code::BadField, format!("genesis: {}", m.into()))
}

impl Genesis {
    /// Parses a genesis document from JSON (not yet validated: see [`Genesis::validate`]).
    pub fn from_json(json: &str) -> Result<Genesis, Rejection> {
        serde_json::from_str(json).map_err(|e| bad(e.to_string()))
    }

    /// The document as pretty JSON.
    pub fn to_json(&self) -> Result<String, Rejection> {
        serde_json::to_string_pretty(self).map_err(|e| bad(e.to_string()))
    }

    /// The genesis hash: blake3 derive-key [`GENESIS_CONTEXT`] over the canonical bytes.
    pub fn hash(&self) -> Result<Hash, Rejection> {
        let bytes = self.to_canonical().map_err(|e| bad(e.to_string()))?;
        Ok(liangxin_types::Domain::Genesis.hash(&bytes))
    }

    /// The chain id: `<chain_name>-<first 16 hex digits of the hash>`.
    pub fn chain_id(&self) -> Result<ChainId, Rejection> {
        let hex = self.hash()?.to_hex();
        let short = hex.get(..16).unwrap_or(&hex);
        ChainId::new(&format!("{}-{short}", self.chain_name)).map_err(|e| bad(e.to_string()))
    }

    /// Checks the document: chain name, at least one regulator and one validator, distinct
    /// names and keys, torsion-free keys, valid parameters, a sound catalogue, institutions
    /// with catalogue categories and ordered validity.
    pub fn validate(&self) -> Result<(), Rejection> {
        let n = &self.chain_name;
        if n.is_empty()
            || n.len() > MAX_CHAIN_NAME
            || !n
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || !n.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        {
            return Err(bad(format!(
                "chain name {n:?} must be 1 to {MAX_CHAIN_NAME} characters of a-z, 0-9 and '-', \
                 starting with a letter or digit"
            )));
        }
        if self.regulators.is_empty() {
            return Err(bad("at least one regulator is needed"));
        }
        if !self.regulators.iter().any(|r| r.validator) {
            return Err(bad("at least one regulator must be a validator"));
        }
        let mut keys: Vec<PublicKey> = Vec::new();
        let mut fresh_key = |k: &PublicKey| -> Result<(), Rejection> {
            if keys.contains(k) {
                return Err(bad(format!("key {k} is used twice")));
            }
            if !k.is_torsion_free() {
                return Err(bad(format!("key {k} has a torsion component")));
            }
            keys.push(*k);
            Ok(())
        };
        for (i, r) in self.regulators.iter().enumerate() {
            check_regulator_name(&r.name)?;
            if self.regulators[..i].iter().any(|o| o.name == r.name) {
                return Err(bad(format!("regulator name {} is used twice", r.name)));
            }
            fresh_key(&r.key)?;
        }
        self.params.validate()?;
        for (i, c) in self.catalogue.iter().enumerate() {
            if c.code.trim().is_empty() || c.name.trim().is_empty() || c.modes.is_empty() {
                return Err(bad(format!(
                    "catalogue item {i} needs a code, a name and at least one verification mode"
                )));
            }
            if self.catalogue[..i].iter().any(|o| o.code == c.code) {
                return Err(bad(format!("catalogue code {} is listed twice", c.code)));
            }
        }
        for (i, inst) in self.institutions.iter().enumerate() {
            if inst.authorisation.trim().is_empty() || inst.name.trim().is_empty() {
                return Err(bad(format!(
                    "institution {i} needs an authorisation number and a name"
                )));
            }
            if self.institutions[..i]
                .iter()
                .any(|o| o.authorisation == inst.authorisation)
            {
                return Err(bad(format!(
                    "institution {} is listed twice",
                    inst.authorisation
                )));
            }
            if inst.valid_from >= inst.valid_until {
                return Err(bad(format!(
                    "institution {}: validity from {} must precede validity until {}",
                    inst.authorisation, inst.valid_from, inst.valid_until
                )));
            }
            if inst.categories.is_empty() {
                return Err(bad(format!(
                    "institution {} needs at least one category",
                    inst.authorisation
                )));
            }
            for (j, cat) in inst.categories.iter().enumerate() {
                if inst.categories[..j].contains(cat)
                    || !self.catalogue.iter().any(|c| &c.code == cat)
                {
                    return Err(bad(format!(
                        "institution {}: category {cat} is repeated or not in the catalogue",
                        inst.authorisation
                    )));
                }
            }
            fresh_key(&inst.key)?;
        }
        // The chain id must be derivable (length and charset are checked above).
        self.chain_id()?;
        Ok(())
    }

    /// Validates the document and writes it into an empty `state`: chain metadata, rule
    /// parameters, catalogue, regulators and institutions with their keys.
    pub fn apply<S: State + ?Sized>(&self, state: &mut S) -> Result<ChainMeta, ExecError> {
        self.validate()?;
        let mut s = state;
        if tables::chain(&s)?.is_some() {
            return Err(Rejection::new(
                Code::InvalidState,
                "genesis: the state already holds a chain",
            )
            .into());
        }
        let meta = ChainMeta {
            chain_id: self.chain_id()?,
            genesis_hash: self.hash()?,
        };
        tables::put_chain(&mut s, &meta)?;
        tables::put_params(&mut s, &self.params)?;
        for item in &self.catalogue {
            tables::put_catalogue_item(&mut s, item)?;
        }
        for r in &self.regulators {
            tables::put_regulator(
                &mut s,
                &RegulatorState {
                    name: r.name.clone(),
                    key: r.key.into(),
                    jurisdiction: r.jurisdiction.clone(),
                    validator: r.validator,
                    removed: false,
                },
            )?;
            tables::put_participant(
                &mut s,
                &r.key,
                &Participant {
                    holder: Holder::Regulator(r.name.clone()),
                    revoked: false,
                },
            )?;
        }
        for i in &self.institutions {
            tables::put_participant(
                &mut s,
                &i.key,
                &Participant {
                    holder: Holder::Institution(i.authorisation.clone()),
                    revoked: false,
                },
            )?;
            tables::put_institution(
                &mut s,
                &InstitutionState {
                    key: i.key.into(),
                    registration: i.clone().into(),
                },
            )?;
        }
        Ok(meta)
    }

    /// The validators named in genesis: (name, key).
    pub fn validators(&self) -> Vec<(String, PublicKey)> {
        self.regulators
            .iter()
            .filter(|r| r.validator)
            .map(|r| (r.name.to_string(), r.key))
            .collect()
    }

    /// The name of the dev regulator of [`Genesis::dev`].
    pub const DEV_REGULATOR: &'static str = "dev-regulator";

    /// A single-regulator development genesis: chain name `liangxin-dev`, starting
    /// 2026-01-01, one national regulator and validator `dev-regulator` with key
    /// `SigningKey::dev("dev-regulator")`, default parameters and the standard catalogue.
    /// Its key is public knowledge: never for production.
    pub fn dev() -> Genesis {
        let key = SigningKey::dev(Self::DEV_REGULATOR).public_key();
        Genesis {
            chain_name: "liangxin-dev".to_string(),
            genesis_time: Time(1_767_225_600),
            regulators: ShortText::new(Self::DEV_REGULATOR)
                .ok()
                .map(|name| GenesisRegulator {
                    name,
                    key,
                    jurisdiction: Jurisdiction::national(),
                    validator: true,
                })
                .into_iter()
                .collect(),
            params: RuleParams::default(),
            catalogue: standard_catalogue(),
            institutions: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Region, Sector, YEAR};
    use crate::records::{OperatorRegistration, Record};
    use crate::testkit::text;
    use crate::{BlockContext, MemState, Subject};
    use liangxin_types::encoding::{BoundedBytes, BoundedVec};
    use liangxin_types::tx::{SignedTx, TxBody};
    use liangxin_types::{Domain, Uscc};

    fn two_regulators() -> Genesis {
        let mut g = Genesis::dev();
        g.chain_name = "liangxin-fujian".into();
        g.regulators.push(GenesisRegulator {
            name: text("fujian-amr"),
            key: SigningKey::dev("fujian-amr").public_key(),
            jurisdiction: Jurisdiction::new("35").unwrap(),
            validator: true,
        });
        g.institutions.push(InstitutionRegistration {
            authorisation: text("闽计检(2026)001"),
            name: text("福建省计量科学研究院"),
            categories: BoundedVec::new(vec![text("9.1"), text("5.1")]).unwrap(),
            key: SigningKey::dev("fjim").public_key(),
            valid_from: g.genesis_time,
            valid_until: g.genesis_time.plus(5 * YEAR),
        });
        g
    }

    #[test]
    fn json_round_trip_and_defaults() {
        for g in [Genesis::dev(), two_regulators()] {
            g.validate().unwrap();
            let json = g.to_json().unwrap();
            let back = Genesis::from_json(&json).unwrap();
            assert_eq!(back, g);
            assert_eq!(back.chain_id().unwrap(), g.chain_id().unwrap());
        }
        // the short form: params and catalogue default, no institutions
        let key = SigningKey::dev(Genesis::DEV_REGULATOR).public_key();
        let short = format!(
            r#"{{"chain_name": "liangxin-dev", "genesis_time": 1767225600,
                "regulators": [{{"name": "dev-regulator", "key": "{}", "jurisdiction": "",
                                 "validator": true}}]}}"#,
            key.to_hex()
        );
        let g = Genesis::from_json(&short).unwrap();
        assert_eq!(g, Genesis::dev());
        assert_eq!(g.hash().unwrap(), Genesis::dev().hash().unwrap());
        // unknown fields are refused, at the top and in a regulator
        let e = Genesis::from_json(
            &short.replace("\"genesis_time\"", "\"extra\": 1, \"genesis_time\""),
        )
        .unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e = Genesis::from_json(&short.replace("\"validator\"", "\"stake\": 1, \"validator\""))
            .unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
    }

    #[test]
    fn chain_id_is_derived_from_the_hash_and_changes_with_anything() {
        let g = Genesis::dev();
        let id = g.chain_id().unwrap();
        let hex = g.hash().unwrap().to_hex();
        assert_eq!(id.as_str(), format!("liangxin-dev-{}", &hex[..16]));
        let mut variants = Vec::new();
        let mut v = g.clone();
        v.genesis_time = Time(v.genesis_time.0 + 1);
        variants.push(v);
        let mut v = g.clone();
        v.regulators[0].validator = false;
        variants.push(v);
        let mut v = g.clone();
        v.regulators[0].jurisdiction = Jurisdiction::new("35").unwrap();
        variants.push(v);
        let mut v = g.clone();
        v.params.min_governance_delay += 1;
        variants.push(v);
        let mut v = g.clone();
        v.catalogue.pop();
        variants.push(v);
        let mut v = g.clone();
        v.chain_name = "liangxin-dew".into();
        variants.push(v);
        variants.push(two_regulators());
        let mut seen = vec![id];
        for v in variants {
            let other = v.chain_id().unwrap();
            assert!(!seen.contains(&other), "{other}");
            seen.push(other);
        }
    }

    #[test]
    fn invalid_documents_are_refused() {
        let mut cases = Vec::new();
        let mut g = Genesis::dev();
        g.regulators.clear();
        cases.push(g);
        let mut g = two_regulators();
        g.regulators[1].name = text("dev-regulator");
        cases.push(g);
        let mut g = two_regulators();
        g.regulators[1].key = g.regulators[0].key;
        cases.push(g);
        let mut g = two_regulators();
        g.institutions[0].key = g.regulators[0].key;
        cases.push(g);
        let mut g = two_regulators();
        g.institutions[0].categories = BoundedVec::new(vec![text("77.7")]).unwrap();
        cases.push(g);
        let mut g = Genesis::dev();
        g.regulators[0].validator = false;
        cases.push(g);
        for name in ["Liangxin", "", "-x", "liangxin_dev", &"x".repeat(41)] {
            let mut g = Genesis::dev();
            g.chain_name = name.into();
            cases.push(g);
        }
        let mut g = Genesis::dev();
        g.params.sample_rates_ppm[0] = 2_000_000;
        cases.push(g);
        let mut g = Genesis::dev();
        g.regulators[0].name = text("dev regulator");
        cases.push(g);
        for g in cases {
            assert!(g.validate().is_err(), "{g:?}");
            assert!(g.apply(&mut MemState::new()).is_err());
        }
        let mut g = Genesis::dev();
        g.chain_name = "x".repeat(40);
        g.validate().unwrap();
    }

    fn sign(g: &Genesis, key: &SigningKey, seq: u64, r: Record) -> SignedTx {
        let (kind, payload) = r.encode().unwrap();
        let body = TxBody {
            chain_id: g.chain_id().unwrap(),
            signer: key.public_key(),
            seq,
            kind,
            payload: BoundedBytes::new(payload).unwrap(),
        };
        SignedTx::sign(body, key).unwrap()
    }

    #[test]
    fn applied_genesis_accepts_records_of_its_regulators() {
        let g = two_regulators();
        let mut s = MemState::new();
        let meta = g.apply(&mut s).unwrap();
        assert_eq!(meta.chain_id, g.chain_id().unwrap());
        assert_eq!(tables::chain(&s).unwrap(), Some(meta));
        assert_eq!(tables::params(&s).unwrap(), g.params);
        assert_eq!(tables::catalogue(&s).unwrap().len(), g.catalogue.len());
        assert!(
            tables::institution(&s, "闽计检(2026)001")
                .unwrap()
                .is_some()
        );
        // applying twice is refused
        assert!(g.apply(&mut s).is_err());
        let fj = SigningKey::dev("fujian-amr");
        let block = BlockContext {
            height: 1,
            time: g.genesis_time,
            seed: Domain::Seed.hash(b"genesis test"),
        };
        let reg = OperatorRegistration {
            uscc: Uscc::parse("91350100M000100Y43").unwrap(),
            name: text("某商店"),
            region: Region::new("350100").unwrap(),
            sector: Sector::Shop,
            key: SigningKey::dev("shop").public_key(),
            check_override: false,
        };
        let fx = crate::execute(&mut s, &sign(&g, &fj, 0, reg.clone().into()), &block).unwrap();
        assert_eq!(
            fx.subjects,
            vec![Subject::Operator(
                Uscc::parse("91350100M000100Y43").unwrap()
            )]
        );
        // a record for another chain is refused
        let other = Genesis::dev();
        let tx = sign(&other, &fj, 1, reg.into());
        let e = crate::execute(&mut s, &tx, &block).unwrap_err();
        let ExecError::Rejected(r) = e else { panic!() };
        assert_eq!(r.code, Code::BadField);
        // the dev genesis's regulator governs alone
        let mut s = MemState::new();
        let dev = Genesis::dev();
        dev.apply(&mut s).unwrap();
        let key = SigningKey::dev(Genesis::DEV_REGULATOR);
        let p = crate::records::GovernanceProposal {
            action: crate::records::GovernanceAction::SetParams(RuleParams {
                min_governance_delay: 5,
                ..RuleParams::default()
            }),
            effective_height: 20,
            expires_height: 15,
        };
        crate::execute(&mut s, &sign(&dev, &key, 0, p.into()), &block).unwrap();
        let b20 = BlockContext {
            height: 20,
            ..block
        };
        crate::begin_block(&mut s, &b20).unwrap();
        assert_eq!(tables::params(&s).unwrap().min_governance_delay, 5);
    }
}
