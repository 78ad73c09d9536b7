// A misspelt optional field names the field the registration does not have.
yat_core::register_provider! {
    id: "acme",
    name: "Acme",
    constructor: || Err(yat_core::YatError::Cancelled { provider: "acme".into() }),
    descripton: "Acme's models",
}

fn main() {}
