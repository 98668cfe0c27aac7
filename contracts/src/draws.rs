//! Random inspection draws (双随机): which operators are inspected, and by whom.
//!
//! A regulator signs a [`RandomDrawRequest`]. When the block holding it executes, the request
//! is checked, the candidates are graded and the request is kept as pending together with that
//! candidates snapshot. At the start of the **next** block ([`resolve_pending`], called from
//! [`crate::begin_block`]) the ledger, not the regulator, computes the selection from that next
//! block's seed and stores it as a [`DrawResult`] under the request's tx id. So the request and
//! the candidates are fixed before anyone — the requester, or the proposer of the block that
//! holds the request — can know the seed. Anyone can recompute the selection with
//! [`compute_selection`] from the stored result and the candidates at request time.
//!
//! # The algorithm (normative: another implementation must reproduce it bit for bit)
//!
//! **Candidates.** The operators whose region starts with the request's jurisdiction, in
//! (region, USCC) order ([`tables::operators_in`]), restricted to the request's sectors if any
//! are listed, as they stand when the block holding the request executes it. Each is graded
//! with [`credit::grade`] at that block's time. `C_g` is the
//! subsequence of candidates of grade `g`, in that order.
//!
//! **Seed.** `draw_seed = blake3_derive_key("liangxin 2026-11 seed", block_seed ‖ tx_id)`
//! ([`Domain::Seed`], both parts 32 bytes), see [`draw_seed`], where `block_seed` is the seed
//! of the block **after** the one holding the request. It is stored in [`DrawResult::seed`].
//!
//! **Stream.** The output of BLAKE3 in keyed mode, key = `draw_seed`, over the empty message,
//! extended with the XOF (`blake3::Hasher::new_keyed(seed).finalize_xof()`), read from offset
//! 0 as consecutive 8-byte little-endian words `w0, w1, …`. One stream serves the whole draw,
//! consumed in the order below ([`Stream`]).
//!
//! **Bounded integers.** `below(n)` for `n ≥ 1`: let `r = 2^64 mod n`; take the next word `w`;
//! if `w ≥ 2^64 − r` discard it and take the next; return `w mod n`. The accepted range has a
//! multiple of `n` values, so the result is exactly uniform (no modulo bias). `below(1)`
//! consumes one word and returns 0.
//!
//! **Targets.** For each grade `g` in the order A, B, C, D, with `n = |C_g|` and
//! `rate = min(sample_rates_ppm[g], 10^6)`:
//! 1. `k = ⌊n · rate / 10^6⌋` and `f = (n · rate) mod 10^6` (exact integer arithmetic);
//! 2. if `f > 0`: `k ← k + 1` when `below(10^6) < f` (so with probability exactly `f / 10^6`);
//!    when `f = 0` no word is consumed;
//! 3. partial Fisher–Yates over a copy of `C_g`: for `i = 0 … k−1`, `j = i + below(n − i)`,
//!    swap positions `i` and `j`; the first `k` entries are selected, in that order.
//!
//! Every candidate of grade `g` is thus selected with probability exactly `rate / 10^6`, and
//! the number selected never differs from `n · rate / 10^6` by one or more. The targets are the
//! selections of A, then B, then C, then D.
//!
//! **Inspectors.** Then, for each target in that order, with `m = inspectors_per_target`: the
//! eligible inspectors are the request's pool, in request order, minus those excluded for that
//! operator by the request's exclusions, minus the operator's `last_inspectors` (none inspects
//! the same operator twice in a row). A partial Fisher–Yates as in step 3 picks `m` of them,
//! in selection order.
//!
//! **Feasibility** is checked before any word is drawn: if any candidate whose grade has a
//! non-zero rate has fewer than `m` eligible inspectors, the whole request is rejected
//! ([`Code::Draw`], naming the first such operator in candidate order). Rejection therefore
//! never depends on the seed: a requester cannot turn "selections that include operator X"
//! into rejections (by excluding nearly every inspector for X) and resubmit until X escapes.
//!
//! # What a malicious party can still do, and what limits it
//!
//! - **The proposer of the block holding the request** cannot know the seed that resolves it:
//!   the draw is resolved by the next block's seed, which the node derives from material that
//!   exists only after the request's block is final (its finality certificate). Including or
//!   leaving out a pending request is therefore a blind choice.
//! - **The proposer of the next block** knows that block's seed when it proposes, but by then
//!   the request and the candidates snapshot are final and cannot be changed or dropped. It
//!   cannot choose the seed: the node derives it from the proposer's VRF output over the height
//!   and the parent hash (`docs/protocol.md` §4a), unique for its key and checked by every
//!   validator. It can only withhold its proposal, which hands the height to the next leader
//!   with a different seed: one re-roll per dishonest leader in a row, each a public failed
//!   view.
//! - **The requesting regulator** chooses the jurisdiction, the sectors, the pool, the
//!   exclusions and when to submit. It could split a campaign into several requests or time one
//!   after a grade change; but it cannot know the seed when it signs, every request and its
//!   result stay in the log for good (so repeated or split draws over the same operators are
//!   visible), and the exclusions it declares are public. A request is rejected or accepted
//!   independently of the seed (feasibility is checked for every candidate first), so a
//!   requester cannot re-roll by provoking rejections: every accepted draw is resolved and kept.
//! - **Grades** are fixed by the ledger's records at the request's block; records in the next
//!   block cannot change the candidates of a pending draw.
//!
//! Anyone recomputes the selection from the ledger alone: the request, the block seed and the
//! candidates (operators, their grades and last inspectors at that height) determine it, and
//! [`DrawResult`] stores the seed, the rates in force and the candidate counts per grade as a
//! check.

use liangxin_types::{Domain, Hash, Uscc};

use crate::credit;
use crate::model::{Grade, Jurisdiction, Sector, ShortText, Time};
use crate::records::*;
use crate::rejection::{Code, Rejection};
use crate::store::{DrawResult, DrawTarget, PendingDraw, tables};
use crate::{Cx, Effects, RuleResult, State, StateError, Subject, auth};

/// One million: sample rates are in parts per million.
pub const PPM: u64 = 1_000_000;

/// An operator that may be drawn, with what the draw needs to know about it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    /// The operator.
    pub operator: Uscc,
    /// Its grade at draw time.
    pub grade: Grade,
    /// The inspectors of its most recent inspection (not drawn for it again).
    pub last_inspectors: Vec<ShortText>,
}

/// The draw seed of a request: `Domain::Seed` hash of the block seed and the request's tx id.
pub fn draw_seed(block_seed: &Hash, tx_id: &Hash) -> Hash {
    Domain::Seed.hash_parts(&[block_seed.as_bytes(), tx_id.as_bytes()])
}

/// The deterministic random stream of a draw: BLAKE3 keyed with the draw seed, over the empty
/// message, read through its XOF as 8-byte little-endian words (see the module doc).
pub struct Stream {
    reader: blake3::OutputReader,
    buf: [u8; 64],
    pos: usize,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("position", &self.reader.position())
            .finish_non_exhaustive()
    }
}

impl Stream {
    /// The stream of `seed`.
    pub fn new(seed: &Hash) -> Self {
        Stream {
            reader: blake3::Hasher::new_keyed(&seed.0).finalize_xof(),
            buf: [0; 64],
            pos: 64,
        }
    }

    /// The next 8-byte little-endian word.
    pub fn next_u64(&mut self) -> u64 {
        if self.pos >= self.buf.len() {
            self.reader.fill(&mut self.buf);
            self.pos = 0;
        }
        let mut w = [0u8; 8];
        for (i, b) in w.iter_mut().enumerate() {
            *b = self.buf.get(self.pos + i).copied().unwrap_or(0);
        }
        self.pos += 8;
        u64::from_le_bytes(w)
    }

    /// A uniform integer in `0..n` by rejection sampling (no modulo bias). `n = 0` is treated
    /// as `n = 1`.
    pub fn below(&mut self, n: u64) -> u64 {
        let n = n.max(1);
        // r = 2^64 mod n; accept w < 2^64 − r, i.e. w ≤ u64::MAX − r.
        let r = (u64::MAX % n + 1) % n;
        loop {
            let w = self.next_u64();
            if w <= u64::MAX - r {
                return w % n;
            }
        }
    }

    /// Partial Fisher–Yates: moves a uniform random ordered `k`-subset of `items` to its front.
    fn partial_shuffle<T>(&mut self, items: &mut [T], k: usize) {
        let n = items.len();
        for i in 0..k.min(n) {
            let j = i + self.below((n - i) as u64) as usize;
            items.swap(i, j);
        }
    }
}

/// How many of `n` candidates a draw at `rate_ppm` selects: `⌊n·rate/10^6⌋`, plus one with
/// probability equal to the fractional part (decided by the stream only when that part is
/// non-zero).
fn sample_size(stream: &mut Stream, n: usize, rate_ppm: u32) -> usize {
    let rate = u128::from(u64::from(rate_ppm).min(PPM));
    let prod = n as u128 * rate;
    let mut k = prod / u128::from(PPM);
    let frac = prod % u128::from(PPM);
    if frac > 0 && u128::from(stream.below(PPM)) < frac {
        k += 1;
    }
    usize::try_from(k).unwrap_or(n).min(n)
}

/// Checks that every candidate that could be drawn (its grade's rate is not zero) has at least
/// `inspectors_per_target` eligible inspectors. Independent of the seed, so whether a request
/// is accepted never depends on the randomness.
pub fn check_feasible(
    request: &RandomDrawRequest,
    sample_rates_ppm: [u32; 4],
    candidates: &[Candidate],
) -> Result<(), Rejection> {
    let m = usize::from(request.inspectors_per_target);
    for c in candidates {
        if sample_rates_ppm[c.grade.index()] == 0 {
            continue;
        }
        let eligible = eligible_inspectors(request, c);
        if eligible.len() < m {
            return Err(Rejection::new(
                Code::Draw,
                format!(
                    "operator {} could be drawn but only {} of the {} pool inspectors may \
                     inspect it (after exclusions and its last inspectors {}); {m} are needed",
                    c.operator,
                    eligible.len(),
                    request.inspectors.len(),
                    names(&c.last_inspectors),
                ),
            ));
        }
    }
    Ok(())
}

/// Recomputes a draw: the targets and their inspectors for `seed` (the stored
/// [`DrawResult::seed`]), the request, the rates in force and the candidates snapshot. Pure: the
/// same inputs always give the same selection. Fails only if the request is infeasible for
/// these candidates ([`check_feasible`]), which a stored draw never is.
pub fn compute_selection(
    seed: &Hash,
    request: &RandomDrawRequest,
    sample_rates_ppm: [u32; 4],
    candidates: &[Candidate],
) -> Result<Vec<DrawTarget>, Rejection> {
    check_feasible(request, sample_rates_ppm, candidates)?;
    Ok(select(seed, request, sample_rates_ppm, candidates))
}

/// The selection itself, for candidates already known to be feasible (an infeasible target
/// gets fewer inspectors than asked rather than an error).
fn select(
    seed: &Hash,
    request: &RandomDrawRequest,
    sample_rates_ppm: [u32; 4],
    candidates: &[Candidate],
) -> Vec<DrawTarget> {
    let m = usize::from(request.inspectors_per_target);
    let mut stream = Stream::new(seed);
    let mut selected: Vec<&Candidate> = Vec::new();
    for g in Grade::ALL {
        let mut c_g: Vec<&Candidate> = candidates.iter().filter(|c| c.grade == g).collect();
        let k = sample_size(&mut stream, c_g.len(), sample_rates_ppm[g.index()]);
        stream.partial_shuffle(&mut c_g, k);
        selected.extend(c_g.into_iter().take(k));
    }
    let mut targets = Vec::with_capacity(selected.len());
    for c in selected {
        let mut eligible = eligible_inspectors(request, c);
        stream.partial_shuffle(&mut eligible, m);
        targets.push(DrawTarget {
            operator: c.operator.clone(),
            grade: c.grade,
            inspectors: eligible.into_iter().take(m).cloned().collect(),
        });
    }
    targets
}

/// The pool, in request order, minus the inspectors excluded for `c` and its last
/// inspectors.
fn eligible_inspectors<'r>(request: &'r RandomDrawRequest, c: &Candidate) -> Vec<&'r ShortText> {
    request
        .inspectors
        .iter()
        .filter(|i| {
            !c.last_inspectors.contains(i)
                && !request
                    .exclusions
                    .iter()
                    .any(|e| e.operator == c.operator && &e.inspector == *i)
        })
        .collect()
}

fn names(list: &[ShortText]) -> String {
    if list.is_empty() {
        return "(none)".to_string();
    }
    list.iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidates of a draw as the ledger holds them at `now`: the operators of
/// `jurisdiction` (in (region, USCC) order), restricted to `sectors` if non-empty, graded at
/// `now`.
pub fn candidates(
    s: &impl State,
    jurisdiction: &Jurisdiction,
    sectors: &[Sector],
    now: Time,
) -> Result<Vec<Candidate>, StateError> {
    let mut out = Vec::new();
    let params = tables::params(s)?;
    for uscc in tables::operators_in(s, jurisdiction.as_str())? {
        let o = tables::operator(s, &uscc)?.ok_or_else(|| {
            StateError(format!(
                "region index names operator {uscc}, which is not stored"
            ))
        })?;
        if !sectors.is_empty() && !sectors.contains(&o.registration.sector) {
            continue;
        }
        let grade = credit::grade_with(s, &uscc, now, &params, false)?.grade;
        out.push(Candidate {
            operator: uscc,
            grade,
            last_inspectors: o.last_inspectors,
        });
    }
    Ok(out)
}

/// Stateless checks of a request.
fn check_request(r: &RandomDrawRequest) -> Result<(), Rejection> {
    let bad = |m: String| Err(Rejection::new(Code::BadField, m));
    if r.inspectors_per_target < 2 {
        return bad(format!(
            "inspectors_per_target is {}; every target needs at least two inspectors",
            r.inspectors_per_target
        ));
    }
    for (i, name) in r.inspectors.iter().enumerate() {
        if name.trim().is_empty() {
            return bad(format!("inspector {i} of the pool has an empty id"));
        }
        if r.inspectors[..i].contains(name) {
            return bad(format!("inspector {name} is listed twice in the pool"));
        }
    }
    for (i, s) in r.sectors.iter().enumerate() {
        if r.sectors[..i].contains(s) {
            return bad(format!("sector {s:?} is listed twice"));
        }
    }
    for e in r.exclusions.iter() {
        if !r.inspectors.contains(&e.inspector) {
            return bad(format!(
                "exclusion names inspector {}, who is not in the pool",
                e.inspector
            ));
        }
    }
    if r.inspectors.len() < usize::from(r.inspectors_per_target) {
        return Err(Rejection::new(
            Code::Draw,
            format!(
                "the pool has {} inspectors but {} are needed per target",
                r.inspectors.len(),
                r.inspectors_per_target
            ),
        ));
    }
    Ok(())
}

/// [`RandomDrawRequest`]: a regulator asks for a draw inside its jurisdiction; the ledger
/// computes and stores the selection (see the module doc).
pub fn request(s: &mut impl State, cx: &Cx<'_>, r: RandomDrawRequest) -> RuleResult {
    let reg = auth::regulator(s, cx)?;
    if !reg.jurisdiction.contains(&r.jurisdiction) {
        return Err(Rejection::new(
            Code::NotAuthorised,
            format!(
                "regulator {} (jurisdiction {}) may not draw in jurisdiction {}",
                reg.name, reg.jurisdiction, r.jurisdiction
            ),
        )
        .into());
    }
    check_request(&r)?;
    let params = tables::params(s)?;
    let cands = candidates(s, &r.jurisdiction, &r.sectors, cx.block.time)?;
    check_feasible(&r, params.sample_rates_ppm, &cands)?;
    tables::put_pending_draw(
        s,
        &cx.tx_id,
        &PendingDraw {
            request: r,
            height: cx.block.height,
            sample_rates_ppm: params.sample_rates_ppm,
            candidates: cands,
        },
    )?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![
            Subject::Draw(cx.tx_id),
            Subject::Regulator(reg.name.to_string()),
        ],
    })
}

/// Resolves every draw requested in earlier blocks, at the start of `block`: the selection is
/// computed from `block.seed` and the request's tx id over the candidates snapshot taken when
/// the request was accepted, stored as a [`DrawResult`], and the pending row removed. Returns
/// the draws resolved.
pub fn resolve_pending(
    s: &mut impl State,
    block: &crate::BlockContext,
) -> Result<Vec<Subject>, StateError> {
    let mut out = Vec::new();
    for (tx_id, p) in tables::pending_draws(s)? {
        if p.height >= block.height {
            continue; // requested in this very block: resolved by the next one
        }
        let seed = draw_seed(&block.seed, &tx_id);
        let targets = select(&seed, &p.request, p.sample_rates_ppm, &p.candidates);
        let mut counts = [0u32; 4];
        for c in &p.candidates {
            let n = &mut counts[c.grade.index()];
            *n = n.saturating_add(1);
        }
        tables::put_draw(
            s,
            &tx_id,
            &DrawResult {
                request: p.request,
                seed,
                height: block.height,
                request_height: p.height,
                candidates: counts,
                sample_rates_ppm: p.sample_rates_ppm,
                targets,
                snapshot: p.candidates,
            },
        )?;
        tables::delete_pending_draw(s, &tx_id)?;
        out.push(Subject::Draw(tx_id));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExecError;
    use crate::model::Jurisdiction;
    use crate::params::RuleParams;
    use crate::testkit::{Ledger, text};
    use liangxin_types::encoding::BoundedVec;
    use liangxin_types::uscc::check_char;

    /// A valid USCC in region `region` with serial `i`.
    fn uscc(region: &str, i: u32) -> String {
        let first17 = format!("91{region}{i:09}");
        format!("{first17}{}", check_char(&first17).unwrap())
    }

    /// A ledger with `n` Fujian operators (region 350100) and every sample rate at `rate`.
    fn ledger(n: u32, rate: u32) -> (Ledger, Vec<Uscc>) {
        let mut l = Ledger::new();
        let mut ops = Vec::new();
        for i in 0..n {
            let u = uscc("350100", i);
            l.register_operator(&u, "某商店", "350100", Sector::Shop)
                .unwrap();
            ops.push(Uscc::parse(&u).unwrap());
        }
        let p = RuleParams {
            sample_rates_ppm: [rate; 4],
            ..RuleParams::default()
        };
        tables::put_params(&mut l.state, &p).unwrap();
        (l, ops)
    }

    fn req(pool: &[&str], per_target: u8, exclusions: Vec<Exclusion>) -> RandomDrawRequest {
        RandomDrawRequest {
            jurisdiction: Jurisdiction::new("3501").unwrap(),
            sectors: BoundedVec::default(),
            inspectors: BoundedVec::new(pool.iter().map(|p| text(p)).collect()).unwrap(),
            exclusions: BoundedVec::new(exclusions).unwrap(),
            inspectors_per_target: per_target,
            label: text("2026 Q1 shops"),
        }
    }

    const POOL: [&str; 6] = ["insp-1", "insp-2", "insp-3", "insp-4", "insp-5", "insp-6"];

    fn code(e: ExecError) -> Code {
        match e {
            ExecError::Rejected(r) => r.code,
            ExecError::State(e) => panic!("storage error {e}"),
        }
    }

    #[test]
    fn stream_is_the_keyed_blake3_xof_and_bounded_integers_stay_in_range() {
        // Known answers, so another implementation can check its stream.
        let mut s = Stream::new(&Hash::ZERO);
        let words: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        let mut expect = [0u8; 24];
        blake3::Hasher::new_keyed(&[0; 32])
            .finalize_xof()
            .fill(&mut expect);
        for (i, w) in words.iter().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&expect[8 * i..8 * i + 8]);
            assert_eq!(*w, u64::from_le_bytes(b));
        }
        // below(n) stays in range, below(1) is 0, and a power of two never rejects
        let mut s = Stream::new(&Domain::Seed.hash(b"x"));
        for n in [1u64, 2, 3, 7, 1_000_000, u64::MAX] {
            for _ in 0..50 {
                assert!(s.below(n) < n);
            }
        }
        let mut a = Stream::new(&Hash::ZERO);
        let mut b = Stream::new(&Hash::ZERO);
        assert_eq!(a.below(1 << 20), b.next_u64() % (1 << 20));
    }

    #[test]
    fn same_request_and_seed_give_the_same_selection_and_anyone_recomputes_it() {
        let (mut l, _) = ledger(40, 250_000);
        let fj = l.fujian();
        let r = req(&POOL, 2, Vec::new());
        let seq = tables::next_seq(&l.state, &fj.public_key()).unwrap();
        let tx = l.sign(&fj, seq, &r.clone().into()).unwrap();
        let mut twin = l.state.clone();
        let fx = l.execute(&tx).unwrap();
        let id = fx.tx_id;
        assert_eq!(
            fx.subjects,
            vec![Subject::Draw(id), Subject::Regulator("fujian-amr".into())]
        );
        // the same record in the same block on another node
        let b = l.block();
        crate::execute(&mut twin, &tx, &b).unwrap();
        assert_eq!(twin.digest(), l.digest());
        // nothing is selected yet: the seed that resolves the draw does not exist yet
        assert!(tables::draw(&l.state, &id).unwrap().is_none());
        let graded = candidates(&l.state, &r.jurisdiction, &[], b.time).unwrap();
        // the next block resolves it, on both nodes alike
        l.advance(60);
        let next = l.block();
        crate::begin_block(&mut twin, &next).unwrap();
        assert_eq!(twin.digest(), l.digest());
        let d = tables::draw(&l.state, &id).unwrap().unwrap();
        assert_eq!(d, tables::draw(&twin, &id).unwrap().unwrap());
        assert!(tables::pending_draws(&l.state).unwrap().is_empty());
        assert_eq!(d.seed, draw_seed(&next.seed, &id));
        assert_eq!((d.request_height, d.height), (b.height, next.height));
        assert_eq!(d.sample_rates_ppm, [250_000; 4]);
        assert_eq!(d.candidates.iter().sum::<u32>(), 40);
        // Each target has its own row (what an inspection reads); the others have none.
        for c in &graded {
            let row = tables::draw_target(&l.state, &id, &c.operator).unwrap();
            let target = d.targets.iter().find(|t| t.operator == c.operator);
            assert_eq!(row.as_ref(), target);
        }
        assert!(tables::draw_exists(&l.state, &id).unwrap());
        // 40 candidates at 25%: exactly 10 targets, whatever their grades
        let expected: usize = Grade::ALL
            .iter()
            .map(|g| graded.iter().filter(|c| c.grade == *g).count() * 250_000 / 1_000_000)
            .sum();
        assert!(d.targets.len() >= expected && d.targets.len() <= expected + 4);
        // recompute from the stored result and the candidates
        let again = compute_selection(&d.seed, &d.request, d.sample_rates_ppm, &graded).unwrap();
        assert_eq!(again, d.targets);
        // a different seed gives a different selection (with overwhelming probability)
        let other = compute_selection(
            &Domain::Seed.hash(b"other"),
            &d.request,
            d.sample_rates_ppm,
            &graded,
        )
        .unwrap();
        assert_ne!(other, d.targets);
        // the same request signed again is a different tx, so a different seed
        let fx2 = l.submit(&fj, r).unwrap();
        l.advance(60);
        let d2 = tables::draw(&l.state, &fx2.tx_id).unwrap().unwrap();
        assert_ne!(d2.seed, d.seed);
    }

    #[test]
    fn targets_get_distinct_eligible_inspectors() {
        let (mut l, ops) = ledger(30, 1_000_000);
        // insp-1 is conflicted with every even operator; insp-2 with operator 1
        let mut ex: Vec<Exclusion> = ops
            .iter()
            .step_by(2)
            .map(|o| Exclusion {
                inspector: text("insp-1"),
                operator: o.clone(),
            })
            .collect();
        ex.push(Exclusion {
            inspector: text("insp-2"),
            operator: ops[1].clone(),
        });
        // operator 3 was last inspected by insp-3 and insp-4
        let mut o3 = tables::operator(&l.state, &ops[3]).unwrap().unwrap();
        o3.last_inspectors = vec![text("insp-3"), text("insp-4")];
        tables::put_operator(&mut l.state, &o3).unwrap();
        let fj = l.fujian();
        let r = req(&POOL, 3, ex.clone());
        let fx = l.submit(&fj, r.clone()).unwrap();
        l.advance(60);
        let d = tables::draw(&l.state, &fx.tx_id).unwrap().unwrap();
        // every rate is 100%: everyone is drawn
        assert_eq!(d.targets.len(), 30);
        let cands = candidates(&l.state, &r.jurisdiction, &[], l.time).unwrap();
        // and over many seeds, every target's inspectors obey the rules
        for i in 0..200u32 {
            let seed = Domain::Seed.hash(&i.to_le_bytes());
            let targets = compute_selection(&seed, &r, [1_000_000; 4], &cands).unwrap();
            for t in targets.iter().chain(d.targets.iter()) {
                assert_eq!(t.inspectors.len(), 3);
                for (k, insp) in t.inspectors.iter().enumerate() {
                    assert!(POOL.contains(&insp.as_str()));
                    assert!(!t.inspectors[..k].contains(insp), "distinct");
                    assert!(
                        !ex.iter()
                            .any(|e| e.operator == t.operator && &e.inspector == insp),
                        "{insp} is excluded for {}",
                        t.operator
                    );
                }
                if t.operator == ops[3] {
                    assert!(
                        t.inspectors
                            .iter()
                            .all(|i| i.as_str() != "insp-3" && i.as_str() != "insp-4")
                    );
                }
            }
        }
    }

    #[test]
    fn impossible_draws_are_rejected_and_change_nothing() {
        let (mut l, ops) = ledger(5, 1_000_000);
        let fj = l.fujian();
        let before = l.digest();
        // operator 2 has only one eligible inspector of two
        let r = req(
            &["insp-1", "insp-2"],
            2,
            vec![Exclusion {
                inspector: text("insp-1"),
                operator: ops[2].clone(),
            }],
        );
        let e = l.submit(&fj, r).unwrap_err();
        let ExecError::Rejected(rej) = e else {
            panic!()
        };
        assert_eq!(rej.code, Code::Draw);
        assert!(rej.message.contains(ops[2].as_str()), "{}", rej.message);
        assert_eq!(l.digest(), before);
        // last inspectors can exhaust the pool too
        let mut o = tables::operator(&l.state, &ops[4]).unwrap().unwrap();
        o.last_inspectors = vec![text("insp-2")];
        tables::put_operator(&mut l.state, &o).unwrap();
        let before = l.digest();
        let e = l
            .submit(&fj, req(&["insp-1", "insp-2"], 2, Vec::new()))
            .unwrap_err();
        let ExecError::Rejected(rej) = e else {
            panic!()
        };
        assert_eq!(rej.code, Code::Draw);
        assert!(rej.message.contains(ops[4].as_str()), "{}", rej.message);
        assert_eq!(l.digest(), before);
        // infeasible for one candidate means rejected for every seed, even at a tiny rate
        let cands = candidates(&l.state, &Jurisdiction::new("35").unwrap(), &[], l.time).unwrap();
        let r = req(
            &["insp-1", "insp-2", "insp-3"],
            2,
            vec![
                Exclusion {
                    inspector: text("insp-1"),
                    operator: ops[0].clone(),
                },
                Exclusion {
                    inspector: text("insp-2"),
                    operator: ops[0].clone(),
                },
            ],
        );
        for i in 0..50u32 {
            let seed = Domain::Seed.hash(&i.to_le_bytes());
            let e = compute_selection(&seed, &r, [1; 4], &cands).unwrap_err();
            assert_eq!(e.code, Code::Draw);
            assert!(e.message.contains(ops[0].as_str()));
        }
        // ...unless its grade cannot be drawn at all
        assert!(
            compute_selection(&Hash::ZERO, &r, [0; 4], &cands)
                .unwrap()
                .is_empty()
        );
        // a pool smaller than one target's share
        let e = l.submit(&fj, req(&["insp-1"], 2, Vec::new())).unwrap_err();
        assert_eq!(code(e), Code::Draw);
        // fewer than two inspectors per target
        let e = l.submit(&fj, req(&POOL, 1, Vec::new())).unwrap_err();
        assert_eq!(code(e), Code::BadField);
        // a pool with a duplicate or an empty id
        let e = l
            .submit(&fj, req(&["insp-1", "insp-2", "insp-1"], 2, Vec::new()))
            .unwrap_err();
        assert_eq!(code(e), Code::BadField);
        let e = l
            .submit(&fj, req(&["insp-1", "", "x"], 2, Vec::new()))
            .unwrap_err();
        assert_eq!(code(e), Code::BadField);
        // an exclusion naming someone outside the pool
        let e = l
            .submit(
                &fj,
                req(
                    &POOL,
                    2,
                    vec![Exclusion {
                        inspector: text("stranger"),
                        operator: ops[0].clone(),
                    }],
                ),
            )
            .unwrap_err();
        assert_eq!(code(e), Code::BadField);
        // outside the regulator's jurisdiction
        let bj = l.beijing();
        let e = l.submit(&bj, req(&POOL, 2, Vec::new())).unwrap_err();
        assert_eq!(code(e), Code::NotAuthorised);
        assert_eq!(l.digest(), before);
    }

    #[test]
    fn sectors_filter_candidates_and_an_empty_draw_is_recorded() {
        let (mut l, _) = ledger(4, 1_000_000);
        let u = uscc("350100", 99);
        l.register_operator(&u, "某加油站", "350100", Sector::FuelStation)
            .unwrap();
        let fj = l.fujian();
        let mut r = req(&POOL, 2, Vec::new());
        r.sectors = BoundedVec::new(vec![Sector::FuelStation]).unwrap();
        let fx = l.submit(&fj, r.clone()).unwrap();
        l.advance(60);
        let d = tables::draw(&l.state, &fx.tx_id).unwrap().unwrap();
        assert_eq!(d.targets.len(), 1);
        assert_eq!(d.targets[0].operator.as_str(), u);
        r.sectors = BoundedVec::new(vec![Sector::Hospital]).unwrap();
        let fx = l.submit(&fj, r).unwrap();
        l.advance(60);
        let d = tables::draw(&l.state, &fx.tx_id).unwrap().unwrap();
        assert!(d.targets.is_empty());
        assert_eq!(d.candidates, [0; 4]);
    }

    #[test]
    fn sample_sizes_are_floor_plus_a_fair_coin_on_the_fraction() {
        let mut s = Stream::new(&Hash::ZERO);
        assert_eq!(sample_size(&mut s, 200, 10_000), 2);
        assert_eq!(sample_size(&mut s, 0, 300_000), 0);
        assert_eq!(sample_size(&mut s, 7, 1_000_000), 7);
        assert_eq!(sample_size(&mut s, 7, 5_000_000), 7);
        for _ in 0..100 {
            let k = sample_size(&mut s, 25, 100_000); // 2.5
            assert!(k == 2 || k == 3);
        }
    }
}
