//! One client exchange as the operator sees it: a line in the request log
//! (tracing, target `yat_serve::access`) and the metrics, written once
//! when the exchange ends — however it ends (answered, failed, or the
//! client went away mid-stream).
//!
//! The log never carries a key (only its name) and carries prompt text only
//! when `serve.log_prompts` is on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use yat_core::{ModelRef, Usage};

use crate::api_error::ApiError;
use crate::gateway::Gateway;
use crate::metrics::Outcome;

/// How a streamed reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Not ended yet: if dropped like this, the client went away.
    Open,
    /// The upstream finished and the client got every frame.
    Completed,
    /// The upstream failed mid-stream; the client got the error event.
    UpstreamError,
}

pub(crate) struct Exchange {
    gateway: Arc<Gateway>,
    pub dialect: &'static str,
    pub request_id: String,
    arrived: Instant,
    pub key: Option<String>,
    pub asked: Option<String>,
    pub served: Option<ModelRef>,
    pub provider: Option<String>,
    pub stream: bool,
    pub first_byte: Option<Duration>,
    pub usage: Option<Usage>,
    pub prompt: Option<String>,
    pub ending: Ending,
    error: Option<ApiError>,
    status: u16,
    written: bool,
}

impl Exchange {
    pub(crate) fn new(gateway: Arc<Gateway>, dialect: &'static str, request_id: String) -> Self {
        Exchange {
            gateway,
            dialect,
            request_id,
            arrived: Instant::now(),
            key: None,
            asked: None,
            served: None,
            provider: None,
            stream: false,
            first_byte: None,
            usage: None,
            prompt: None,
            ending: Ending::Open,
            error: None,
            status: 200,
            written: false,
        }
    }

    /// The upstream answered: `target` serves the reply.
    pub(crate) fn answered(&mut self, target: &ModelRef) {
        let after = self.arrived.elapsed();
        self.first_byte = Some(after);
        self.gateway
            .metrics
            .first_byte(&target.provider, &target.model, after);
        self.provider = Some(target.provider.clone());
        self.served = Some(target.clone());
    }

    /// Usage reported along the way (merged, as the stream reports it).
    pub(crate) fn usage(&mut self, usage: Usage) {
        self.usage = Some(match self.usage {
            Some(u) => u.merge(usage),
            None => usage,
        });
    }

    /// The exchange failed with `error`, before the reply (its status is
    /// the response's) or during the stream (the response stays 200).
    pub(crate) fn failed(&mut self, error: &ApiError, before_reply: bool) {
        if before_reply {
            self.status = error.status().as_u16();
        } else {
            self.ending = Ending::UpstreamError;
        }
        self.error = Some(error.clone());
    }

    /// Writes the log line and the metrics (once).
    pub(crate) fn finish(&mut self) {
        if std::mem::replace(&mut self.written, true) {
            return;
        }
        let served = self.served.as_ref();
        let error_kind = self.error.as_ref().map(|e| e.kind.as_str());
        self.gateway.metrics.record(&Outcome {
            dialect: self.dialect,
            provider: self.provider.as_deref(),
            model: served.map(|m| m.model.as_str()),
            status: self.status,
            error: error_kind
                .or((self.ending == Ending::Open && self.stream).then_some("client_gone")),
        });
        if let (Some(m), Some(u)) = (served, &self.usage) {
            self.gateway.metrics.tokens(&m.provider, &m.model, u);
        }
        let ending = match self.ending {
            Ending::Open if self.stream && self.error.is_none() && served.is_some() => {
                "client_gone"
            }
            Ending::UpstreamError => "upstream_error",
            _ if self.error.is_some() => "error",
            _ => "completed",
        };
        let usage = self.usage.unwrap_or_default();
        tracing::info!(
            target: "yat_serve::access",
            request_id = %self.request_id,
            format = self.dialect,
            key = self.key.as_deref().unwrap_or("-"),
            model = self.asked.as_deref().unwrap_or("-"),
            served = %served.map_or_else(|| "-".to_owned(), ToString::to_string),
            status = self.status,
            stream = self.stream,
            ending,
            error = self.error.as_ref().map_or("", |e| e.message.as_str()),
            input_tokens = usage.total_input(),
            output_tokens = usage.output_tokens,
            ttfb_ms = self.first_byte.map_or(-1.0, |d| d.as_secs_f64() * 1e3),
            duration_ms = self.arrived.elapsed().as_secs_f64() * 1e3,
            prompt = self.prompt.as_deref(),
            "request"
        );
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        self.finish();
    }
}
