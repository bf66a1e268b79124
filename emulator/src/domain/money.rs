//! Amounts in yuan with at most two decimals, held as integer fen.

use std::fmt;

/// A non-negative amount in fen (1/100 yuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Money(u64);

/// Largest amount Alipay accepts for one trade: 100,000,000.00 yuan.
const MAX_FEN: u64 = 10_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: u64) -> Self {
        Money(fen)
    }

    pub const fn fen(self) -> u64 {
        self.0
    }

    /// Parses `"88.88"`, `"88.8"`, `"88"` (as on the wire). Rejects signs, exponents, more
    /// than two decimals, and amounts above 100,000,000.00.
    pub fn parse(s: &str) -> Option<Money> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() || int.len() > 9 || frac.len() > 2 || (s.contains('.') && frac.is_empty())
        {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let yuan: u64 = int.parse().ok()?;
        let mut fen: u64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            let digit = u64::from(b - b'0');
            fen += if i == 0 { digit * 10 } else { digit };
        }
        let total = yuan.checked_mul(100)?.checked_add(fen)?;
        (total <= MAX_FEN).then_some(Money(total))
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wire_amounts() {
        assert_eq!(Money::parse("88.88"), Some(Money(8888)));
        assert_eq!(Money::parse("88.8"), Some(Money(8880)));
        assert_eq!(Money::parse("88"), Some(Money(8800)));
        assert_eq!(Money::parse("0.01"), Some(Money(1)));
        assert_eq!(Money::parse("100000000.00"), Some(Money(MAX_FEN)));
    }

    #[test]
    fn rejects_bad_amounts() {
        for s in [
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e3",
            "1.234",
            "1,00",
            " 1",
            "100000000.01",
            "abc",
            "99999999999999999999",
        ] {
            assert_eq!(Money::parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn displays_two_decimals() {
        assert_eq!(Money(8888).to_string(), "88.88");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money(100).to_string(), "1.00");
    }
}
