// `constructor` is required: without it the macro explains the expected shape.
yat_core::register_provider! {
    id: "acme",
    name: "Acme",
}

fn main() {}
