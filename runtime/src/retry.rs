//! The retry policy: a pure function from "what happened" to "what to do next".
//!
//! Rules:
//! - A failure before the request left (connect error, invalid request) may be retried for
//!   every operation: Alipay never saw it.
//! - After the request may have reached Alipay (timeout, reset, HTTP 5xx, v2 `20000`
//!   `isp.unknow-error` / `aop.unknow-error`), only [`Safety::ReadOnly`] operations are
//!   retried. A [`Safety::Mutating`] call (which may move money) is never repeated blindly:
//!   the error says the outcome is unknown and the caller must query before trying again.
//! - Everything else (signature problems, business errors, 4xx) is final.
//!
//! Backoff is exponential with "equal jitter" (half fixed, half random) and a cap; the whole
//! call stays within the total timeout.

use crate::Safety;
use std::time::Duration;

/// Retry settings of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the second attempt (before jitter).
    pub initial_backoff: Duration,
    /// Upper bound of one backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts in total (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first backoff and the cap.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }
}

/// What happened in one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The request never left (connect failure, invalid request).
    NotSent,
    /// The request may have reached Alipay, but no (complete) response came back:
    /// timeout, connection reset, truncated body.
    MaybeSent,
    /// An HTTP status outside 2xx without a usable service answer (v2 any non-200, v3 5xx).
    ServerStatus(u16),
    /// v2 `code` 20000 with `isp.unknow-error` / `aop.unknow-error`: service unavailable,
    /// outcome unknown.
    ServiceUnavailable,
    /// Anything else: final (bad signature, business error, client error).
    Final,
}

/// What the client should do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Give up and return the error.
    Stop,
}

/// Whether a failure may be retried for a call of the given safety (already resolved for the
/// request with [`Safety::for_request`]; an unresolved [`Safety::IdempotentBy`] counts as
/// mutating), ignoring budgets.
pub fn is_retryable(safety: Safety, failure: Failure) -> bool {
    match failure {
        Failure::NotSent => true,
        Failure::MaybeSent | Failure::ServiceUnavailable => safety == Safety::ReadOnly,
        Failure::ServerStatus(status) => safety == Safety::ReadOnly && (500..600).contains(&status),
        Failure::Final => false,
    }
}

/// The backoff before attempt `attempt + 1`, `attempt` being the number of attempts made
/// (1-based). `jitter` is a random number in `[0, 1)`.
pub fn backoff(policy: &RetryPolicy, attempt: u32, jitter: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let base = policy
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(policy.max_backoff);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = base / 2;
    half + half.mul_f64(jitter)
}

/// Decides what to do after attempt number `attempt` (1-based) failed with `failure`.
///
/// `elapsed` is the time spent on the call so far, `total` the call's total budget;
/// a retry whose backoff would end past the budget is not made.
pub fn decide(
    policy: &RetryPolicy,
    safety: Safety,
    failure: Failure,
    attempt: u32,
    elapsed: Duration,
    total: Option<Duration>,
    jitter: f64,
) -> Decision {
    if !is_retryable(safety, failure) || attempt >= policy.max_attempts {
        return Decision::Stop;
    }
    let wait = backoff(policy, attempt, jitter);
    if let Some(total) = total {
        if elapsed.saturating_add(wait) >= total {
            return Decision::Stop;
        }
    }
    Decision::Retry(wait)
}

/// A random number in `[0, 1)` for the jitter (from the OS random source via UUID v4).
pub(crate) fn random_jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use Safety::{Mutating, ReadOnly};

    const MS: Duration = Duration::from_millis(1);

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
            .with_max_attempts(4)
            .with_backoff(100 * MS, 300 * MS)
    }

    #[test]
    fn not_sent_is_retried_for_every_operation() {
        for safety in [ReadOnly, Mutating] {
            assert!(matches!(
                decide(&policy(), safety, Failure::NotSent, 1, MS, None, 0.5),
                Decision::Retry(_)
            ));
        }
    }

    #[test]
    fn mutating_calls_are_never_retried_after_the_request_may_have_left() {
        for f in [
            Failure::MaybeSent,
            Failure::ServiceUnavailable,
            Failure::ServerStatus(500),
            Failure::ServerStatus(503),
            Failure::Final,
        ] {
            assert_eq!(
                decide(&policy(), Mutating, f, 1, MS, None, 0.5),
                Decision::Stop,
                "{f:?}"
            );
        }
    }

    #[test]
    fn read_only_calls_are_retried_on_timeouts_5xx_and_unknown_errors() {
        for f in [
            Failure::MaybeSent,
            Failure::ServiceUnavailable,
            Failure::ServerStatus(502),
        ] {
            assert!(matches!(
                decide(&policy(), ReadOnly, f, 1, MS, None, 0.0),
                Decision::Retry(_)
            ));
        }
    }

    #[test]
    fn client_errors_and_final_failures_stop() {
        for f in [
            Failure::ServerStatus(400),
            Failure::ServerStatus(404),
            Failure::Final,
        ] {
            assert_eq!(
                decide(&policy(), ReadOnly, f, 1, MS, None, 0.0),
                Decision::Stop
            );
        }
    }

    #[test]
    fn max_attempts_counts_the_first_attempt() {
        let p = policy();
        assert!(matches!(
            decide(&p, ReadOnly, Failure::NotSent, 3, MS, None, 0.0),
            Decision::Retry(_)
        ));
        assert_eq!(
            decide(&p, ReadOnly, Failure::NotSent, 4, MS, None, 0.0),
            Decision::Stop
        );
        let none = RetryPolicy::disabled();
        assert_eq!(
            decide(&none, ReadOnly, Failure::NotSent, 1, MS, None, 0.0),
            Decision::Stop
        );
    }

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        let p = policy();
        // Equal jitter: between half and all of the exponential value.
        assert_eq!(backoff(&p, 1, 0.0), 50 * MS);
        assert_eq!(backoff(&p, 1, 1.0), 100 * MS);
        assert_eq!(backoff(&p, 2, 0.0), 100 * MS);
        assert_eq!(backoff(&p, 2, 1.0), 200 * MS);
        // Capped at 300 ms.
        assert_eq!(backoff(&p, 3, 1.0), 300 * MS);
        assert_eq!(backoff(&p, 30, 1.0), 300 * MS);
        assert_eq!(backoff(&p, u32::MAX, 0.5), 225 * MS);
        // Out-of-range jitter is clamped, NaN ignored.
        assert_eq!(backoff(&p, 1, 7.0), 100 * MS);
        assert_eq!(backoff(&p, 1, f64::NAN), 50 * MS);
        for _ in 0..100 {
            let j = random_jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn the_total_budget_is_respected() {
        let p = policy();
        // 50..100 ms of backoff would end past a 1 s budget when 960 ms are spent.
        assert_eq!(
            decide(
                &p,
                ReadOnly,
                Failure::NotSent,
                1,
                960 * MS,
                Some(Duration::from_secs(1)),
                1.0
            ),
            Decision::Stop
        );
        assert_eq!(
            decide(
                &p,
                ReadOnly,
                Failure::NotSent,
                1,
                100 * MS,
                Some(Duration::from_secs(1)),
                1.0
            ),
            Decision::Retry(100 * MS)
        );
    }
}
