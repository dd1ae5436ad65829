//! Credit arithmetic. Balances never go below zero and never overflow; every change is a ledger
//! entry with a reason and an idempotency key, so it is traceable and applied at most once.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of credits (a balance, a cost or a ledger delta). Only checked arithmetic is offered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Credits(i64);

/// Why a credit change cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    /// The balance does not cover the charge. Nothing was changed.
    #[error("insufficient credits: balance {balance}, needed {needed}")]
    Insufficient { balance: Credits, needed: Credits },
    /// The result would not fit in the balance's range.
    #[error("credit amount out of range")]
    Overflow,
    /// Grants and costs are positive amounts; the sign comes from the operation.
    #[error("credit amount must be positive, got {0}")]
    NotPositive(Credits),
}

impl Credits {
    pub const ZERO: Self = Self(0);

    pub const fn new(amount: i64) -> Self {
        Self(amount)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// A positive amount, as grants and costs must be.
    pub fn positive(amount: i64) -> Result<Self, CreditError> {
        if amount > 0 {
            Ok(Self(amount))
        } else {
            Err(CreditError::NotPositive(Self(amount)))
        }
    }

    /// `self + grant`, refusing overflow.
    pub fn checked_add(self, grant: Credits) -> Result<Credits, CreditError> {
        self.0
            .checked_add(grant.0)
            .map(Credits)
            .ok_or(CreditError::Overflow)
    }

    /// `self - cost`, refusing to go below zero.
    pub fn checked_sub(self, cost: Credits) -> Result<Credits, CreditError> {
        match self.0.checked_sub(cost.0) {
            Some(rest) if rest >= 0 => Ok(Credits(rest)),
            _ => Err(CreditError::Insufficient {
                balance: self,
                needed: cost,
            }),
        }
    }

    /// Applies a signed ledger delta to a balance: positive deltas are grants, negative ones
    /// charges. The balance after must stay within `0..=i64::MAX`.
    pub fn apply(self, delta: Credits) -> Result<Credits, CreditError> {
        if delta.0 >= 0 {
            self.checked_add(delta)
        } else {
            let cost = delta
                .0
                .checked_neg()
                .map(Credits)
                .ok_or(CreditError::Overflow)?;
            self.checked_sub(cost)
        }
    }

    /// The ledger delta of a charge of this amount.
    pub fn as_charge(self) -> Credits {
        Credits(-self.0)
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Why a ledger entry exists. Stored as its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerReason {
    /// Credits every new account starts with.
    SignupGrant,
    /// Credits granted by an admin (CLI or API).
    AdminGrant,
    /// The one-time cost of taking a stream live.
    GoLive,
    /// One metered live minute.
    LiveMinute,
}

impl LedgerReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignupGrant => "signup_grant",
            Self::AdminGrant => "admin_grant",
            Self::GoLive => "go_live",
            Self::LiveMinute => "live_minute",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "signup_grant" => Self::SignupGrant,
            "admin_grant" => Self::AdminGrant,
            "go_live" => Self::GoLive,
            "live_minute" => Self::LiveMinute,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn charges_never_go_below_zero() {
        let balance = Credits::new(10);
        assert_eq!(balance.checked_sub(Credits::new(10)), Ok(Credits::ZERO));
        assert_eq!(
            balance.checked_sub(Credits::new(11)),
            Err(CreditError::Insufficient {
                balance,
                needed: Credits::new(11)
            })
        );
        assert!(Credits::ZERO.checked_sub(Credits::new(i64::MIN)).is_err());
    }

    #[test]
    fn grants_refuse_overflow_and_non_positive_amounts() {
        assert_eq!(
            Credits::new(i64::MAX).checked_add(Credits::new(1)),
            Err(CreditError::Overflow)
        );
        assert!(Credits::positive(0).is_err());
        assert!(Credits::positive(-5).is_err());
        assert_eq!(Credits::positive(5), Ok(Credits::new(5)));
    }

    #[test]
    fn ledger_reasons_round_trip() {
        for r in [
            LedgerReason::SignupGrant,
            LedgerReason::AdminGrant,
            LedgerReason::GoLive,
            LedgerReason::LiveMinute,
        ] {
            assert_eq!(LedgerReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(LedgerReason::parse("refund"), None);
    }

    proptest! {
        #[test]
        fn applying_deltas_keeps_the_balance_in_range(start in 0i64..=i64::MAX, delta in any::<i64>()) {
            match Credits::new(start).apply(Credits::new(delta)) {
                Ok(after) => {
                    prop_assert!(after.get() >= 0);
                    prop_assert_eq!(Some(after.get()), start.checked_add(delta));
                }
                Err(_) => prop_assert!(start.checked_add(delta).is_none_or(|v| v < 0)),
            }
        }
    }
}
