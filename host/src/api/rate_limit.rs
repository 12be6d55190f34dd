//! The per-tenant rate limit of the scoring endpoints: a token bucket per
//! tenant (GCRA, the `governor` crate) holding `burst` leads and refilled
//! at `rate` leads a second. A request beyond it is answered `429 Too Many
//! Requests` with `Retry-After` (RFC 6585 §4), naming the limit. It is kept
//! per host: behind N hosts a tenant may send up to N times the rate.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;

/// Every tenant's bucket; `None`: no limit.
pub struct TenantRateLimit {
    limiter: Option<(DefaultKeyedRateLimiter<String>, u32, u32)>,
}

impl TenantRateLimit {
    /// `rate` leads per second per tenant (0: no limit), with room for a
    /// burst of `burst` (at least 1).
    pub fn new(rate: u32, burst: u32) -> TenantRateLimit {
        let limiter = NonZeroU32::new(rate).map(|per_second| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            (RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)), rate, burst.get())
        });
        TenantRateLimit { limiter }
    }

    /// Takes `leads` from `tenant`'s bucket, or says how long to wait.
    pub fn check(&self, tenant: &str, leads: usize) -> Result<(), ApiError> {
        let Some((limiter, rate, burst)) = &self.limiter else { return Ok(()) };
        let Some(n) = NonZeroU32::new(u32::try_from(leads).unwrap_or(u32::MAX)) else { return Ok(()) };
        let leads_a_second = if *rate == 1 { "lead a second" } else { "leads a second" };
        let limit = || format!("this tenant's limit is {rate} {leads_a_second}, with bursts of up to {burst}");
        match limiter.check_key_n(&tenant.to_string(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(ApiError::RateLimited {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
                message: format!("too many requests: {}; retry after the Retry-After header's seconds", limit()),
            }),
            // More leads at once than the bucket ever holds: waiting cannot help.
            Err(_) => Err(ApiError::RateLimited {
                retry_after: Duration::from_secs(1),
                message: format!("{leads} leads at once is more than {}; send fewer per request", limit()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TenantRateLimit;
    use crate::api::error::ApiError;

    #[test]
    fn a_tenant_past_its_burst_waits_and_another_tenant_does_not() {
        let limit = TenantRateLimit::new(10, 20);
        assert!(limit.check("a", 20).is_ok());
        match limit.check("a", 1) {
            Err(ApiError::RateLimited { retry_after, message }) => {
                assert!(retry_after.as_millis() > 0 && retry_after.as_millis() <= 100, "{retry_after:?}");
                assert!(message.contains("10 leads a second"), "{message}");
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        assert!(limit.check("b", 20).is_ok(), "b has a bucket of its own");
        assert!(matches!(limit.check("b", 21), Err(ApiError::RateLimited { .. })));
        assert!(TenantRateLimit::new(0, 0).check("a", 1_000_000).is_ok(), "0: no limit");
    }
}
