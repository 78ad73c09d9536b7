//! The facade's `linkme` feature switches yat-core's registry backend, and
//! the bundled providers are discovered on either (CI runs this file with
//! and without `--features linkme`).

#[test]
fn the_linkme_feature_selects_the_registry_backend() {
    let expected = if cfg!(feature = "linkme") {
        "linkme"
    } else {
        "inventory"
    };
    assert_eq!(yat::registry::BACKEND, expected);
}

#[test]
fn providers_are_discovered_on_this_backend() {
    let found = yat::registry::discover();
    assert_eq!(found.ids(), yat::providers::enabled_providers());
}
