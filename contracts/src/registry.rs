//! Participants: operator and institution registration, key rotation and revocation.
//!
//! Regulators themselves are named in genesis and added or removed by governance
//! ([`crate::governance`]).

use liangxin_types::{KeyBytes, PublicKey};

use crate::auth;
use crate::records::{InstitutionRegistration, KeyRevocation, KeyRotation, OperatorRegistration};
use crate::rejection::{Code, Rejection, required};
use crate::store::{Holder, InstitutionState, OperatorState, Participant, tables};
use crate::{Cx, Effects, ExecError, RuleResult, State, Subject};

/// A key that may be registered: not in use by anyone (keys are never reused). That it is
/// torsion-free is a stateless check done by [`crate::precheck`].
pub fn check_fresh_key(s: &impl State, key: &PublicKey) -> Result<(), ExecError> {
    if tables::participant(s, key)?.is_some() {
        return Err(Rejection::new(
            Code::BadKey,
            format!("key {key} is already registered (keys are never reused)"),
        )
        .into());
    }
    Ok(())
}

/// [`OperatorRegistration`]: a regulator registers an operator in its jurisdiction.
pub fn register_operator(s: &mut impl State, cx: &Cx<'_>, r: OperatorRegistration) -> RuleResult {
    let reg = auth::regulator(s, cx)?;
    if !r.region.is_in(&reg.jurisdiction) {
        return Err(Rejection::new(
            Code::NotAuthorised,
            format!(
                "regulator {} (jurisdiction {}) may not register an operator in region {}",
                reg.name, reg.jurisdiction, r.region
            ),
        )
        .into());
    }
    let expected = r.uscc.expected_check_char();
    match (r.uscc.check_ok(), r.check_override) {
        (true, true) => {
            return Err(Rejection::new(
                Code::BadField,
                format!(
                    "check_override is only for codes whose check character is wrong; {} is valid",
                    r.uscc
                ),
            )
            .into());
        }
        (false, false) => {
            return Err(Rejection::new(
                Code::BadUscc,
                format!(
                    "unified social credit code {} has check character {:?}, expected {expected:?}; \
                     a regulator may register such a code only with check_override set",
                    r.uscc,
                    r.uscc.as_str().chars().last().unwrap_or('?'),
                ),
            )
            .into());
        }
        _ => {}
    }
    required(&r.name, "operator name is empty")?;
    if tables::operator(s, &r.uscc)?.is_some() {
        return Err(Rejection::new(
            Code::AlreadyExists,
            format!("operator {} is already registered", r.uscc),
        )
        .into());
    }
    check_fresh_key(s, &r.key)?;
    tables::put_participant(
        s,
        &r.key,
        &Participant {
            holder: Holder::Operator(r.uscc.clone()),
            revoked: false,
        },
    )?;
    let uscc = r.uscc.clone();
    tables::insert_operator(
        s,
        &OperatorState {
            key: r.key.into(),
            registration: r.into(),
            registered_by: cx.tx_id,
            registered_at: cx.block.time,
            commitment: None,
            last_inspectors: Vec::new(),
        },
    )?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(uscc)],
    })
}

/// [`InstitutionRegistration`]: a regulator registers a verification institution.
pub fn register_institution(
    s: &mut impl State,
    cx: &Cx<'_>,
    r: InstitutionRegistration,
) -> RuleResult {
    auth::regulator(s, cx)?;
    required(&r.authorisation, "the authorisation number is required")?;
    required(&r.name, "the institution's name is required")?;
    if r.valid_from >= r.valid_until {
        return Err(Rejection::new(
            Code::BadPeriod,
            format!(
                "validity from {} must precede validity until {}",
                r.valid_from, r.valid_until
            ),
        )
        .into());
    }
    if r.categories.is_empty() {
        return Err(
            Rejection::new(Code::BadField, "an institution needs at least one category").into(),
        );
    }
    for (i, c) in r.categories.iter().enumerate() {
        if r.categories[..i].contains(c) {
            return Err(
                Rejection::new(Code::BadField, format!("category {c} is listed twice")).into(),
            );
        }
        if tables::catalogue_item(s, c)?.is_none() {
            return Err(Rejection::new(
                Code::NotFound,
                format!("category {c} is not in the instrument catalogue"),
            )
            .into());
        }
    }
    if tables::institution(s, &r.authorisation)?.is_some() {
        return Err(Rejection::new(
            Code::AlreadyExists,
            format!("institution {} is already registered", r.authorisation),
        )
        .into());
    }
    check_fresh_key(s, &r.key)?;
    tables::put_participant(
        s,
        &r.key,
        &Participant {
            holder: Holder::Institution(r.authorisation.clone()),
            revoked: false,
        },
    )?;
    let auth_no = r.authorisation.to_string();
    tables::put_institution(
        s,
        &InstitutionState {
            key: r.key.into(),
            registration: r.into(),
        },
    )?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Institution(auth_no)],
    })
}

/// May the signer manage `key` (rotate or revoke it)? Its owner may; a regulator may manage an
/// operator's key in its jurisdiction, or an institution's key; a regulator's key is managed
/// only by that regulator (others go through governance).
fn may_manage(
    s: &impl State,
    cx: &Cx<'_>,
    key: &PublicKey,
    holder: &Holder,
) -> Result<(), ExecError> {
    if &cx.signer == key {
        return Ok(());
    }
    match holder {
        Holder::Operator(u) => {
            auth::regulator_over(s, cx, u)?;
            Ok(())
        }
        Holder::Institution(_) => {
            auth::regulator(s, cx)?;
            Ok(())
        }
        Holder::Regulator(name) => Err(Rejection::new(
            Code::NotAuthorised,
            format!("regulator {name}'s key can be changed only by itself or by governance"),
        )
        .into()),
    }
}

/// The holder's current key, to keep rotations in step with the holder's record.
fn current_key(s: &impl State, holder: &Holder) -> Result<Option<KeyBytes>, ExecError> {
    Ok(match holder {
        Holder::Operator(u) => tables::operator(s, u)?.map(|o| o.key),
        Holder::Institution(a) => tables::institution(s, a)?.map(|i| i.key),
        Holder::Regulator(n) => tables::regulator(s, n)?.map(|r| r.key),
    })
}

fn holder_subject(holder: &Holder) -> Subject {
    match holder {
        Holder::Operator(u) => Subject::Operator(u.clone()),
        Holder::Institution(a) => Subject::Institution(a.to_string()),
        Holder::Regulator(n) => Subject::Regulator(n.to_string()),
    }
}

/// [`KeyRotation`]: the old key stops signing; the new one takes over the same participant.
/// Signed by the old key, or by a regulator (which may also recover a revoked operator or
/// institution key).
pub fn rotate_key(s: &mut impl State, cx: &Cx<'_>, r: KeyRotation) -> RuleResult {
    let p = tables::participant(s, &r.old_key)?.ok_or_else(|| {
        Rejection::new(
            Code::NotFound,
            format!("key {} is not registered", r.old_key),
        )
    })?;
    may_manage(s, cx, &r.old_key, &p.holder)?;
    if current_key(s, &p.holder)? != Some(r.old_key.into()) {
        return Err(Rejection::new(
            Code::InvalidState,
            format!(
                "key {} is no longer the participant's current key",
                r.old_key
            ),
        )
        .into());
    }
    check_fresh_key(s, &r.new_key)?;
    tables::put_participant(
        s,
        &r.old_key,
        &Participant {
            holder: p.holder.clone(),
            revoked: true,
        },
    )?;
    tables::put_participant(
        s,
        &r.new_key,
        &Participant {
            holder: p.holder.clone(),
            revoked: false,
        },
    )?;
    match &p.holder {
        Holder::Operator(u) => {
            let mut o = auth::operator(s, u)?;
            o.key = r.new_key.into();
            tables::put_operator(s, &o)?;
        }
        Holder::Institution(a) => {
            if let Some(mut i) = tables::institution(s, a)? {
                i.key = r.new_key.into();
                tables::put_institution(s, &i)?;
            }
        }
        Holder::Regulator(n) => {
            if let Some(mut g) = tables::regulator(s, n)? {
                g.key = r.new_key.into();
                tables::put_regulator(s, &g)?;
            }
        }
    }
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![holder_subject(&p.holder)],
    })
}

/// [`KeyRevocation`]: the key signs nothing from now on. Signed by the key itself or a
/// regulator allowed to manage it.
pub fn revoke_key(s: &mut impl State, cx: &Cx<'_>, r: KeyRevocation) -> RuleResult {
    let p = tables::participant(s, &r.key)?.ok_or_else(|| {
        Rejection::new(Code::NotFound, format!("key {} is not registered", r.key))
    })?;
    may_manage(s, cx, &r.key, &p.holder)?;
    if p.revoked {
        return Err(Rejection::new(
            Code::InvalidState,
            format!("key {} is already revoked", r.key),
        )
        .into());
    }
    tables::put_participant(
        s,
        &r.key,
        &Participant {
            holder: p.holder.clone(),
            revoked: true,
        },
    )?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![holder_subject(&p.holder)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Region, Sector};
    use crate::testkit::{Ledger, text};
    use liangxin_types::{SigningKey, Uscc};

    fn reg(
        uscc: &str,
        region: &str,
        key: &SigningKey,
        check_override: bool,
    ) -> OperatorRegistration {
        OperatorRegistration {
            uscc: Uscc::parse_override(uscc).unwrap(),
            name: text("福州市某加油站"),
            region: Region::new(region).unwrap(),
            sector: crate::model::Sector::FuelStation,
            key: key.public_key(),
            check_override,
        }
    }

    fn code(e: ExecError) -> Code {
        match e {
            ExecError::Rejected(r) => r.code,
            ExecError::State(e) => panic!("storage error {e}"),
        }
    }

    #[test]
    fn operator_registration_rules() {
        let mut l = Ledger::new();
        let fj = l.fujian();
        let op = SigningKey::dev("op");
        let before = l.digest();
        // wrong check character: rejected, naming the expected one, state unchanged
        let e = l
            .submit(&fj, reg("91350100M000100Y4X", "350100", &op, false))
            .unwrap_err();
        let ExecError::Rejected(r) = e else { panic!() };
        assert_eq!(r.code, Code::BadUscc);
        assert!(r.message.contains("expected '3'"), "{}", r.message);
        assert_eq!(l.digest(), before);
        // outside the regulator's jurisdiction
        let e = l
            .submit(&fj, reg("91110108551385082Q", "110108", &op, false))
            .unwrap_err();
        assert_eq!(code(e), Code::NotAuthorised);
        // override on a valid code is refused
        let e = l
            .submit(&fj, reg("91350100M000100Y43", "350100", &op, true))
            .unwrap_err();
        assert_eq!(code(e), Code::BadField);
        assert_eq!(l.digest(), before);
        // accepted
        l.submit(&fj, reg("91350100M000100Y43", "350100", &op, false))
            .unwrap();
        // duplicate
        let op2 = SigningKey::dev("op2");
        let e = l
            .submit(&fj, reg("91350100M000100Y43", "350100", &op2, false))
            .unwrap_err();
        assert_eq!(code(e), Code::AlreadyExists);
        // key reuse
        let e = l
            .submit(&fj, reg("91350200776049653A", "350200", &op, false))
            .unwrap_err();
        assert_eq!(code(e), Code::BadKey);
        // override admits a bad code and is recorded
        l.submit(&fj, reg("91350200776049653B", "350200", &op2, true))
            .unwrap();
        let o = tables::operator(
            &l.state,
            &Uscc::parse_override("91350200776049653B").unwrap(),
        )
        .unwrap()
        .unwrap();
        assert!(o.registration.check_override);
    }

    #[test]
    fn signer_checks_come_first() {
        let mut l = Ledger::new();
        let fj = l.fujian();
        let op = l
            .register_operator("91350100M000100Y43", "某商店", "350100", Sector::Shop)
            .unwrap();
        // unknown signer
        let stranger = SigningKey::dev("stranger");
        let e = l
            .submit(
                &stranger,
                reg("91350200776049653A", "350200", &stranger, false),
            )
            .unwrap_err();
        assert_eq!(code(e), Code::UnknownSigner);
        // wrong role: an operator registering an operator
        let k = SigningKey::dev("k");
        let e = l
            .submit(&op, reg("91350200776049653A", "350200", &k, false))
            .unwrap_err();
        assert_eq!(code(e), Code::WrongRole);
        // replay: the same signed record twice
        let tx = l
            .sign(
                &fj,
                1,
                &reg("91350200776049653A", "350200", &k, false).into(),
            )
            .unwrap();
        l.execute(&tx).unwrap();
        let before = l.digest();
        let e = l.execute(&tx).unwrap_err();
        assert_eq!(code(e), Code::BadSequence);
        assert_eq!(l.digest(), before);
        // a gap
        let tx = l
            .sign(
                &fj,
                9,
                &reg("91110108551385082Q", "350100", &SigningKey::dev("z"), false).into(),
            )
            .unwrap();
        assert_eq!(code(l.execute(&tx).unwrap_err()), Code::BadSequence);
    }

    #[test]
    fn rotation_and_revocation() {
        let mut l = Ledger::new();
        let op = l
            .register_operator("91350100M000100Y43", "某商店", "350100", Sector::Shop)
            .unwrap();
        let new = SigningKey::dev("new key");
        l.submit(
            &op,
            KeyRotation {
                old_key: op.public_key(),
                new_key: new.public_key(),
            },
        )
        .unwrap();
        // the old key signs nothing now
        let e = l
            .submit(
                &op,
                KeyRevocation {
                    key: new.public_key(),
                    reason: text("x"),
                },
            )
            .unwrap_err();
        assert_eq!(code(e), Code::RevokedKey);
        // the Beijing regulator may not manage a Fujian operator's key
        let bj = l.beijing();
        let e = l
            .submit(
                &bj,
                KeyRevocation {
                    key: new.public_key(),
                    reason: text("x"),
                },
            )
            .unwrap_err();
        assert_eq!(code(e), Code::NotAuthorised);
        // the Fujian regulator may; then the key is dead
        let fj = l.fujian();
        l.submit(
            &fj,
            KeyRevocation {
                key: new.public_key(),
                reason: text("lost"),
            },
        )
        .unwrap();
        let e = l
            .submit(
                &new,
                KeyRevocation {
                    key: new.public_key(),
                    reason: text("x"),
                },
            )
            .unwrap_err();
        assert_eq!(code(e), Code::RevokedKey);
        // and the regulator can recover the operator with a fresh key
        let newer = SigningKey::dev("newer key");
        l.submit(
            &fj,
            KeyRotation {
                old_key: new.public_key(),
                new_key: newer.public_key(),
            },
        )
        .unwrap();
        let o = tables::operator(&l.state, &Uscc::parse("91350100M000100Y43").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(o.key, newer.public_key());
        // a regulator's key cannot be changed by another regulator
        let e = l
            .submit(
                &bj,
                KeyRevocation {
                    key: fj.public_key(),
                    reason: text("x"),
                },
            )
            .unwrap_err();
        assert_eq!(code(e), Code::NotAuthorised);
    }

    #[test]
    fn institutions_need_catalogue_categories() {
        let mut l = Ledger::new();
        l.register_institution("闽计检(2026)001", &["9.1", "5.1"])
            .unwrap();
        let e = l
            .register_institution("闽计检(2026)002", &["99.9"])
            .unwrap_err();
        assert_eq!(code(e), Code::NotFound);
        let e = l
            .register_institution("闽计检(2026)001", &["9.1"])
            .unwrap_err();
        assert_eq!(code(e), Code::AlreadyExists);
    }
}

#[cfg(test)]
mod precheck_tests {
    use super::*;
    use crate::model::{Region, Sector};
    use crate::testkit::{Ledger, text};
    use liangxin_types::{SigningKey, Uscc};

    /// A key with a torsion component passes decoding (it is not small-order) but is refused
    /// by the stateless precheck, so it can never be registered.
    #[test]
    fn keys_with_a_torsion_component_are_refused() {
        use curve25519_dalek::edwards::CompressedEdwardsY;
        let mut l = Ledger::new();
        let fj = l.fujian();
        let honest = SigningKey::dev("honest").public_key();
        // a point of order 8
        let mut t = [0u8; 32];
        hex::decode_to_slice(
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            &mut t,
        )
        .unwrap();
        let t = CompressedEdwardsY(t).decompress().unwrap();
        let mixed = (honest.as_dalek().to_edwards() + t).compress().to_bytes();
        let mixed = PublicKey::from_bytes(&mixed).unwrap();
        let before = l.digest();
        let e = l
            .submit(
                &fj,
                OperatorRegistration {
                    uscc: Uscc::parse("91350100M000100Y43").unwrap(),
                    name: text("某商店"),
                    region: Region::new("350100").unwrap(),
                    sector: Sector::Shop,
                    key: mixed,
                    check_override: false,
                },
            )
            .unwrap_err();
        let ExecError::Rejected(r) = e else { panic!() };
        assert_eq!(r.code, Code::BadKey);
        assert!(r.message.contains("torsion"), "{}", r.message);
        assert_eq!(l.digest(), before);
    }
}
