//! Registry discovery of 50 registrations.
//!
//! `cargo bench --bench registry` measures:
//!
//! * `discover/linked`: [`yat::registry::discover`] in a program that links
//!   50 providers registered with `register_provider!` (this file registers
//!   them) plus whatever providers the enabled features link: iterating the
//!   link-time collection, sorting by id and checking for duplicates;
//! * `from_registrations/50`: the same sort and duplicate check over a given
//!   slice of 50 registrations ([`yat::registry::from_registrations`]), the
//!   copy of the 50 references included.

// `criterion_group!` defines a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use yat::registry::{discover, from_registrations};
use yat::{LlmProvider, YatError};

fn unavailable() -> Result<Box<dyn LlmProvider>, YatError> {
    Err(YatError::Unavailable {
        provider: "bench".into(),
        reason: "a benchmark registration".into(),
    })
}

macro_rules! register_all {
    ($($id:ident)*) => {
        $(
            yat::register_provider! {
                id: stringify!($id),
                name: stringify!($id),
                constructor: unavailable,
                description: "benchmark registration",
            }
        )*
    };
}

// Registered in an order that is not sorted, as a linker may collect them.
register_all! {
    bench49 bench07 bench23 bench31 bench02 bench44 bench15 bench38 bench11 bench26
    bench40 bench05 bench19 bench33 bench48 bench12 bench29 bench01 bench36 bench21
    bench09 bench46 bench14 bench27 bench42 bench03 bench17 bench35 bench24 bench10
    bench47 bench06 bench30 bench39 bench16 bench22 bench43 bench00 bench28 bench13
    bench37 bench08 bench25 bench45 bench18 bench34 bench04 bench41 bench20 bench32
}

fn bench(c: &mut Criterion) {
    let linked = discover();
    let ours: Vec<_> = linked
        .registrations()
        .iter()
        .copied()
        .filter(|r| r.id().starts_with("bench"))
        .collect();
    assert_eq!(
        ours.len(),
        50,
        "the 50 registrations of this file are discovered"
    );
    assert!(linked.duplicates().is_empty());

    let mut group = c.benchmark_group("registry");
    group.bench_function(
        format!("discover/linked({})", linked.registrations().len()),
        |b| b.iter(|| black_box(discover()).registrations().len()),
    );
    group.bench_function("from_registrations/50", |b| {
        b.iter(|| {
            black_box(from_registrations(black_box(&ours).clone()))
                .registrations()
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
