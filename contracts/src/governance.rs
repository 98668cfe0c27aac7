//! Governance: proposals, approvals by a quorum of regulators, application at a stated height.
//!
//! Rules:
//! - A regulator (not removed) proposes an action with an `effective_height` at least
//!   `min_governance_delay` (and at least one) blocks ahead, and an `expires_height` after the
//!   current height and no later than the effective height. Its proposal counts as its
//!   approval.
//! - The quorum is strictly more than two thirds of the current (not removed) regulators:
//!   `⌊2n/3⌋ + 1`. Approvals by regulators removed since no longer count.
//! - Approvals must arrive before `expires_height`. When they reach the quorum the proposal is
//!   `Approved` and scheduled at its effective height; with a single regulator the proposal
//!   itself reaches it.
//! - At the start of the block at the effective height ([`apply_due`], from
//!   [`crate::begin_block`]) the action is checked again against the state of that moment and
//!   applied (`Applied`), or, if it no longer makes sense (name or key taken meanwhile, removal
//!   of the last regulator or validator), left out (`Failed`). Proposals due at one height
//!   apply in tx-id order.
//! - A proposal still `Pending` at its expiry height is expired: [`status_at`] reports it so,
//!   and an approval of it is rejected ([`Code::Governance`]). No scan rewrites it.

use liangxin_types::Hash;

use crate::model::{CatalogueItem, ShortText};
use crate::params::RuleParams;
use crate::records::*;
use crate::registry::check_fresh_key;
use crate::rejection::{Code, Rejection};
use crate::store::{Holder, Participant, ProposalState, ProposalStatus, RegulatorState, tables};
use crate::{
    BlockContext, Cx, Effects, ExecError, Overlay, RuleResult, State, StateError, Subject, auth,
};

/// Approvals needed among `n` current regulators: strictly more than two thirds.
pub fn quorum(n: usize) -> usize {
    2 * n / 3 + 1
}

/// Current (not removed) regulators.
fn current_regulators(s: &impl State) -> Result<Vec<RegulatorState>, StateError> {
    Ok(tables::regulators(s)?
        .into_iter()
        .filter(|r| !r.removed)
        .collect())
}

/// A proposal's status as of `height`: `Pending` past its expiry height reads `Expired`.
pub fn status_at(p: &ProposalState, height: u64) -> ProposalStatus {
    if p.status == ProposalStatus::Pending && height >= p.proposal.expires_height {
        ProposalStatus::Expired
    } else {
        p.status
    }
}

fn status_name(s: ProposalStatus) -> &'static str {
    match s {
        ProposalStatus::Pending => "pending",
        ProposalStatus::Approved => "approved",
        ProposalStatus::Applied => "applied",
        ProposalStatus::Expired => "expired",
        ProposalStatus::Failed => "failed",
    }
}

fn governance(m: String) -> ExecError {
    Rejection::new(Code::Governance, m).into()
}

/// The regulator holding `key`, if it is a current regulator's current key.
fn regulator_by_key(
    s: &impl State,
    key: &liangxin_types::PublicKey,
) -> Result<Option<RegulatorState>, StateError> {
    let Some(p) = tables::participant(s, key)? else {
        return Ok(None);
    };
    let Holder::Regulator(name) = p.holder else {
        return Ok(None);
    };
    Ok(tables::regulator(s, &name)?.filter(|r| !r.removed && &r.key == key))
}

fn check_catalogue_item(c: &CatalogueItem) -> Result<(), Rejection> {
    if c.code.trim().is_empty() || c.name.trim().is_empty() {
        return Err(Rejection::new(
            Code::BadField,
            "a catalogue item needs a code and a name",
        ));
    }
    if c.modes.is_empty() {
        return Err(Rejection::new(
            Code::BadField,
            format!(
                "catalogue item {} needs at least one verification mode",
                c.code
            ),
        ));
    }
    for (i, m) in c.modes.iter().enumerate() {
        if c.modes[..i].contains(m) {
            return Err(Rejection::new(
                Code::BadField,
                format!(
                    "catalogue item {}: verification mode {m:?} listed twice",
                    c.code
                ),
            ));
        }
    }
    Ok(())
}

/// A regulator name: non-empty, and usable as a checkpoint key name (no whitespace, `+` or
/// control characters).
pub fn check_regulator_name(name: &ShortText) -> Result<(), Rejection> {
    liangxin_types::checkpoint::check_key_name(name)
        .map_err(|e| Rejection::new(Code::BadField, format!("regulator name: {e}")))
}

/// Checks `action` against the state now: the rules a proposal must meet, and that an
/// approved proposal must still meet when it applies.
fn check_action(s: &impl State, action: &GovernanceAction) -> Result<(), ExecError> {
    match action {
        GovernanceAction::AddRegulator { name, key, .. } => {
            check_regulator_name(name)?;
            if tables::regulator(s, name)?.is_some() {
                return Err(Rejection::new(
                    Code::AlreadyExists,
                    format!("regulator name {name} is already used (names are never reused)"),
                )
                .into());
            }
            check_fresh_key(s, key)?;
        }
        GovernanceAction::RemoveRegulator { key } => {
            let Some(target) = regulator_by_key(s, key)? else {
                return Err(Rejection::new(
                    Code::NotFound,
                    format!("key {key} is not the key of a current regulator"),
                )
                .into());
            };
            let current = current_regulators(s)?;
            if current.len() <= 1 {
                return Err(governance(format!(
                    "removing {} would leave no regulator",
                    target.name
                )));
            }
            if target.validator && current.iter().filter(|r| r.validator).count() <= 1 {
                return Err(governance(format!(
                    "removing {} would leave no validator",
                    target.name
                )));
            }
        }
        GovernanceAction::SetParams(p) => p.validate()?,
        GovernanceAction::SetCatalogueItem(c) => check_catalogue_item(c)?,
    }
    Ok(())
}

/// [`GovernanceProposal`]: a regulator proposes an action (see the module doc for the rules).
pub fn propose(s: &mut impl State, cx: &Cx<'_>, r: GovernanceProposal) -> RuleResult {
    let reg = auth::regulator(s, cx)?;
    let params: RuleParams = tables::params(s)?;
    let h = cx.block.height;
    let earliest = h.saturating_add(params.min_governance_delay.max(1));
    if r.effective_height < earliest {
        return Err(Rejection::new(
            Code::BadPeriod,
            format!(
                "effective height {} is too early: at height {h} with a minimum delay of {} \
                 blocks, the earliest is {earliest}",
                r.effective_height, params.min_governance_delay
            ),
        )
        .into());
    }
    if r.expires_height <= h || r.expires_height > r.effective_height {
        return Err(Rejection::new(
            Code::BadPeriod,
            format!(
                "expiry height {} must be after the current height {h} and no later than the \
                 effective height {}",
                r.expires_height, r.effective_height
            ),
        )
        .into());
    }
    check_action(s, &r.action)?;
    let n = current_regulators(s)?.len();
    let approved = 1 >= quorum(n);
    if approved {
        tables::schedule_governance(s, r.effective_height, &cx.tx_id)?;
    }
    tables::put_proposal(
        s,
        &cx.tx_id,
        &ProposalState {
            proposal: r,
            approvals: vec![reg.name.clone()],
            status: if approved {
                ProposalStatus::Approved
            } else {
                ProposalStatus::Pending
            },
        },
    )?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![
            Subject::Proposal(cx.tx_id),
            Subject::Regulator(reg.name.to_string()),
        ],
    })
}

/// [`GovernanceApproval`]: a regulator approves a pending proposal; at the quorum it is
/// scheduled at its effective height.
pub fn approve(s: &mut impl State, cx: &Cx<'_>, r: GovernanceApproval) -> RuleResult {
    let reg = auth::regulator(s, cx)?;
    let mut p = tables::proposal(s, &r.proposal)?.ok_or_else(|| {
        Rejection::new(
            Code::NotFound,
            format!("governance proposal {} does not exist", r.proposal),
        )
    })?;
    let h = cx.block.height;
    match status_at(&p, h) {
        ProposalStatus::Pending => {}
        ProposalStatus::Expired => {
            return Err(governance(format!(
                "proposal {} expired at height {} without a quorum (now {h})",
                r.proposal, p.proposal.expires_height
            )));
        }
        other => {
            return Err(Rejection::new(
                Code::InvalidState,
                format!(
                    "proposal {} is {}, not collecting approvals",
                    r.proposal,
                    status_name(other)
                ),
            )
            .into());
        }
    }
    if p.approvals.contains(&reg.name) {
        return Err(Rejection::new(
            Code::AlreadyExists,
            format!(
                "regulator {} already approved proposal {}",
                reg.name, r.proposal
            ),
        )
        .into());
    }
    p.approvals.push(reg.name.clone());
    let current = current_regulators(s)?;
    let counted = p
        .approvals
        .iter()
        .filter(|a| current.iter().any(|c| &c.name == *a))
        .count();
    if counted >= quorum(current.len()) {
        p.status = ProposalStatus::Approved;
        tables::schedule_governance(s, p.proposal.effective_height, &r.proposal)?;
    }
    tables::put_proposal(s, &r.proposal, &p)?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![
            Subject::Proposal(r.proposal),
            Subject::Regulator(reg.name.to_string()),
        ],
    })
}

/// Applies one approved action; returns the regulator it touched, if any.
fn apply_action(
    s: &mut impl State,
    action: &GovernanceAction,
) -> Result<Option<Subject>, StateError> {
    Ok(match action {
        GovernanceAction::AddRegulator {
            name,
            key,
            jurisdiction,
            validator,
        } => {
            tables::put_regulator(
                s,
                &RegulatorState {
                    name: name.clone(),
                    key: (*key).into(),
                    jurisdiction: jurisdiction.clone(),
                    validator: *validator,
                    removed: false,
                },
            )?;
            tables::put_participant(
                s,
                key,
                &Participant {
                    holder: Holder::Regulator(name.clone()),
                    revoked: false,
                },
            )?;
            Some(Subject::Regulator(name.to_string()))
        }
        GovernanceAction::RemoveRegulator { key } => {
            let Some(mut r) = regulator_by_key(s, key)? else {
                return Err(StateError(format!("regulator with key {key} vanished")));
            };
            r.removed = true;
            tables::put_regulator(s, &r)?;
            if let Some(mut p) = tables::participant(s, key)? {
                p.revoked = true;
                tables::put_participant(s, key, &p)?;
            }
            Some(Subject::Regulator(r.name.to_string()))
        }
        GovernanceAction::SetParams(p) => {
            tables::put_params(s, p)?;
            None
        }
        GovernanceAction::SetCatalogueItem(c) => {
            tables::put_catalogue_item(s, c)?;
            None
        }
    })
}

/// Applies the governance actions due at `block.height` (called at the start of every block).
/// Returns the subjects touched: each proposal, and the regulator added or removed.
pub fn apply_due<S: State + ?Sized>(
    state: &mut S,
    block: &BlockContext,
) -> Result<Vec<Subject>, StateError> {
    let mut s = Overlay::new(state);
    let mut subjects = Vec::new();
    for id in tables::take_due_governance(&mut s, block.height)? {
        let Some(mut p) = tables::proposal(&s, &id)? else {
            continue;
        };
        if p.status != ProposalStatus::Approved {
            continue;
        }
        match check_action(&s, &p.proposal.action) {
            Ok(()) => {
                let touched = apply_action(&mut s, &p.proposal.action)?;
                p.status = ProposalStatus::Applied;
                subjects.push(Subject::Proposal(id));
                subjects.extend(touched);
            }
            Err(ExecError::State(e)) => return Err(e),
            Err(ExecError::Rejected(_)) => {
                p.status = ProposalStatus::Failed;
                subjects.push(Subject::Proposal(id));
            }
        }
        tables::put_proposal(&mut s, &id, &p)?;
    }
    s.commit()?;
    Ok(subjects)
}

/// The proposal with tx id `id`, with its status as of `height` (see [`status_at`]).
pub fn proposal_at(
    s: &impl State,
    id: &Hash,
    height: u64,
) -> Result<Option<ProposalState>, StateError> {
    Ok(tables::proposal(s, id)?.map(|mut p| {
        p.status = status_at(&p, height);
        p
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ControlMode, Jurisdiction, Region, Sector, VerificationModeKind};
    use crate::records::OperatorRegistration;
    use crate::testkit::{Ledger, text};
    use liangxin_types::{SigningKey, Uscc};

    fn code(e: ExecError) -> Code {
        match e {
            ExecError::Rejected(r) => r.code,
            ExecError::State(e) => panic!("storage error {e}"),
        }
    }

    /// Four regulators: Fujian, Beijing, Guangdong and a national one. Quorum 3.
    fn ledger4() -> (Ledger, [SigningKey; 4]) {
        let mut l = Ledger::new();
        let gd = l.add_regulator("guangdong-amr", "44");
        let cn = l.add_regulator("samr", "");
        let keys = [l.fujian(), l.beijing(), gd, cn];
        (l, keys)
    }

    fn proposal(l: &Ledger, action: GovernanceAction) -> GovernanceProposal {
        GovernanceProposal {
            action,
            effective_height: l.height + 12,
            expires_height: l.height + 6,
        }
    }

    fn status(l: &Ledger, id: &Hash) -> ProposalStatus {
        proposal_at(&l.state, id, l.height).unwrap().unwrap().status
    }

    fn advance_to(l: &mut Ledger, h: u64) {
        while l.height < h {
            l.advance(60);
        }
    }

    #[test]
    fn quorum_is_more_than_two_thirds() {
        let q: Vec<usize> = (1..=7).map(quorum).collect();
        assert_eq!(q, vec![1, 2, 3, 3, 4, 5, 5]);
    }

    #[test]
    fn set_params_collects_a_quorum_and_applies_at_its_height() {
        let (mut l, [fj, bj, gd, cn]) = ledger4();
        let new = RuleParams {
            sample_rates_ppm: [20_000, 40_000, 150_000, 500_000],
            ..RuleParams::default()
        };
        let p = proposal(&l, GovernanceAction::SetParams(new.clone()));
        let effective = p.effective_height;
        let fx = l.submit(&fj, p).unwrap();
        let id = fx.tx_id;
        assert_eq!(
            fx.subjects,
            vec![
                Subject::Proposal(id),
                Subject::Regulator("fujian-amr".into())
            ]
        );
        assert_eq!(status(&l, &id), ProposalStatus::Pending);
        // the proposer's own approval already counts
        let e = l
            .submit(&fj, GovernanceApproval { proposal: id })
            .unwrap_err();
        assert_eq!(code(e), Code::AlreadyExists);
        l.submit(&bj, GovernanceApproval { proposal: id }).unwrap();
        assert_eq!(status(&l, &id), ProposalStatus::Pending);
        let before = l.digest();
        let e = l
            .submit(&bj, GovernanceApproval { proposal: id })
            .unwrap_err();
        assert_eq!(code(e), Code::AlreadyExists);
        assert_eq!(l.digest(), before);
        l.advance(60);
        l.submit(&gd, GovernanceApproval { proposal: id }).unwrap();
        assert_eq!(status(&l, &id), ProposalStatus::Approved);
        // a fourth approval is too late to matter
        let e = l
            .submit(&cn, GovernanceApproval { proposal: id })
            .unwrap_err();
        assert_eq!(code(e), Code::InvalidState);
        // nothing changes before the effective height
        advance_to(&mut l, effective - 1);
        assert_eq!(tables::params(&l.state).unwrap(), RuleParams::default());
        l.advance(60);
        assert_eq!(l.height, effective);
        assert_eq!(tables::params(&l.state).unwrap(), new);
        assert_eq!(status(&l, &id), ProposalStatus::Applied);
    }

    #[test]
    fn regulators_are_added_and_removed_by_quorum() {
        let (mut l, [fj, bj, gd, cn]) = ledger4();
        let zj = SigningKey::dev("zhejiang-amr");
        let add = proposal(
            &l,
            GovernanceAction::AddRegulator {
                name: text("zhejiang-amr"),
                key: zj.public_key(),
                jurisdiction: Jurisdiction::new("33").unwrap(),
                validator: false,
            },
        );
        let remove = proposal(
            &l,
            GovernanceAction::RemoveRegulator {
                key: bj.public_key(),
            },
        );
        let effective = add.effective_height;
        let a = l.submit(&gd, add).unwrap().tx_id;
        let r = l.submit(&cn, remove).unwrap().tx_id;
        for k in [&fj, &cn] {
            l.submit(k, GovernanceApproval { proposal: a }).unwrap();
        }
        for k in [&fj, &gd] {
            l.submit(k, GovernanceApproval { proposal: r }).unwrap();
        }
        // the new regulator cannot act yet
        let reg = OperatorRegistration {
            uscc: {
                let first17 = "91330100MA27XL2B1";
                let c = liangxin_types::uscc::check_char(first17).unwrap();
                Uscc::parse(&format!("{first17}{c}")).unwrap()
            },
            name: text("杭州某眼镜店"),
            region: Region::new("330100").unwrap(),
            sector: Sector::OpticalShop,
            key: SigningKey::dev("hz optical").public_key(),
            check_override: false,
        };
        let e = l.submit(&zj, reg.clone()).unwrap_err();
        assert_eq!(code(e), Code::UnknownSigner);
        advance_to(&mut l, effective);
        assert_eq!(status(&l, &a), ProposalStatus::Applied);
        assert_eq!(status(&l, &r), ProposalStatus::Applied);
        // the new regulator acts in its jurisdiction
        l.submit(&zj, reg).unwrap();
        // the removed one signs nothing
        let e = l
            .submit(
                &bj,
                proposal(&l, GovernanceAction::SetParams(RuleParams::default())),
            )
            .unwrap_err();
        assert_eq!(code(e), Code::RevokedKey);
        let b = tables::regulator(&l.state, "beijing-amr").unwrap().unwrap();
        assert!(b.removed);
        // four current regulators again (fj, gd, cn, zj): quorum 3, and the removed one's name
        // is never reused
        let e = l
            .submit(
                &fj,
                proposal(
                    &l,
                    GovernanceAction::AddRegulator {
                        name: text("beijing-amr"),
                        key: SigningKey::dev("bj2").public_key(),
                        jurisdiction: Jurisdiction::new("11").unwrap(),
                        validator: true,
                    },
                ),
            )
            .unwrap_err();
        assert_eq!(code(e), Code::AlreadyExists);
    }

    #[test]
    fn bad_proposals_and_approvals_are_rejected_and_change_nothing() {
        let (mut l, [fj, bj, ..]) = ledger4();
        let before = l.digest();
        let ok = proposal(&l, GovernanceAction::SetParams(RuleParams::default()));
        let h = l.height;
        let cases: Vec<(GovernanceProposal, Code)> = vec![
            (
                GovernanceProposal {
                    effective_height: h + 9,
                    ..ok.clone()
                },
                Code::BadPeriod,
            ),
            (
                GovernanceProposal {
                    expires_height: h,
                    ..ok.clone()
                },
                Code::BadPeriod,
            ),
            (
                GovernanceProposal {
                    expires_height: ok.effective_height + 1,
                    ..ok.clone()
                },
                Code::BadPeriod,
            ),
            (
                proposal(
                    &l,
                    GovernanceAction::SetParams(RuleParams {
                        thresholds: [50, 75, 90],
                        ..RuleParams::default()
                    }),
                ),
                Code::BadField,
            ),
            (
                proposal(
                    &l,
                    GovernanceAction::AddRegulator {
                        name: text("fujian-amr"),
                        key: SigningKey::dev("x").public_key(),
                        jurisdiction: Jurisdiction::national(),
                        validator: true,
                    },
                ),
                Code::AlreadyExists,
            ),
            (
                proposal(
                    &l,
                    GovernanceAction::AddRegulator {
                        name: text("new amr"),
                        key: SigningKey::dev("x").public_key(),
                        jurisdiction: Jurisdiction::national(),
                        validator: true,
                    },
                ),
                Code::BadField,
            ),
            (
                proposal(
                    &l,
                    GovernanceAction::AddRegulator {
                        name: text("new-amr"),
                        key: bj.public_key(),
                        jurisdiction: Jurisdiction::national(),
                        validator: true,
                    },
                ),
                Code::BadKey,
            ),
            (
                proposal(
                    &l,
                    GovernanceAction::RemoveRegulator {
                        key: SigningKey::dev("nobody").public_key(),
                    },
                ),
                Code::NotFound,
            ),
            (
                proposal(
                    &l,
                    GovernanceAction::SetCatalogueItem(CatalogueItem {
                        code: text("99.1"),
                        name: text("新器具"),
                        control: ControlMode::Both,
                        modes: Vec::new(),
                    }),
                ),
                Code::BadField,
            ),
            (
                proposal(
                    &l,
                    GovernanceAction::SetCatalogueItem(CatalogueItem {
                        code: text(""),
                        name: text("新器具"),
                        control: ControlMode::Both,
                        modes: vec![VerificationModeKind::Periodic],
                    }),
                ),
                Code::BadField,
            ),
        ];
        for (p, want) in cases {
            let e = l.submit(&fj, p.clone()).unwrap_err();
            assert_eq!(code(e), want, "{p:?}");
            assert_eq!(l.digest(), before);
        }
        // approvals of nothing, and of an expired proposal
        let e = l
            .submit(
                &bj,
                GovernanceApproval {
                    proposal: Hash::ZERO,
                },
            )
            .unwrap_err();
        assert_eq!(code(e), Code::NotFound);
        let id = l.submit(&fj, ok.clone()).unwrap().tx_id;
        advance_to(&mut l, ok.expires_height);
        assert_eq!(status(&l, &id), ProposalStatus::Expired);
        let before = l.digest();
        let e = l
            .submit(&bj, GovernanceApproval { proposal: id })
            .unwrap_err();
        assert_eq!(code(e), Code::Governance);
        assert_eq!(l.digest(), before);
        // an operator cannot propose
        let op = l
            .register_operator("91350100M000100Y43", "某商店", "350100", Sector::Shop)
            .unwrap();
        let e = l.submit(&op, ok).unwrap_err();
        assert_eq!(code(e), Code::WrongRole);
    }

    #[test]
    fn a_lone_regulator_governs_alone_but_cannot_remove_itself() {
        let mut l = Ledger::new();
        let fj = l.fujian();
        let bj = l.beijing();
        // remove Beijing: two regulators, quorum 2
        let p = proposal(
            &l,
            GovernanceAction::RemoveRegulator {
                key: bj.public_key(),
            },
        );
        let eff = p.effective_height;
        let id = l.submit(&fj, p).unwrap().tx_id;
        l.submit(&bj, GovernanceApproval { proposal: id }).unwrap();
        advance_to(&mut l, eff);
        assert_eq!(status(&l, &id), ProposalStatus::Applied);
        // one regulator: its proposal is its quorum
        let item = CatalogueItem {
            code: text("99.1"),
            name: text("新器具"),
            control: ControlMode::MandatoryVerification,
            modes: vec![VerificationModeKind::Periodic],
        };
        let p = proposal(&l, GovernanceAction::SetCatalogueItem(item.clone()));
        let eff = p.effective_height;
        let id = l.submit(&fj, p).unwrap().tx_id;
        assert_eq!(status(&l, &id), ProposalStatus::Approved);
        advance_to(&mut l, eff);
        assert_eq!(
            tables::catalogue_item(&l.state, "99.1").unwrap(),
            Some(item)
        );
        // but not remove the last regulator
        let e = l
            .submit(
                &fj,
                proposal(
                    &l,
                    GovernanceAction::RemoveRegulator {
                        key: fj.public_key(),
                    },
                ),
            )
            .unwrap_err();
        assert_eq!(code(e), Code::Governance);
    }

    #[test]
    fn an_approved_action_that_no_longer_fits_fails_without_effect() {
        let (mut l, [fj, bj, gd, _]) = ledger4();
        let add = |l: &Ledger, key: &str| {
            proposal(
                l,
                GovernanceAction::AddRegulator {
                    name: text("zhejiang-amr"),
                    key: SigningKey::dev(key).public_key(),
                    jurisdiction: Jurisdiction::new("33").unwrap(),
                    validator: true,
                },
            )
        };
        let p1 = add(&l, "zj1");
        let p2 = add(&l, "zj2");
        let eff = p1.effective_height;
        let a = l.submit(&fj, p1).unwrap().tx_id;
        let b = l.submit(&bj, p2).unwrap().tx_id;
        for (k, id) in [(&bj, a), (&gd, a), (&fj, b), (&gd, b)] {
            l.submit(k, GovernanceApproval { proposal: id }).unwrap();
        }
        advance_to(&mut l, eff);
        let (first, second) = if a < b { (a, b) } else { (b, a) };
        assert_eq!(status(&l, &first), ProposalStatus::Applied);
        assert_eq!(status(&l, &second), ProposalStatus::Failed);
        let z = tables::regulator(&l.state, "zhejiang-amr")
            .unwrap()
            .unwrap();
        let winner = if first == a { "zj1" } else { "zj2" };
        assert_eq!(z.key, SigningKey::dev(winner).public_key());
    }
}
