//! The streamable-HTTP transport: rmcp's client on a reqwest client whose
//! TLS uses the ring provider and the Mozilla roots (webpki-roots), as the
//! rest of yat's HTTP does, so no second crypto library is compiled and no
//! process-wide TLS default is touched.

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;

use crate::config::{HttpServer, McpServerConfig};
use crate::error::McpError;

/// The transport for `server`, its secrets resolved. Errors name the
/// header or variable at fault, never a value.
pub(crate) fn transport(
    config: &McpServerConfig,
    server: &HttpServer,
) -> Result<StreamableHttpClientTransport<reqwest013::Client>, McpError> {
    let mut headers = HashMap::new();
    for (name, value) in &server.headers {
        let value = value.resolve().map_err(|var| McpError::MissingEnv {
            server: config.name.clone(),
            field: format!("headers.{name}"),
            var,
        })?;
        let header_name =
            http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| McpError::Config {
                message: format!(
                    "server {:?}: {name:?} is not a valid header name",
                    config.name
                ),
            })?;
        let mut header_value =
            http::HeaderValue::from_str(value.expose()).map_err(|_| McpError::Config {
                message: format!(
                    "server {:?}: the value of header {name:?} is not a valid header value",
                    config.name
                ),
            })?;
        header_value.set_sensitive(true);
        headers.insert(header_name, header_value);
    }
    let mut transport_config =
        StreamableHttpClientTransportConfig::with_uri(server.url.as_str()).custom_headers(headers);
    if let Some(token) = &server.bearer_token {
        let token = token.resolve().map_err(|var| McpError::MissingEnv {
            server: config.name.clone(),
            field: "bearer_token".into(),
            var,
        })?;
        transport_config = transport_config.auth_header(token.expose());
    }
    Ok(StreamableHttpClientTransport::with_client(
        client(&config.name)?,
        transport_config,
    ))
}

fn client(server: &str) -> Result<reqwest013::Client, McpError> {
    let start = |reason: String| McpError::Start {
        server: server.to_owned(),
        reason,
    };
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| start(format!("TLS setup failed: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest013::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|e| start(format!("HTTP client setup failed: {e}")))
}
