// The constructor must return `Result<Box<dyn LlmProvider>, YatError>`.
struct Acme;

yat_core::register_provider! {
    id: "acme",
    name: "Acme",
    constructor: || Acme,
}

fn main() {}
