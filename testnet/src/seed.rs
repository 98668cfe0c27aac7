//! `liangxin-testnet seed`: fills a running network with a realistic population through the
//! SDK's builders and the public JSON-RPC API, as regulators, an institution and merchants
//! would. The population:
//! - operators across sectors and Fujian's districts, with valid USCCs;
//! - commitments, and one to three instruments per operator;
//! - a year of verification results;
//! - random inspection draws per city, then inspections of the drawn operators by the
//!   inspectors each draw assigned;
//! - some findings, penalties, objections with their decisions, and credit repairs.
//!
//! Everything is a pure function of `--seed`: the same seed gives the same records (and, on a
//! fresh network, the same ledger), so a run can be reproduced.
//!
//! Records are sent in phases, because each phase needs the one before it to be final (an
//! operator signs only once registered, an institution verifies only registered instruments,
//! an inspection follows its draw). Each phase is signed beforehand with consecutive sequence
//! numbers per signer, sent in JSON-RPC batches across the nodes (a busy node is retried), and
//! waited for, bounded.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use liangxin_contracts::Record;
use liangxin_contracts::model::{DAY, FindingKind, InstrumentId, Sector, Severity, Time};
use liangxin_rpc::jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use liangxin_sdk::builders::{
    self, InspectionResultBuilder, InstitutionRegistrationBuilder, InstrumentRegistrationBuilder,
    OperatorRegistrationBuilder, PenaltyDecisionBuilder, RandomDrawBuilder, SelfCommitmentBuilder,
    VerificationResultBuilder,
};
use liangxin_sdk::rpc::dto::TxStatus;
use liangxin_sdk::{Client, Signer};
use liangxin_types::hash::document_digest;
use liangxin_types::tx::ChainId;
use liangxin_types::{Canonical, Hash, SigningKey, Uscc};
use serde::Serialize;

/// What to seed.
#[derive(Clone, Debug)]
pub struct SeedConfig {
    /// The nodes' JSON-RPC URLs (submissions are spread over them; the first is asked for
    /// status).
    pub rpcs: Vec<String>,
    /// A national regulator's signer (a validator's key on a local testnet).
    pub regulator: Signer,
    /// Operators to register.
    pub operators: usize,
    /// The seed every choice derives from.
    pub seed: u64,
    /// Transactions per JSON-RPC batch.
    pub batch: usize,
    /// How long one phase may go without the log growing before seeding gives up.
    pub stall: Duration,
}

/// What was seeded.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SeedReport {
    /// Operators registered.
    pub operators: u64,
    /// Self-commitments.
    pub commitments: u64,
    /// Instruments registered.
    pub instruments: u64,
    /// Verification results (passes and fails).
    pub verifications: u64,
    /// Of which fails.
    pub failed_verifications: u64,
    /// Random draws (one per city).
    pub draws: u64,
    /// Inspections of drawn operators.
    pub inspections: u64,
    /// Of which with findings.
    pub inspections_with_findings: u64,
    /// Penalty decisions.
    pub penalties: u64,
    /// Objections (to penalties).
    pub objections: u64,
    /// Objection decisions.
    pub objection_decisions: u64,
    /// Credit repairs.
    pub repairs: u64,
    /// Records made final in all.
    pub records: u64,
    /// Seconds from the first submission to the last record final.
    pub seconds: f64,
}

/// A deterministic choice: a number below `n` from the seed, a label and an index.
fn pick(seed: u64, label: &str, i: u64, n: u64) -> u64 {
    let h = blake3::hash(format!("liangxin seed {seed} {label} {i}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    u64::from_le_bytes(b) % n.max(1)
}

/// Fujian's districts and their cities (the jurisdiction a draw covers).
const DISTRICTS: &[(&str, &str, &str)] = &[
    ("350102", "3501", "福州市鼓楼区"),
    ("350103", "3501", "福州市台江区"),
    ("350104", "3501", "福州市仓山区"),
    ("350111", "3501", "福州市晋安区"),
    ("350203", "3502", "厦门市思明区"),
    ("350206", "3502", "厦门市湖里区"),
    ("350211", "3502", "厦门市集美区"),
    ("350502", "3505", "泉州市鲤城区"),
    ("350503", "3505", "泉州市丰泽区"),
    ("350602", "3506", "漳州市芗城区"),
];

const SECTORS: &[(Sector, &str, &str)] = &[
    (Sector::FuelStation, "加油站", "9.1"),
    (Sector::MarketStall, "农贸市场摊位", "5.1"),
    (Sector::Shop, "商店", "5.1"),
    (Sector::Restaurant, "餐饮店", "5.1"),
];

/// One operator of the population.
struct Operator {
    uscc: Uscc,
    key: Signer,
    instruments: Vec<InstrumentId>,
    /// Its next sequence number.
    seq: u64,
}

/// The USCC of operator `i` under `seed`: a valid code (check character computed).
pub fn uscc(seed: u64, i: usize) -> anyhow::Result<Uscc> {
    let district = DISTRICTS[pick(seed, "district", i as u64, DISTRICTS.len() as u64) as usize];
    // 2 + 6 (the district: positions 3-8) + 3 + 6 = 17 characters, digits after the region.
    let first17 = format!("92{}{:03}{:06}", district.0, seed % 1_000, i % 1_000_000);
    let c = liangxin_types::uscc::check_char(&first17).context("check character")?;
    Ok(Uscc::parse(&format!("{first17}{c}"))?)
}

struct Net {
    client: Client,
    http: Vec<HttpClient>,
    chain: ChainId,
    batch: usize,
    stall: Duration,
    turn: usize,
    records: u64,
}

impl Net {
    /// Signs `jobs` (consecutive sequence numbers per signer, as given), sends them and waits
    /// until the log holds them all. Returns their tx ids, in order.
    async fn phase(
        &mut self,
        what: &str,
        jobs: Vec<(Signer, u64, Record)>,
    ) -> anyhow::Result<Vec<Hash>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let signed = crate::bench::sign_all(jobs, &self.chain)?;
        let ids: Vec<Hash> = signed
            .iter()
            .map(|b| liangxin_types::tx::tx_id(b))
            .collect();
        let started = Instant::now();
        let before = self.client.chain_info().await?.log_size;
        let hexes: Vec<String> = signed.iter().map(hex::encode).collect();
        let mut log_size = before;
        for chunk in hexes.chunks(self.batch) {
            let mut pending: Vec<String> = chunk.to_vec();
            let mut refusals = 0;
            let mut grew = Instant::now();
            loop {
                let node = self.turn % self.http.len();
                self.turn += 1;
                let answers = crate::bench::submit_each(&self.http[node], &pending).await;
                let refused = answers.contains(&crate::bench::Answer::Failed);
                if refused {
                    // A node that has not yet heard of a signer's earlier transactions (they
                    // went to another node) may refuse later ones for a moment, and one signer
                    // may run at most 2,000 sequence numbers ahead of the chain (a phase of
                    // 100,000 operators is all signed by one regulator): retry while the log
                    // grows; once it has not grown for `--stall`, ask alone for the reason.
                    refusals += 1;
                    if refusals % 10 == 0 {
                        let size = self.client.chain_info().await?.log_size;
                        if size > log_size {
                            log_size = size;
                            grew = Instant::now();
                        }
                    }
                    if grew.elapsed() > self.stall {
                        let k = answers
                            .iter()
                            .position(|a| *a == crate::bench::Answer::Failed)
                            .unwrap_or(0);
                        let bytes = hex::decode(&pending[k])?;
                        let tx = liangxin_types::tx::SignedTx::from_canonical(&bytes)?;
                        let why = match self.client.submit_tx(&tx).await {
                            Ok(_) => "refused in batches, admitted alone".to_string(),
                            Err(e) => e.to_string(),
                        };
                        bail!(
                            "{what}: a submission was refused for {:?} while the log did not \
                             grow: {why}",
                            self.stall
                        );
                    }
                }
                // Send again what was busy or refused; the rest was admitted.
                pending = pending
                    .into_iter()
                    .zip(answers)
                    .filter(|(_, a)| *a != crate::bench::Answer::Accepted)
                    .map(|(t, _)| t)
                    .collect();
                if pending.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let want = before + ids.len() as u64;
        let mut seen = before;
        let mut moved = Instant::now();
        loop {
            let size = self.client.chain_info().await?.log_size;
            if size >= want {
                break;
            }
            if size > seen {
                seen = size;
                moved = Instant::now();
            }
            if moved.elapsed() > self.stall {
                self.explain(what, &ids).await?;
                bail!(
                    "{what}: the log stopped at {size} of {want} leaves for {:?}",
                    self.stall
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.records += ids.len() as u64;
        eprintln!(
            "{what}: {} records final in {:.1} s",
            ids.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(ids)
    }

    /// Finds the first rejected transaction of a phase and fails with its reason.
    async fn explain(&self, what: &str, ids: &[Hash]) -> anyhow::Result<()> {
        for id in ids.iter().take(2_000) {
            let t = self.client.tx(id).await?;
            if t.status == TxStatus::Rejected {
                bail!("{what}: transaction {id} was rejected: {:?}", t.rejection);
            }
        }
        Ok(())
    }
}

/// Seeds the network; see the module documentation.
pub async fn seed(cfg: &SeedConfig) -> anyhow::Result<SeedReport> {
    if cfg.operators == 0 || cfg.rpcs.is_empty() {
        bail!("seed needs at least one operator and one node");
    }
    if cfg.operators > 1_000_000 {
        bail!("at most 1,000,000 operators (the USCC scheme of the seed numbers them in 6 digits)");
    }
    let client = Client::new(&cfg.rpcs[0])?;
    let chain = client.chain_id().await?;
    let http = cfg
        .rpcs
        .iter()
        .map(|u| HttpClientBuilder::default().build(u))
        .collect::<Result<Vec<_>, _>>()?;
    let mut net = Net {
        client,
        http,
        chain,
        batch: cfg.batch.max(1),
        stall: cfg.stall,
        turn: 0,
        records: 0,
    };
    let started = Instant::now();
    let s = cfg.seed;
    let mut report = SeedReport::default();
    let regulator = cfg.regulator.clone();
    let mut reg_seq = net
        .client
        .account(&regulator.public_key())
        .await?
        .pending_next_seq;
    let mut next_reg = || {
        reg_seq += 1;
        reg_seq - 1
    };

    // ---- the institution and the operators (the regulator) ---------------------------------
    let institution = Signer::new(SigningKey::dev(&format!("seed {s} institution")));
    let authorisation = format!("(闽)法计(2026)S{s:05}号");
    let known = net
        .client
        .account(&institution.public_key())
        .await?
        .holder
        .is_some();
    let mut jobs = Vec::new();
    if !known {
        jobs.push((
            regulator.clone(),
            next_reg(),
            InstitutionRegistrationBuilder::new(
                authorisation.clone(),
                "福建省计量科学研究院（种子数据）",
                vec!["9.1".to_string(), "5.1".to_string()],
                institution.public_key(),
            )
            // Authorised since two years ago, so that a year of verifications is in its term.
            .valid_from(Time(builders::today().0.saturating_sub(730 * DAY)))
            .build()?,
        ));
    }
    let mut operators = Vec::with_capacity(cfg.operators);
    for i in 0..cfg.operators {
        let i64_ = i as u64;
        let district = DISTRICTS[pick(s, "district", i64_, DISTRICTS.len() as u64) as usize];
        let sector = SECTORS[pick(s, "sector", i64_, SECTORS.len() as u64) as usize];
        let uscc = uscc(s, i)?;
        let key = Signer::new(SigningKey::dev(&format!("seed {s} operator {i}")));
        jobs.push((
            regulator.clone(),
            next_reg(),
            OperatorRegistrationBuilder::new(
                uscc.clone(),
                format!("{}某{}第{i}号", district.2, sector.1),
                district.0,
                sector.0,
                key.public_key(),
            )
            .build()?,
        ));
        let n = 1 + pick(s, "instruments", i64_, 3) as usize;
        let instruments = (0..n)
            .map(|k| builders::instrument(uscc.clone(), sector.2, &format!("S{s}-{i}-{k}")))
            .collect::<Result<Vec<_>, _>>()?;
        operators.push(Operator {
            uscc,
            key,
            instruments,
            seq: 0,
        });
    }
    net.phase("operators", jobs).await?;
    report.operators = cfg.operators as u64;

    // ---- commitments and instruments (each operator) ---------------------------------------
    let mut jobs = Vec::new();
    for (i, o) in operators.iter_mut().enumerate() {
        if pick(s, "commitment", i as u64, 10) < 7 {
            jobs.push((
                o.key.clone(),
                o.seq,
                SelfCommitmentBuilder::new(
                    o.uscc.clone(),
                    document_digest("本单位承诺诚信计量，自觉接受监督。".as_bytes()),
                    "营业场所入口",
                )
                .hotline("12315")
                .build()?,
            ));
            o.seq += 1;
            report.commitments += 1;
        }
        for id in &o.instruments {
            jobs.push((
                o.key.clone(),
                o.seq,
                InstrumentRegistrationBuilder::new(id.clone(), "SEED-1").build()?,
            ));
            o.seq += 1;
            report.instruments += 1;
        }
    }
    net.phase("commitments and instruments", jobs).await?;

    // ---- a year of verification results (the institution) ----------------------------------
    let mut inst_seq = net
        .client
        .account(&institution.public_key())
        .await?
        .pending_next_seq;
    let today = builders::today();
    let mut jobs = Vec::new();
    for (i, o) in operators.iter().enumerate() {
        for (k, id) in o.instruments.iter().enumerate() {
            let n = (i * 4 + k) as u64;
            let days_ago = pick(s, "verified", n, 330);
            let passed = pick(s, "passed", n, 100) >= 5;
            jobs.push((
                institution.clone(),
                inst_seq,
                VerificationResultBuilder::new(
                    id.clone(),
                    format!("闽检字〔2026〕第S{s}-{i}-{k}号"),
                    document_digest(format!("seed {s} certificate {i} {k}").as_bytes()),
                    "JJG 443-2023",
                )
                .date(Time(today.0.saturating_sub(days_ago * DAY)))
                .passed(passed)
                .build()?,
            ));
            inst_seq += 1;
            report.verifications += 1;
            report.failed_verifications += u64::from(!passed);
        }
    }
    net.phase("verifications", jobs).await?;

    // ---- random draws, one per city (the regulator) ----------------------------------------
    let mut cities: Vec<&str> = DISTRICTS.iter().map(|d| d.1).collect();
    cities.dedup();
    let mut jobs = Vec::new();
    for city in &cities {
        let pool = (1..=6).map(|k| format!("FJ-{city}-{k:03}")).collect();
        jobs.push((
            regulator.clone(),
            next_reg(),
            RandomDrawBuilder::new(
                *city,
                pool,
                format!("{city} 2026年计量专项抽查（种子数据）"),
            )
            .build()?,
        ));
    }
    let draws = net.phase("random draws", jobs).await?;
    report.draws = draws.len() as u64;
    let mut targets = Vec::new();
    for id in &draws {
        let wait = Instant::now();
        loop {
            let d = net.client.draw(id).await?;
            if let Some(r) = d.resolution {
                targets.extend(r.targets.into_iter().map(|t| (*id, t)));
                break;
            }
            if wait.elapsed() > net.stall {
                bail!("random draw {id} was not resolved within {:?}", net.stall);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // ---- inspections of the drawn operators, and penalties (the regulator) -----------------
    let by_uscc: BTreeMap<&Uscc, usize> = operators
        .iter()
        .enumerate()
        .map(|(i, o)| (&o.uscc, i))
        .collect();
    // The drawn operators (of this seeding: a draw may also pick earlier seedings' ones), with
    // the inspectors their draw assigned; then one operator in twenty inspected on a complaint
    // or a special campaign, outside any draw.
    let mut visits: Vec<(usize, Option<Hash>, Vec<String>)> = Vec::new();
    for (draw, t) in &targets {
        if let Some(&i) = by_uscc.get(&t.operator) {
            let inspectors = t.inspectors.iter().map(|x| x.to_string()).collect();
            visits.push((i, Some(*draw), inspectors));
        }
    }
    for (i, o) in operators.iter().enumerate() {
        let drawn = visits.iter().any(|v| v.0 == i);
        if !drawn && pick(s, "ad hoc", i as u64, 20) == 0 {
            let city = &o.uscc.as_str()[2..6];
            let inspectors = vec![format!("FJ-{city}-101"), format!("FJ-{city}-102")];
            visits.push((i, None, inspectors));
        }
    }
    let mut jobs = Vec::new();
    let mut with_findings = Vec::new();
    for (n, (i, draw, inspectors)) in visits.into_iter().enumerate() {
        let o = &operators[i];
        let mut b = InspectionResultBuilder::new(
            o.uscc.clone(),
            inspectors,
            document_digest(format!("seed {s} inspection report {n}").as_bytes()),
        )
        .draw(draw)
        .items_checked(o.instruments.len() as u32);
        let found = pick(s, "findings", i as u64, 10) < 3;
        if found {
            b = b.finding(
                FindingKind::Overdue,
                o.instruments.first().cloned(),
                "计量器具超期未检",
            );
        }
        jobs.push((regulator.clone(), next_reg(), b.build()?));
        report.inspections += 1;
        if found {
            report.inspections_with_findings += 1;
            with_findings.push((jobs.len() - 1, i));
        }
    }
    let inspections = net.phase("inspections", jobs).await?;
    let mut jobs = Vec::new();
    let mut penalised = Vec::new();
    for (k, (_, i)) in with_findings.iter().enumerate() {
        if pick(s, "penalty", *i as u64, 2) == 0 {
            jobs.push((
                regulator.clone(),
                next_reg(),
                PenaltyDecisionBuilder::new(
                    operators[*i].uscc.clone(),
                    format!("闽市监罚〔2026〕S{s}-{k}号"),
                    "使用超期未检的计量器具",
                    Severity::Minor,
                )
                .build()?,
            ));
            penalised.push(*i);
        }
    }
    let penalties = net.phase("penalties", jobs).await?;
    report.penalties = penalties.len() as u64;

    // ---- objections to some penalties (the operators) --------------------------------------
    let mut jobs = Vec::new();
    for (k, (penalty, i)) in penalties.iter().zip(&penalised).enumerate() {
        if pick(s, "objection", k as u64, 3) == 0 {
            let o = &mut operators[*i];
            jobs.push((
                o.key.clone(),
                o.seq,
                builders::objection(*penalty, "涉案器具已于检查前送检")?,
            ));
            o.seq += 1;
        }
    }
    let objections = net.phase("objections", jobs).await?;
    report.objections = objections.len() as u64;

    // ---- objection decisions and credit repairs (the regulator) ----------------------------
    let mut jobs = Vec::new();
    for (k, objection) in objections.iter().enumerate() {
        let upheld = pick(s, "upheld", k as u64, 4) == 0;
        jobs.push((
            regulator.clone(),
            next_reg(),
            builders::objection_decision(
                *objection,
                upheld,
                if upheld {
                    "经复核，异议成立"
                } else {
                    "经复核，异议不成立"
                },
            )?,
        ));
    }
    report.objection_decisions = jobs.len() as u64;
    for (k, (j, _)) in with_findings.iter().enumerate() {
        if pick(s, "repair", k as u64, 3) == 0 {
            jobs.push((
                regulator.clone(),
                next_reg(),
                builders::credit_repair(inspections[*j], None, "已整改并复查合格")?,
            ));
            report.repairs += 1;
        }
    }
    net.phase("objection decisions and repairs", jobs).await?;

    report.records = net.records;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usccs_are_valid_and_distinct_and_choices_are_reproducible() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..2_000 {
            let u = uscc(7, i).unwrap();
            assert!(Uscc::parse(u.as_str()).is_ok());
            assert!(seen.insert(u.to_string()));
        }
        assert_eq!(uscc(7, 5).unwrap(), uscc(7, 5).unwrap());
        assert_ne!(uscc(7, 5).unwrap(), uscc(8, 5).unwrap());
        assert_eq!(pick(1, "x", 3, 10), pick(1, "x", 3, 10));
        let spread: std::collections::BTreeSet<u64> =
            (0..200).map(|i| pick(1, "sector", i, 4)).collect();
        assert_eq!(spread.len(), 4, "every sector is used");
    }
}
