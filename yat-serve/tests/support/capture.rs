//! A tracing subscriber that keeps every event and span of the test
//! binary, each as its target and fields, so a test can find its own
//! request's log line (by request id) and check that nothing logged
//! anywhere carries a secret.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One event (or a span's fields): where it was logged and what it said.
#[derive(Debug, Clone)]
pub struct Logged {
    pub target: String,
    pub fields: BTreeMap<String, String>,
}

impl Logged {
    /// A field's value (strings without their quotes).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// Everything it says, for searching.
    pub fn text(&self) -> String {
        format!("{} {:?}", self.target, self.fields)
    }
}

static LOG: Mutex<Vec<Logged>> = Mutex::new(Vec::new());

/// Installs the subscriber for the whole test binary (once).
pub fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        tracing::subscriber::set_global_default(Capture).expect("no other subscriber");
    });
}

/// Everything logged so far by any test of this binary.
pub fn logged() -> Vec<Logged> {
    LOG.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The request-log lines (target `yat_serve::access`) so far.
pub fn access_log() -> Vec<Logged> {
    logged()
        .into_iter()
        .filter(|l| l.target == "yat_serve::access")
        .collect()
}

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

fn keep(target: &str, record: impl FnOnce(&mut Fields)) {
    let mut fields = Fields(BTreeMap::new());
    record(&mut fields);
    LOG.lock().unwrap_or_else(|p| p.into_inner()).push(Logged {
        target: target.to_owned(),
        fields: fields.0,
    });
}

struct Capture;

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        keep(span.metadata().target(), |f| span.record(f));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        keep("span", |f| values.record(f));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        keep(event.metadata().target(), |f| event.record(f));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
