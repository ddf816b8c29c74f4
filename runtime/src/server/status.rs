//! What an operator's monitoring reads from a receiver: `/healthz` (200 while the journal takes
//! writes) and `/metrics` (the [`Counters`] in the Prometheus text format, encoded by
//! `prometheus-client`).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::{Counters, Dispatch, Receiver, Shared, Store};

/// The content type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

impl<D: Dispatch> Receiver<D> {
    /// A router answering `GET /healthz` (200 `ok` while the journal, if any, commits a
    /// transaction; 503 with the journal's error otherwise) and `GET /metrics` (the counters,
    /// prefixed `webhook_`, in the Prometheus text format). Merge it into the router that
    /// serves the receiver ([`Receiver::serve_with`]), or serve it on a port of its own.
    pub fn status_router(&self) -> Router {
        Router::new()
            .route("/healthz", axum::routing::get(healthz::<D>))
            .route("/metrics", axum::routing::get(metrics::<D>))
            .with_state(self.shared.clone())
    }
}

async fn healthz<D: Dispatch>(State(shared): State<Arc<Shared<D>>>) -> Response {
    let Store::Journal(committer) = &shared.store else {
        return (StatusCode::OK, "ok").into_response();
    };
    // An empty transaction: it fails when the journal's file cannot be written.
    let journal = committer.journal.clone();
    match tokio::task::spawn_blocking(move || journal.commit(&[])).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok").into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "the journal check did not finish").into_response(),
    }
}

async fn metrics<D: Dispatch>(State(shared): State<Arc<Shared<D>>>) -> Response {
    match encode(shared.counters()) {
        Ok(text) => ([(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT))], text).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the counters could not be encoded").into_response(),
    }
}

/// The counters in the Prometheus text format.
pub fn encode(counters: Counters) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("webhook");
    registry.register_collector(Box::new(Snapshot(counters)));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry)?;
    Ok(text)
}

/// One reading of the counters, encoded on a scrape.
#[derive(Debug)]
struct Snapshot(Counters);

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = &self.0;
        let counters: [(&str, &str, u64); 12] = [
            ("accepted", "Deliveries accepted (verified, JSON, not duplicates).", c.accepted),
            ("duplicate", "Deliveries acknowledged as resends of a delivery id seen within the window.", c.duplicate),
            ("coalesced", "Deliveries coalesced with an identical one still waiting in the journal.", c.coalesced),
            ("handled", "Events handled by their method (including unknown and malformed).", c.handled),
            ("failed", "Event handlings that failed (each attempt counts).", c.failed),
            ("malformed", "Events that did not decode.", c.malformed),
            ("unknown", "Events of a kind this crate does not know.", c.unknown),
            ("unhandled", "Events of a kind whose method was not written.", c.unhandled),
            ("given_up", "Deliveries moved to the journal's failed set.", c.given_up),
            ("commits", "Journal transactions committed.", c.commits),
            ("commit_writes", "Writes carried by those transactions.", c.commit_writes),
            (
                "abandoned",
                "Deliveries whose provider stopped waiting before the answer; handled all the same.",
                c.abandoned,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
        }
        let pending = ConstGauge::new(i64::try_from(c.pending).unwrap_or(i64::MAX));
        pending.encode(encoder.encode_descriptor(
            "pending",
            "Deliveries waiting in the journal.",
            None,
            pending.metric_type(),
        )?)?;
        let probe = ConstCounter::new(0u64);
        let mut rejected =
            encoder.encode_descriptor("rejected", "Deliveries refused, by reason.", None, probe.metric_type())?;
        for (reason, count) in &c.rejected {
            ConstCounter::new(*count).encode(rejected.encode_family(&[("reason", *reason)])?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_in_the_text_format() {
        let mut counters = Counters { accepted: 3, pending: 2, ..Counters::default() };
        counters.rejected.insert("journal full", 4);
        let text = encode(counters).unwrap();
        assert!(text.contains("# TYPE webhook_accepted counter\nwebhook_accepted_total 3\n"), "{text}");
        assert!(text.contains("# TYPE webhook_pending gauge\nwebhook_pending 2\n"), "{text}");
        assert!(text.contains("webhook_rejected_total{reason=\"journal full\"} 4\n"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
