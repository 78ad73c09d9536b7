// Optional fields follow the three required ones, never precede them.
yat_core::register_provider! {
    description: "Acme's models",
    id: "acme",
    name: "Acme",
    constructor: || Err(yat_core::YatError::Cancelled { provider: "acme".into() }),
}

fn main() {}
