//! The unified social credit code (统一社会信用代码, GB 32100-2015).
//!
//! 18 characters: position 1 the registration authority, 2 the entity category, 3–8 the
//! administrative region code (digits), 9–17 the organisation code, 18 the check character.
//! Alphabet of 31 characters `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, S, V, Z) with values
//! 0–30; weights 3^(i−1) mod 31; check = alphabet[(31 − Σ v·w mod 31) mod 31].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// The 31-character alphabet, in value order.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17: 3^(i−1) mod 31.
pub const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Registration-authority codes of position 1 (GB 32100-2015 and its later assignments):
/// 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商/市场监管,
/// A 中央军委改革和编制办公室, N 农业, Y 其他.
pub const AUTHORITIES: &[u8] = b"123456789ANY";

/// Value (0–30) of an alphabet character, `None` outside the alphabet.
pub fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, or `None` if one is outside the alphabet
/// or there are not exactly 17.
pub fn check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in b.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let idx = (31 - sum % 31) % 31;
    Some(ALPHABET[idx as usize] as char)
}

/// A unified social credit code. Always 18 characters from the alphabet with a known authority
/// and a numeric region code; `check_ok` says whether the check character is right (only a
/// regulator's explicit override admits a code whose check character is wrong).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc([u8; 18]);

impl Uscc {
    /// Parses and fully validates a code, check character included. The error for a wrong check
    /// character names the expected one.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let u = Self::parse_override(s)?;
        let expected = u.expected_check_char();
        let got = u.0[17] as char;
        if got != expected {
            return Err(Error::Uscc {
                code: s.to_string(),
                reason: format!("check character is {got:?}, expected {expected:?}"),
            });
        }
        Ok(u)
    }

    /// Parses a code checking everything except the check character. For registrations where a
    /// regulator explicitly overrides the check (real registries hold a few such codes); the
    /// record must say so.
    pub fn parse_override(s: &str) -> Result<Self, Error> {
        let err = |reason: String| Error::Uscc {
            code: s.chars().take(40).collect(),
            reason,
        };
        let b = s.as_bytes();
        if s.chars().count() != 18 || b.len() != 18 {
            return Err(err(format!(
                "must be 18 characters, got {}",
                s.chars().count()
            )));
        }
        for (i, &c) in b.iter().enumerate() {
            if value_of(c).is_none() {
                return Err(err(format!(
                    "character {} ({:?}) is not in the alphabet 0-9 A-Y without I, O, S, V, Z",
                    i + 1,
                    c as char
                )));
            }
        }
        if !AUTHORITIES.contains(&b[0]) {
            return Err(err(format!(
                "registration authority {:?} is not one of 1-9, A, N, Y",
                b[0] as char
            )));
        }
        if let Some(p) = b[2..8].iter().position(|c| !c.is_ascii_digit()) {
            return Err(err(format!(
                "region code (positions 3-8) must be digits, position {} is {:?}",
                p + 3,
                b[2 + p] as char
            )));
        }
        let mut a = [0u8; 18];
        a.copy_from_slice(b);
        Ok(Uscc(a))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Every byte is from the ASCII alphabet, checked on construction.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The check character the algorithm gives for the first 17 characters.
    pub fn expected_check_char(&self) -> char {
        check_char(&self.as_str()[..17]).unwrap_or('?')
    }

    /// Whether the stored check character is the right one.
    pub fn check_ok(&self) -> bool {
        self.0[17] as char == self.expected_check_char()
    }

    /// The six-digit administrative region code (positions 3–8).
    pub fn region(&self) -> &str {
        &self.as_str()[2..8]
    }

    /// The registration authority (position 1).
    pub fn authority(&self) -> char {
        self.0[0] as char
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.as_str())
    }
}

impl std::str::FromStr for Uscc {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Uscc::parse(s)
    }
}

/// Encoded as a string (`ULEB128(18) ‖ 18 ASCII bytes`) in both JSON and BCS. Decoding accepts
/// any well-formed code, including one whose check character is wrong: whether such a code is
/// acceptable is a rule of the record that carries it (a registration must carry the override
/// flag), not of the encoding.
impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Uscc::parse_override(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_valid_codes() {
        for c in [
            "91110108551385082Q",
            "91350100M000100Y43",
            "91350200776049653A",
        ] {
            let u = Uscc::parse(c).unwrap();
            assert!(u.check_ok());
            assert_eq!(u.as_str(), c);
        }
        assert_eq!(
            Uscc::parse("91350100M000100Y43").unwrap().region(),
            "350100"
        );
    }

    #[test]
    fn wrong_check_character_names_the_expected_one() {
        let e = Uscc::parse("91110108551385082A").unwrap_err().to_string();
        assert!(e.contains("expected 'Q'"), "{e}");
        let u = Uscc::parse_override("91110108551385082A").unwrap();
        assert!(!u.check_ok());
        assert_eq!(u.expected_check_char(), 'Q');
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for bad in [
            "",
            "91110108551385082",
            "91110108551385082QQ",
            "9111010855138508IQ",
            "Z1110108551385082Q",
            "911A0108551385082Q",
            "9111010855138508２Q",
        ] {
            assert!(Uscc::parse(bad).is_err(), "{bad}");
        }
    }

    /// An independent restatement of the algorithm, straight from DOMAIN.md.
    fn reference_check(first17: &str) -> char {
        const A: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        let mut sum = 0u64;
        for (i, c) in first17.chars().enumerate() {
            let v = A.find(c).unwrap() as u64;
            sum += v * 3u64.pow(i as u32) % 31;
        }
        A.chars().nth(((31 - sum % 31) % 31) as usize).unwrap()
    }

    proptest! {
        #[test]
        fn check_agrees_with_algorithm(
            auth in prop::sample::select(AUTHORITIES.to_vec()),
            cat in prop::sample::select(ALPHABET.to_vec()),
            region in "[0-9]{6}",
            org in prop::collection::vec(prop::sample::select(ALPHABET.to_vec()), 9),
            last in prop::sample::select(ALPHABET.to_vec()),
        ) {
            let first17 = format!("{}{}{}{}", auth as char, cat as char, region,
                String::from_utf8(org).unwrap());
            let want = reference_check(&first17);
            prop_assert_eq!(check_char(&first17), Some(want));
            let code = format!("{first17}{}", last as char);
            let parsed = Uscc::parse(&code);
            prop_assert_eq!(parsed.is_ok(), last as char == want);
            if let Err(e) = parsed {
                let expected = format!("expected {want:?}");
                prop_assert!(e.to_string().contains(&expected));
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = Uscc::parse(&s);
        }
    }
}
