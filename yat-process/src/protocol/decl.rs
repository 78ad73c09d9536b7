//! What a plugin declares in its `hello`: its settings and capabilities,
//! in owned, serde-able forms of yat-core's static [`SettingSpec`] and of
//! [`Capabilities`].

use serde::{Deserialize, Serialize};
use yat_core::{Capabilities, SettingKind, SettingSpec};

/// One setting a plugin reads, as its `hello` declares it.
///
/// ```
/// use yat_core::{SettingKind, SettingSpec};
/// use yat_process::protocol::SettingDecl;
/// const KEY: SettingSpec = SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"]).required();
/// let d = SettingDecl::from(&KEY);
/// assert_eq!(
///     serde_json::to_string(&d).unwrap(),
///     r#"{"key":"api_key","kind":"secret","env_var":"ACME_API_KEY","env_vars":["ACME_API_KEY"],"required":true,"label":"API key","default":null,"description":""}"#
/// );
/// assert_eq!(d.setting_kind(), SettingKind::Secret);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SettingDecl {
    /// The key, unique within the provider.
    pub key: String,
    /// `secret`, `text`, `url`, `integer`, `float` or `bool`; see
    /// [`SettingDecl::setting_kind`].
    #[serde(default = "text_kind")]
    pub kind: String,
    /// The environment variable the value is read from, if one is declared.
    #[serde(default)]
    pub env_var: Option<String>,
    /// Every variable declared, first match wins (`env_var` is the first).
    /// Plugins may send `env_var` alone.
    #[serde(default)]
    pub env_vars: Vec<String>,
    /// Whether the provider cannot work without it.
    #[serde(default)]
    pub required: bool,
    /// A human label (the key when empty).
    #[serde(default)]
    pub label: String,
    /// The value used when no source has one.
    #[serde(default)]
    pub default: Option<String>,
    /// One line of help.
    #[serde(default)]
    pub description: String,
}

fn text_kind() -> String {
    "text".to_owned()
}

impl SettingDecl {
    /// The kind of value. A kind this version does not know (a newer
    /// plugin's) is read as text; `password` (the original app's word) as
    /// a secret.
    pub fn setting_kind(&self) -> SettingKind {
        match self.kind.as_str() {
            "secret" | "password" => SettingKind::Secret,
            "url" => SettingKind::Url,
            "integer" => SettingKind::Integer,
            "float" => SettingKind::Float,
            "bool" => SettingKind::Bool,
            _ => SettingKind::Text,
        }
    }
    /// Every variable declared: `env_vars`, or `env_var` alone when the
    /// plugin sent only that.
    pub fn all_env_vars(&self) -> Vec<&str> {
        if self.env_vars.is_empty() {
            self.env_var.iter().map(String::as_str).collect()
        } else {
            self.env_vars.iter().map(String::as_str).collect()
        }
    }
}

impl From<&SettingSpec> for SettingDecl {
    fn from(s: &SettingSpec) -> Self {
        SettingDecl {
            key: s.key.to_owned(),
            kind: s.kind.as_str().to_owned(),
            env_var: s.env_vars.first().map(|v| (*v).to_owned()),
            env_vars: s.env_vars.iter().map(|v| (*v).to_owned()).collect(),
            required: s.required,
            label: s.label.to_owned(),
            default: s.default.map(str::to_owned),
            description: s.help.to_owned(),
        }
    }
}

/// [`Capabilities`] on the wire: every field optional, defaulting to
/// [`Capabilities::default`]'s value.
///
/// ```
/// use yat_core::Capabilities;
/// use yat_process::protocol::CapabilitiesDecl;
/// let d: CapabilitiesDecl = serde_json::from_str(r#"{"tools":true,"max_image_bytes":1024}"#).unwrap();
/// let c = Capabilities::from(d);
/// assert!(c.tools && c.usage && !c.images);
/// assert_eq!(c.max_image_bytes, Some(1024));
/// assert_eq!(Capabilities::from(CapabilitiesDecl::from(c)), c);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)] // each field is the `Capabilities` field of the same name
pub struct CapabilitiesDecl {
    pub usage: bool,
    pub usage_details: bool,
    pub rejects_unknown_models: bool,
    pub max_tokens: bool,
    pub stop_sequences: bool,
    pub tools: bool,
    pub parallel_tools: bool,
    pub images: bool,
    pub documents: bool,
    pub json_schema: bool,
    pub json_object: bool,
    pub reasoning: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_image_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_document_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_inline_bytes: Option<u64>,
}

impl Default for CapabilitiesDecl {
    fn default() -> Self {
        Capabilities::default().into()
    }
}

impl From<Capabilities> for CapabilitiesDecl {
    fn from(c: Capabilities) -> Self {
        CapabilitiesDecl {
            usage: c.usage,
            usage_details: c.usage_details,
            rejects_unknown_models: c.rejects_unknown_models,
            max_tokens: c.max_tokens,
            stop_sequences: c.stop_sequences,
            tools: c.tools,
            parallel_tools: c.parallel_tools,
            images: c.images,
            documents: c.documents,
            json_schema: c.json_schema,
            json_object: c.json_object,
            reasoning: c.reasoning,
            max_image_bytes: c.max_image_bytes,
            max_document_bytes: c.max_document_bytes,
            max_inline_bytes: c.max_inline_bytes,
        }
    }
}

impl From<CapabilitiesDecl> for Capabilities {
    fn from(d: CapabilitiesDecl) -> Self {
        let mut c = Capabilities::none()
            .with_usage(d.usage)
            .with_usage_details(d.usage_details)
            .with_rejects_unknown_models(d.rejects_unknown_models)
            .with_max_tokens(d.max_tokens)
            .with_stop_sequences(d.stop_sequences)
            .with_tools(d.tools)
            .with_parallel_tools(d.parallel_tools)
            .with_images(d.images)
            .with_documents(d.documents)
            .with_json_schema(d.json_schema)
            .with_json_object(d.json_object)
            .with_reasoning(d.reasoning);
        c.max_image_bytes = d.max_image_bytes;
        c.max_document_bytes = d.max_document_bytes;
        c.max_inline_bytes = d.max_inline_bytes;
        c
    }
}
