//! The bundled providers as their tests drive them: each one's id, test
//! key (with the part that must never show in an error), chat route and
//! base path, written once for all of its test files.

#[cfg(feature = "openai")]
pub mod openai {
    use yat_providers::openai::presets::{self, Preset};
    use yat_providers::openai::OpenAiCompatible;

    use crate::support::Vendor;

    pub const KEY: &str = "sk-test-planted-0123456789";
    pub const CHAT_PATH: &str = "/v1/chat/completions";

    /// OpenAI itself.
    pub fn vendor() -> Vendor<OpenAiCompatible> {
        preset(presets::openai::PRESET)
    }

    /// A compatible vendor, by its preset.
    pub fn preset(preset: Preset) -> Vendor<OpenAiCompatible> {
        Vendor::new(preset.id, KEY, CHAT_PATH, "/v1", move || {
            OpenAiCompatible::new(preset.profile())
        })
    }
}

#[cfg(feature = "anthropic")]
pub mod anthropic {
    use yat_providers::anthropic::Anthropic;

    use crate::support::Vendor;

    pub const KEY: &str = "sk-ant-api03-planted-0123456789";
    pub const MESSAGES_PATH: &str = "/v1/messages";

    pub fn vendor() -> Vendor<Anthropic> {
        Vendor::new("anthropic", KEY, MESSAGES_PATH, "", Anthropic::default)
    }
}

#[cfg(any(feature = "gemini", feature = "google"))]
pub mod gemini {
    use yat_providers::gemini::Gemini;

    use crate::support::Vendor;

    pub const KEY: &str = "AIzaSy-test-planted-0123456789";
    pub const CHAT_PATH: &str = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";

    pub fn vendor() -> Vendor<Gemini> {
        vendor_as("gemini")
    }

    /// The provider registered as `id` (`gemini` or its alias `google`).
    pub fn vendor_as(id: &'static str) -> Vendor<Gemini> {
        Vendor::new(id, KEY, CHAT_PATH, "/v1beta", move || Gemini::new(id))
    }
}

#[cfg(feature = "cohere")]
pub mod cohere {
    use yat_providers::cohere::Cohere;

    use crate::support::Vendor;

    pub const KEY: &str = "co-test-planted-0123456789";
    pub const CHAT_PATH: &str = "/v2/chat";

    pub fn vendor() -> Vendor<Cohere> {
        Vendor::new("cohere", KEY, CHAT_PATH, "", Cohere::default)
    }
}
