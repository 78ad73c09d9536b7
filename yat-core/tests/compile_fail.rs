//! Pins the errors a provider author sees when `register_provider!` is
//! misused. Regenerate the `.stderr` files after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p yat-core --test compile_fail`.

#[test]
fn register_provider_misuse_is_a_clear_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
