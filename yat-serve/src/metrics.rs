//! `GET /metrics`: Prometheus text, through the official client crate.
//!
//! Labels stay bounded whatever clients send: a model label is written
//! only for a model that answered (an unknown name is `-`), a provider
//! label only for a linked provider.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use yat_core::Usage;

/// One request's outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    dialect: &'static str,
    provider: String,
    model: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    dialect: &'static str,
    provider: String,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    provider: String,
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    provider: String,
    model: String,
    direction: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The gateway's counters.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    streams: Gauge,
    first_byte: Family<ModelLabels, Histogram, fn() -> Histogram>,
    tokens: Family<TokenLabels, Counter>,
}

/// Where one request ended, for the counters.
pub(crate) struct Outcome<'a> {
    pub dialect: &'static str,
    pub provider: Option<&'a str>,
    pub model: Option<&'a str>,
    pub status: u16,
    pub error: Option<&'static str>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "yat_gateway_requests",
            "Chat requests answered, by format, provider, model and HTTP status",
            requests.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "yat_gateway_errors",
            "Requests that ended in an error, before or during the stream, by kind",
            errors.clone(),
        );
        let streams = Gauge::default();
        registry.register(
            "yat_gateway_streams_in_flight",
            "Streamed replies open now",
            streams.clone(),
        );
        let first_byte = Family::<ModelLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "yat_gateway_time_to_first_byte_seconds",
            "From the request's arrival to the upstream's first output",
            first_byte.clone(),
        );
        let tokens = Family::<TokenLabels, Counter>::default();
        registry.register(
            "yat_gateway_tokens",
            "Tokens the upstreams reported, by direction (input includes cached prompt tokens)",
            tokens.clone(),
        );
        Metrics {
            registry,
            requests,
            errors,
            streams,
            first_byte,
            tokens,
        }
    }

    pub(crate) fn record(&self, o: &Outcome<'_>) {
        let provider = o.provider.unwrap_or("-").to_owned();
        self.requests
            .get_or_create(&RequestLabels {
                dialect: o.dialect,
                provider: provider.clone(),
                model: o.model.unwrap_or("-").to_owned(),
                status: o.status,
            })
            .inc();
        if let Some(kind) = o.error {
            self.errors
                .get_or_create(&ErrorLabels {
                    dialect: o.dialect,
                    provider,
                    kind,
                })
                .inc();
        }
    }

    pub(crate) fn first_byte(&self, provider: &str, model: &str, after: Duration) {
        self.first_byte
            .get_or_create(&ModelLabels {
                provider: provider.to_owned(),
                model: model.to_owned(),
            })
            .observe(after.as_secs_f64());
    }

    pub(crate) fn tokens(&self, provider: &str, model: &str, usage: &Usage) {
        for (direction, n) in [
            ("input", usage.total_input()),
            ("output", usage.output_tokens),
        ] {
            self.tokens
                .get_or_create(&TokenLabels {
                    provider: provider.to_owned(),
                    model: model.to_owned(),
                    direction,
                })
                .inc_by(n);
        }
    }

    pub(crate) fn stream_opened(&self) {
        self.streams.inc();
    }

    pub(crate) fn stream_closed(&self) {
        self.streams.dec();
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_with_bounded_labels() {
        let m = Metrics::new();
        m.record(&Outcome {
            dialect: "openai",
            provider: Some("mock"),
            model: Some("mock-echo"),
            status: 200,
            error: None,
        });
        m.record(&Outcome {
            dialect: "anthropic",
            provider: None,
            model: None,
            status: 404,
            error: Some("not_found"),
        });
        m.first_byte("mock", "mock-echo", Duration::from_millis(3));
        m.tokens("mock", "mock-echo", &Usage::new(5, 7).with_cache_read(2));
        m.stream_opened();
        let text = m.render();
        for line in [
            r#"yat_gateway_requests_total{dialect="openai",provider="mock",model="mock-echo",status="200"} 1"#,
            r#"yat_gateway_requests_total{dialect="anthropic",provider="-",model="-",status="404"} 1"#,
            r#"yat_gateway_errors_total{dialect="anthropic",provider="-",kind="not_found"} 1"#,
            r#"yat_gateway_tokens_total{provider="mock",model="mock-echo",direction="input"} 7"#,
            r#"yat_gateway_tokens_total{provider="mock",model="mock-echo",direction="output"} 7"#,
            "yat_gateway_streams_in_flight 1",
            r#"yat_gateway_time_to_first_byte_seconds_count{provider="mock",model="mock-echo"} 1"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }
}
