// `id`, `name` and `constructor` must come first, in that order.
yat_core::register_provider! {
    name: "Acme",
    id: "acme",
    constructor: || Err(yat_core::YatError::Cancelled { provider: "acme".into() }),
}

fn main() {}
