//! Value types shared by the record schemas and the state: time, sectors, regions, catalogue
//! codes, instrument ids, grades and the enumerations DOMAIN.md names.

use std::fmt;

use liangxin_types::Uscc;
use liangxin_types::encoding::BoundedString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::rejection::{Code, Rejection};

/// Seconds since the Unix epoch (UTC). Contracts read time only from the block context.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(pub u64);

/// One day in seconds.
pub const DAY: u64 = 86_400;
/// One (30-day) month in seconds (a convenience for tests and examples; publication periods are
/// bounded in days, see `RuleParams::publication_periods`).
pub const MONTH: u64 = 30 * DAY;
/// One (365-day) year in seconds.
pub const YEAR: u64 = 365 * DAY;

impl Time {
    /// `self + secs`, saturating.
    pub fn plus(self, secs: u64) -> Time {
        Time(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Civil date from days since the epoch (Howard Hinnant's algorithm), so messages show
        // dates a person reads without any clock or time-zone dependency.
        let days = (self.0 / DAY) as i64;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Business sectors of DOMAIN.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// Market stall (集贸市场).
    MarketStall,
    /// Fuel station (加油站).
    FuelStation,
    /// Restaurant.
    Restaurant,
    /// Shop.
    Shop,
    /// Optical shop (眼镜店).
    OpticalShop,
    /// Hospital.
    Hospital,
    /// Utility (electricity, water, gas, heat).
    Utility,
    /// Anything else.
    Other,
}

impl Sector {
    /// Every sector.
    pub const ALL: [Sector; 8] = [
        Sector::MarketStall,
        Sector::FuelStation,
        Sector::Restaurant,
        Sector::Shop,
        Sector::OpticalShop,
        Sector::Hospital,
        Sector::Utility,
        Sector::Other,
    ];
}

/// A six-digit administrative region code (行政区划代码), e.g. `350100`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(String);

impl Region {
    /// Validates six ASCII digits.
    pub fn new(s: &str) -> Result<Self, Rejection> {
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Region(s.to_string()))
        } else {
            Err(Rejection::new(
                Code::BadField,
                format!("region code {s:?} must be six digits"),
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this region lies in `jurisdiction`.
    pub fn is_in(&self, jurisdiction: &Jurisdiction) -> bool {
        self.0.starts_with(jurisdiction.as_str())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.0)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Region::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A jurisdiction: a prefix of region codes of 0, 2, 4 or 6 digits (nation, province, city,
/// county). The empty prefix is the whole country.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Jurisdiction(String);

impl Jurisdiction {
    /// Validates 0, 2, 4 or 6 ASCII digits.
    pub fn new(s: &str) -> Result<Self, Rejection> {
        if s.len() <= 6 && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Jurisdiction(s.to_string()))
        } else {
            Err(Rejection::new(
                Code::BadField,
                format!("jurisdiction {s:?} must be 0, 2, 4 or 6 digits of a region code"),
            ))
        }
    }

    /// The whole country.
    pub fn national() -> Self {
        Jurisdiction(String::new())
    }

    /// The prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` lies inside this jurisdiction.
    pub fn contains(&self, other: &Jurisdiction) -> bool {
        other.0.starts_with(&self.0)
    }
}

impl fmt::Debug for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jurisdiction({:?})", self.0)
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("national")
        } else {
            f.write_str(&self.0)
        }
    }
}

impl Serialize for Jurisdiction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Jurisdiction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Jurisdiction::new(&s).map_err(serde::de::Error::custom)
    }
}

/// Short text (names, numbers, references): at most 128 bytes of UTF-8.
pub type ShortText = BoundedString<128>;
/// Longer text (reasons, notes, addresses): at most 1,024 bytes of UTF-8.
pub type LongText = BoundedString<1024>;
/// A URI of an off-chain document: at most 512 bytes.
pub type Uri = BoundedString<512>;

/// A code of the instrument catalogue (实施强制管理的计量器具目录), e.g. `"5.1"`: at most
/// 16 bytes.
pub type CatalogueCode = BoundedString<16>;

/// An instrument: its owner, its catalogue item and its factory serial number (出厂编号).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InstrumentId {
    /// The operator that owns and uses it.
    pub owner: Uscc,
    /// Its catalogue item.
    pub category: CatalogueCode,
    /// Its factory serial number.
    pub serial: BoundedString<64>,
}

impl fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.owner, self.category, self.serial)
    }
}

/// What an instrument is used for (the purposes that make verification mandatory).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentUse {
    /// Trade settlement (贸易结算).
    TradeSettlement,
    /// Safety protection (安全防护).
    Safety,
    /// Medical and health (医疗卫生).
    Health,
    /// Environmental monitoring (环境监测).
    Environment,
}

/// How an instrument is kept verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMode {
    /// Periodic verification; each pass is valid until the date on its certificate.
    Periodic,
    /// First verification only; scrapped if it ever fails.
    FirstOnlyScrapOnFailure,
    /// First verification only; replaced at the end of a fixed service life.
    FixedServiceLife {
        /// The end of its service life.
        until: Time,
    },
}

/// How the catalogue controls an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlMode {
    /// Type approval only.
    TypeApproval,
    /// Mandatory verification only.
    MandatoryVerification,
    /// Both.
    Both,
}

/// An item of the instrument catalogue (data held in state, amended by governance).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueItem {
    /// Its code.
    pub code: CatalogueCode,
    /// Its name, e.g. "电子计价秤".
    pub name: ShortText,
    /// How it is controlled.
    pub control: ControlMode,
    /// The verification modes an instrument of this item may be registered with.
    pub modes: Vec<VerificationModeKind>,
}

/// The kind of a [`VerificationMode`], without its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationModeKind {
    /// [`VerificationMode::Periodic`].
    Periodic,
    /// [`VerificationMode::FirstOnlyScrapOnFailure`].
    FirstOnlyScrapOnFailure,
    /// [`VerificationMode::FixedServiceLife`].
    FixedServiceLife,
}

impl VerificationMode {
    /// The kind.
    pub fn kind(&self) -> VerificationModeKind {
        match self {
            VerificationMode::Periodic => VerificationModeKind::Periodic,
            VerificationMode::FirstOnlyScrapOnFailure => {
                VerificationModeKind::FirstOnlyScrapOnFailure
            }
            VerificationMode::FixedServiceLife { .. } => VerificationModeKind::FixedServiceLife,
        }
    }
}

/// Metering credit grades (计量信用等级).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// Low risk (低风险).
    A,
    /// Ordinary (一般).
    B,
    /// Higher risk (较高).
    C,
    /// High risk (高风险).
    D,
}

impl Grade {
    /// Every grade, best first.
    pub const ALL: [Grade; 4] = [Grade::A, Grade::B, Grade::C, Grade::D];

    /// Index 0–3 (A–D).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Severity of a penalty decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Minor (轻微): public for 3 months.
    Minor,
    /// General (一般): public for 3 to 12 months.
    General,
    /// Serious (严重): public for 1 to 3 years.
    Serious,
}

/// What an inspection found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An instrument in use was never verified.
    Unverified,
    /// An instrument's verification had expired.
    Overdue,
    /// An instrument failed on site.
    Failed,
    /// An instrument's accuracy had been damaged.
    AccuracyDamaged,
    /// Forged metering data (伪造数据).
    ForgedData,
    /// A cheating device (作弊装置).
    CheatingDevice,
    /// Short-weight prepackaged goods (定量包装商品短缺).
    ShortWeightPrepackaged,
    /// A false certificate (虚假计量证书).
    FalseCertificate,
}

impl FindingKind {
    /// The severe findings (forged data, a cheating device, a false certificate): they weigh
    /// most and wait longest before a credit repair.
    pub fn is_severe(self) -> bool {
        matches!(
            self,
            FindingKind::ForgedData | FindingKind::CheatingDevice | FindingKind::FalseCertificate
        )
    }

    /// Every kind.
    pub const ALL: [FindingKind; 8] = [
        FindingKind::Unverified,
        FindingKind::Overdue,
        FindingKind::Failed,
        FindingKind::AccuracyDamaged,
        FindingKind::ForgedData,
        FindingKind::CheatingDevice,
        FindingKind::ShortWeightPrepackaged,
        FindingKind::FalseCertificate,
    ];
}

/// The outcome of an inspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionOutcome {
    /// Nothing wrong.
    Compliant,
    /// Rectification ordered (责令整改).
    RectificationOrdered,
    /// A case was opened (立案查处).
    CaseOpened,
}

/// Level of a demonstration-unit commendation (诚信计量示范单位).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommendationLevel {
    /// County or city level.
    Local,
    /// Provincial level.
    Provincial,
    /// National level.
    National,
}

/// Why an instrument leaves service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetirementReason {
    /// Inaccurate, replaced (失准更换).
    Inaccurate,
    /// Failed verification.
    FailedVerification,
    /// End of service life.
    EndOfLife,
    /// Damaged.
    Damaged,
    /// No longer used.
    OutOfUse,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_render() {
        assert_eq!(Time(0).to_string(), "1970-01-01");
        assert_eq!(Time(1_700_000_000).to_string(), "2023-11-14");
        assert_eq!(Time(951_782_400).to_string(), "2000-02-29");
    }

    #[test]
    fn regions_and_jurisdictions() {
        let r = Region::new("350100").unwrap();
        assert!(r.is_in(&Jurisdiction::new("35").unwrap()));
        assert!(r.is_in(&Jurisdiction::national()));
        assert!(!r.is_in(&Jurisdiction::new("3502").unwrap()));
        assert!(Region::new("35010").is_err());
        assert!(Jurisdiction::new("350").is_err());
        assert!(
            Jurisdiction::new("35")
                .unwrap()
                .contains(&Jurisdiction::new("3501").unwrap())
        );
    }
}
