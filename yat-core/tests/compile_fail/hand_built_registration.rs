// A registration is built only by `register_provider!`: its fields are
// private, so the crate name and version it records are always cargo's.
fn ctor() -> Result<Box<dyn yat_core::LlmProvider>, yat_core::YatError> {
    Err(yat_core::YatError::Cancelled { provider: "acme".into() })
}

static FORGED: yat_core::ProviderRegistration = yat_core::ProviderRegistration {
    id: "acme",
    name: "Acme",
    description: "",
    settings: &[],
    constructor: ctor,
    crate_name: "someone-else",
    crate_version: "9.9.9",
};

fn main() {}
