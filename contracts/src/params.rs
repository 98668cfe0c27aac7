//! Rule parameters held on the ledger: initial values in genesis, changed only by governance.

use serde::{Deserialize, Serialize};

use crate::model::{DAY, FindingKind, Grade, Severity, YEAR};
use crate::rejection::{Code, Rejection};

/// Parameters of the credit grade and the random draws.
///
/// The grade is a score: start from [`RuleParams::base_score`], subtract the weight of every
/// negative record that still counts, add the bonuses, and compare with the thresholds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleParams {
    /// Starting score.
    pub base_score: u32,
    /// Score at or above which the grade is A, B, C (below the last: D).
    pub thresholds: [u32; 3],
    /// Points a penalty takes off while it is public, by severity (minor, general, serious).
    pub penalty_points: [u32; 3],
    /// Points an inspection finding takes off while it counts, in the order of
    /// [`FindingKind::ALL`].
    pub finding_points: [u32; 8],
    /// How long an inspection finding counts, in seconds.
    pub finding_period: u64,
    /// How long a severe finding (forged data, a cheating device, a false certificate) counts,
    /// in seconds: as long as the longest publication of a serious penalty.
    pub severe_finding_period: u64,
    /// Points each failed, out-of-service-but-not-retired instrument takes off.
    pub failed_instrument_points: u32,
    /// Points each overdue instrument (verification expired, no new pass) takes off.
    pub overdue_instrument_points: u32,
    /// Points an active self-commitment adds.
    pub commitment_bonus: u32,
    /// Points an active demonstration-unit commendation adds.
    pub commendation_bonus: u32,
    /// Points each clean inspection within [`RuleParams::clean_inspection_period`] adds.
    pub clean_inspection_bonus: u32,
    /// How long a clean inspection counts, in seconds.
    pub clean_inspection_period: u64,
    /// The most points clean inspections add together.
    pub max_clean_bonus: u32,
    /// Publication period bounds in seconds by severity: (minimum, maximum). The defaults
    /// accept calendar months: "3 months" is 89 to 92 days, "12 months" up to 366.
    pub publication_periods: [(u64, u64); 3],
    /// How long a registered instrument may go unverified before it counts like an overdue
    /// one, in seconds.
    pub first_verification_grace: u64,
    /// How long after its authorisation ends an institution may still file results dated
    /// within it, in seconds.
    pub filing_grace: u64,
    /// How long a severe negative record (a serious penalty, or a finding of forged data, a
    /// cheating device or a false certificate) must count before it may be repaired, in
    /// seconds.
    pub severe_repair_wait: u64,
    /// Random-draw sample rate per grade (A, B, C, D) in parts per million.
    pub sample_rates_ppm: [u32; 4],
    /// Fewest heights between a governance proposal and its effective height.
    pub min_governance_delay: u64,
}

impl Default for RuleParams {
    fn default() -> Self {
        RuleParams {
            base_score: 100,
            thresholds: [90, 75, 60],
            penalty_points: [10, 25, 50],
            // unverified, overdue, failed, accuracy damaged, forged data, cheating device,
            // short weight, false certificate
            finding_points: [10, 10, 10, 20, 60, 60, 20, 60],
            finding_period: YEAR,
            severe_finding_period: 3 * YEAR,
            failed_instrument_points: 10,
            overdue_instrument_points: 5,
            commitment_bonus: 5,
            commendation_bonus: 10,
            clean_inspection_bonus: 3,
            clean_inspection_period: YEAR,
            max_clean_bonus: 9,
            publication_periods: [
                (89 * DAY, 92 * DAY),
                (89 * DAY, 366 * DAY),
                (YEAR, 3 * YEAR + DAY),
            ],
            first_verification_grace: 30 * DAY,
            filing_grace: 30 * DAY,
            severe_repair_wait: YEAR,
            sample_rates_ppm: [10_000, 20_000, 100_000, 300_000],
            min_governance_delay: 10,
        }
    }
}

impl RuleParams {
    /// Checks internal consistency: thresholds descending and within the base score, rates at
    /// most one million ppm, publication periods ordered.
    pub fn validate(&self) -> Result<(), Rejection> {
        let bad = |m: &str| {
            Err(Rejection::new(
                Code::BadField,
                format!("rule parameters: {m}"),
            ))
        };
        let [a, b, c] = self.thresholds;
        if !(a >= b && b >= c && a <= self.base_score) {
            return bad("thresholds must descend (A ≥ B ≥ C) and not exceed the base score");
        }
        if self.sample_rates_ppm.iter().any(|r| *r > 1_000_000) {
            return bad("sample rates are parts per million and at most 1,000,000");
        }
        if self.publication_periods.iter().any(|(lo, hi)| lo > hi) {
            return bad("each publication period needs minimum ≤ maximum");
        }
        Ok(())
    }

    /// The grade of a score.
    pub fn grade_of(&self, score: i64) -> Grade {
        let [a, b, c] = self.thresholds.map(i64::from);
        if score >= a {
            Grade::A
        } else if score >= b {
            Grade::B
        } else if score >= c {
            Grade::C
        } else {
            Grade::D
        }
    }

    /// Points of a penalty of `severity`.
    pub fn penalty(&self, severity: Severity) -> u32 {
        self.penalty_points[severity as usize]
    }

    /// Points of a finding of `kind`.
    pub fn finding(&self, kind: FindingKind) -> u32 {
        self.finding_points[kind as usize]
    }

    /// How long a finding of `kind` counts.
    pub fn finding_period_of(&self, kind: FindingKind) -> u64 {
        if kind.is_severe() {
            self.severe_finding_period
        } else {
            self.finding_period
        }
    }

    /// Publication period bounds of `severity`.
    pub fn publication_period(&self, severity: Severity) -> (u64, u64) {
        self.publication_periods[severity as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_indexing_matches_enums() {
        let p = RuleParams::default();
        p.validate().unwrap();
        assert_eq!(p.finding(FindingKind::CheatingDevice), 60);
        assert_eq!(p.finding(FindingKind::Unverified), 10);
        assert_eq!(FindingKind::ALL[5], FindingKind::CheatingDevice);
        assert_eq!(p.penalty(Severity::Serious), 50);
        assert_eq!(p.grade_of(100), Grade::A);
        assert_eq!(p.grade_of(89), Grade::B);
        assert_eq!(p.grade_of(60), Grade::C);
        assert_eq!(p.grade_of(-40), Grade::D);
    }
}
