//! The one retry policy every API call goes through: exponential backoff with jitter inside
//! a bounded budget (attempts AND total time), retrying only what can succeed on a second
//! try — 429, 500, 502, 503, 504, per-attempt timeouts and connection errors — and honouring
//! `Retry-After` on 429 and 503 the way the API server means it (priority and fairness,
//! max-in-flight limits).
//!
//! The decisions are pure functions ([`RetryPolicy::decide`], [`parse_retry_after`]) so they
//! are tested without a server; [`super::client`] runs the loop.

use std::time::{Duration, SystemTime};

/// Why one attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with this HTTP status.
    Status(u16),
    /// The attempt did not finish within the per-request timeout.
    Timeout,
    /// The connection could not be made or broke (refused, reset, TLS, DNS).
    Connection,
}

impl Failure {
    /// True when a second try can succeed. Other 4xx are final: the request is wrong, not
    /// the moment.
    pub fn is_retryable(self) -> bool {
        match self {
            Failure::Status(code) => matches!(code, 429 | 500 | 502 | 503 | 504),
            Failure::Timeout | Failure::Connection => true,
        }
    }

    /// `Retry-After` is honoured only where the API server sends it with that meaning.
    pub fn honours_retry_after(self) -> bool {
        matches!(self, Failure::Status(429) | Failure::Status(503))
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep this long, then try again.
    RetryAfter(Duration),
    /// Do not retry: the failure is final.
    Fail,
    /// Retrying could help but the budget (attempts or time) is spent.
    Exhausted,
}

/// Backoff and budget. Defaults: 5 attempts, 30 s in total, 200 ms doubling up to 5 s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 = no retries).
    pub max_attempts: u32,
    /// Time budget from the first attempt; no retry starts (or sleeps) past it.
    pub max_elapsed: Duration,
    /// Delay before the second attempt (before jitter).
    pub initial_backoff: Duration,
    /// Cap of one delay (before jitter; `Retry-After` may exceed it within the budget).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries (for calls whose caller retries itself).
    pub fn no_retry() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The delay before attempt `attempt + 1`, `attempt` counting from 1: `initial ·
    /// 2^(attempt-1)` capped at `max_backoff`, then scaled into `[½, 1]` by `jitter` (0..=1)
    /// so that many clients hit by the same outage do not retry in lockstep.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let factor = 0.5 + 0.5 * jitter.clamp(0.0, 1.0);
        base.mul_f64(factor)
    }

    /// Decides what follows failed attempt number `attempt` (from 1), `elapsed` after the
    /// first attempt started. `retry_after` is the server's `Retry-After`, used instead of
    /// the backoff for 429/503. A delay that would end past the time budget is not taken.
    pub fn decide(
        &self,
        attempt: u32,
        elapsed: Duration,
        failure: Failure,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Decision {
        if !failure.is_retryable() {
            return Decision::Fail;
        }
        if attempt >= self.max_attempts {
            return Decision::Exhausted;
        }
        let delay = match retry_after {
            Some(d) if failure.honours_retry_after() => d,
            _ => self.backoff(attempt, jitter),
        };
        match elapsed.checked_add(delay) {
            Some(end) if end < self.max_elapsed => Decision::RetryAfter(delay),
            _ => Decision::Exhausted,
        }
    }
}

/// Parses a `Retry-After` header: delay-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, taken relative to `now`; a date in the past is 0).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::try_from(now).ok()?;
    let secs = at.as_second() - now.as_second();
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_only_transient_failures() {
        for code in [429, 500, 502, 503, 504] {
            assert!(Failure::Status(code).is_retryable(), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 410, 422, 501] {
            assert!(!Failure::Status(code).is_retryable(), "{code}");
        }
        assert!(Failure::Timeout.is_retryable());
        assert!(Failure::Connection.is_retryable());
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(1, Duration::ZERO, Failure::Status(403), None, 0.0),
            Decision::Fail
        );
        assert_eq!(
            p.decide(1, Duration::ZERO, Failure::Status(409), None, 0.0),
            Decision::Fail
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(200));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(400));
        assert_eq!(p.backoff(3, 1.0), Duration::from_millis(800));
        assert_eq!(p.backoff(3, 0.0), Duration::from_millis(400));
        assert_eq!(p.backoff(10, 1.0), Duration::from_secs(5));
        assert_eq!(p.backoff(40, 1.0), Duration::from_secs(5));
        assert_eq!(
            p.decide(2, Duration::ZERO, Failure::Connection, None, 1.0),
            Decision::RetryAfter(Duration::from_millis(400))
        );
    }

    #[test]
    fn budget_bounds_attempts_and_time() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(5, Duration::ZERO, Failure::Status(503), None, 0.0),
            Decision::Exhausted
        );
        assert_eq!(
            p.decide(4, Duration::ZERO, Failure::Status(503), None, 0.0),
            Decision::RetryAfter(Duration::from_millis(800))
        );
        // 29.5 s spent: a 800 ms delay would end past the 30 s budget.
        assert_eq!(
            p.decide(
                4,
                Duration::from_millis(29_500),
                Failure::Timeout,
                None,
                1.0
            ),
            Decision::Exhausted
        );
        assert_eq!(
            RetryPolicy::no_retry().decide(1, Duration::ZERO, Failure::Status(500), None, 0.0),
            Decision::Exhausted
        );
    }

    #[test]
    fn retry_after_replaces_backoff_on_429_and_503_only() {
        let p = RetryPolicy::default();
        let ra = Some(Duration::from_secs(3));
        assert_eq!(
            p.decide(1, Duration::ZERO, Failure::Status(429), ra, 0.0),
            Decision::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            p.decide(1, Duration::ZERO, Failure::Status(503), ra, 0.0),
            Decision::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            p.decide(1, Duration::ZERO, Failure::Status(500), ra, 0.0),
            Decision::RetryAfter(Duration::from_millis(100))
        );
        // A Retry-After longer than what is left of the budget is not waited for.
        assert_eq!(
            p.decide(
                1,
                Duration::ZERO,
                Failure::Status(429),
                Some(Duration::from_secs(60)),
                0.0
            ),
            Decision::Exhausted
        );
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 07:27:50
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
