//! Summaries of samples, and time intervals on the bench's own clock.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Percentiles of a set of durations (nearest rank).
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub n: usize,
    pub min: Duration,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Summary {
    pub fn of(samples: &[Duration]) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        let mut s = samples.to_vec();
        s.sort();
        let pct = |p: f64| s[((s.len() as f64 * p).ceil() as usize).clamp(1, s.len()) - 1];
        let total: Duration = s.iter().sum();
        Summary {
            n: s.len(),
            min: s[0],
            p50: pct(0.50),
            p95: pct(0.95),
            p99: pct(0.99),
            max: s[s.len() - 1],
            mean: total / s.len() as u32,
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "n": self.n,
            "min_ms": ms(self.min),
            "p50_ms": ms(self.p50),
            "p95_ms": ms(self.p95),
            "p99_ms": ms(self.p99),
            "max_ms": ms(self.max),
            "mean_ms": ms(self.mean),
        })
    }
}

pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// The median of some durations (zero for none).
pub fn median(samples: &[Duration]) -> Duration {
    Summary::of(samples).p50
}

/// A stretch of time on the bench's monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: Instant,
    pub to: Instant,
}

impl Span {
    pub fn new(from: Instant, to: Instant) -> Span {
        Span { from, to: to.max(from) }
    }

    pub fn len(&self) -> Duration {
        self.to - self.from
    }
}

/// How much of `within` the spans cover (overlaps counted once).
pub fn covered(spans: &[Span], within: Span) -> Duration {
    let mut clipped: Vec<Span> = spans
        .iter()
        .filter(|s| s.to > within.from && s.from < within.to)
        .map(|s| Span::new(s.from.max(within.from), s.to.min(within.to)))
        .collect();
    clipped.sort_by_key(|s| s.from);
    let mut total = Duration::ZERO;
    let mut current: Option<Span> = None;
    for s in clipped {
        match current {
            Some(c) if s.from <= c.to => current = Some(Span::new(c.from, c.to.max(s.to))),
            Some(c) => {
                total += c.len();
                current = Some(s);
            }
            None => current = Some(s),
        }
    }
    total + current.map_or(Duration::ZERO, |c| c.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(&samples);
        assert_eq!((s.p50, s.p99, s.max), (Duration::from_millis(50), Duration::from_millis(99), samples[99]));
        assert_eq!(Summary::of(&[Duration::from_millis(7)]).p99, Duration::from_millis(7));
    }

    #[test]
    fn overlapping_spans_count_once() {
        let t = Instant::now();
        let at = |ms: u64| t + Duration::from_millis(ms);
        let spans = [Span::new(at(0), at(10)), Span::new(at(5), at(20)), Span::new(at(30), at(40))];
        assert_eq!(covered(&spans, Span::new(at(0), at(100))), Duration::from_millis(30));
        assert_eq!(covered(&spans, Span::new(at(15), at(35))), Duration::from_millis(10));
    }
}
