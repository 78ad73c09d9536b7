//! What the 0.2 checks send: tools, prompts, an image and a schema.
//!
//! Public so that a provider's fake server can recognise each check's
//! request (by a tool's name, a prompt, the image's bytes) and answer it
//! with a recorded reply.
//!
//! ```
//! use yat_core::testkit::fixtures;
//! assert_eq!(fixtures::weather_tool().name, "get_weather");
//! assert_eq!(yat_core::Media::sniff(fixtures::TINY_PNG), Some("image/png"));
//! ```

use serde_json::json;

use crate::types::{JsonSchema, ToolSpec};

/// The prompt of `tool_round_trip`.
pub const TOOL_PROMPT: &str = "What is the weather in Paris right now? Use the get_weather tool.";

/// What `get_weather` returns in `tool_round_trip`'s second turn.
pub const WEATHER_RESULT: &str = "21 °C and sunny";

/// The prompt of `parallel_tool_calls`.
pub const PARALLEL_PROMPT: &str =
    "What is the weather in Paris and the time in Tokyo? Call get_weather and get_time at once.";

/// The prompt of `image_input`.
pub const IMAGE_PROMPT: &str = "What colour is this image? Answer in one short sentence.";

/// The prompt of `json_schema_output`.
pub const JSON_PROMPT: &str =
    "Name the largest city of France, its population, and whether it is on the coast, as JSON.";

/// The first prompt of `reasoning_round_trip`.
pub const REASONING_PROMPT: &str =
    "How many times does the letter r occur in the word strawberry? Think first.";

/// The second prompt of `reasoning_round_trip`, sent after the first reply.
pub const FOLLOW_UP_PROMPT: &str = "Now say the answer in three words.";

/// The prompt of `cancel_on_drop`. A script answers it with a reply that
/// is still streaming when the kit drops it (its first event, then nothing
/// until the client hangs up), so that the drop is mid-reply.
pub const CANCEL_PROMPT: &str = "Count slowly from one to one thousand, one number per line.";

/// An 8×8 orange PNG (74 bytes), the image of `image_input`.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x02, 0x00, 0x00, 0x00, 0x4b, 0x6d, 0x29,
    0xdc, 0x00, 0x00, 0x00, 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8, 0xdf, 0xc0, 0x80,
    0x15, 0x31, 0x0c, 0x2d, 0x09, 0x00, 0xa9, 0xb3, 0x5f, 0xc1, 0x33, 0xe8, 0xa0, 0xc8, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// `get_weather(city, unit)`: the tool of `tool_round_trip`, and the first
/// of `parallel_tool_calls`.
pub fn weather_tool() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "The current weather in a city.",
        json!({
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city's name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["city", "unit"],
            "additionalProperties": false
        }),
    )
}

/// `get_time(timezone)`: the second tool of `parallel_tool_calls`.
pub fn time_tool() -> ToolSpec {
    ToolSpec::new(
        "get_time",
        "The current time in a time zone.",
        json!({
            "type": "object",
            "properties": {
                "timezone": {"type": "string", "description": "An IANA time zone, e.g. Asia/Tokyo"}
            },
            "required": ["timezone"],
            "additionalProperties": false
        }),
    )
}

/// The schema `json_schema_output` asks the reply to satisfy (named
/// `city_facts`; every property required, no others, as strict modes want).
pub fn city_schema() -> JsonSchema {
    JsonSchema::new(
        "city_facts",
        json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "population": {"type": "integer"},
                "coastal": {"type": "boolean"}
            },
            "required": ["city", "population", "coastal"],
            "additionalProperties": false
        }),
    )
}
