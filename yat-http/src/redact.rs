//! Keeping a provider's key out of the errors the transport returns: some
//! servers echo the key, whole or masked (`sk-abc***wxyz`), in their error
//! messages.

use yat_core::{Failure, Secret, YatError};

/// Removes a key, and any masked prefix of it (`sk-abc***`), from `text`.
pub fn redact_text(text: &str, secret: &Secret) -> String {
    let key = secret.expose();
    let mut out = text.replace(key, "[redacted]");
    if out.contains('*') {
        out = out
            .split(' ')
            .map(|word| {
                // OpenAI shows keys as `sk-abc***wxyz`: a prefix, stars,
                // and sometimes the last characters.
                let Some((stem, rest)) = word.split_once('*') else {
                    return word;
                };
                let tail = rest
                    .trim_start_matches('*')
                    .trim_end_matches(['.', ',', ';', ')']);
                if stem.len() >= 3 && key.starts_with(stem) && key.ends_with(tail) {
                    "[redacted]"
                } else {
                    word
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    out
}

/// `e` with `secret` removed from every message it carries (what a
/// [`Transport`](crate::Transport) does to each error it returns, for the
/// errors a provider makes itself).
pub fn redact_error(e: YatError, secret: &Secret) -> YatError {
    use YatError::*;
    let r = |s: String| redact_text(&s, secret);
    let f = |mut f: Failure| {
        f.message = redact_text(&f.message, secret);
        // Taken from what the server sent, like the message.
        f.request_id = f.request_id.map(|id| redact_text(&id, secret));
        f
    };
    match e {
        Authentication(x) => Authentication(f(x)),
        Permission(x) => Permission(f(x)),
        ModelNotFound(x) => ModelNotFound(f(x)),
        QuotaExhausted(x) => QuotaExhausted(f(x)),
        ContextLengthExceeded(x) => ContextLengthExceeded(f(x)),
        InvalidRequest(x) => InvalidRequest(f(x)),
        Server(x) => Server(f(x)),
        ContentBlocked(x) => ContentBlocked(f(x)),
        RateLimited {
            failure,
            retry_after,
        } => RateLimited {
            failure: f(failure),
            retry_after,
        },
        Overloaded {
            failure,
            retry_after,
        } => Overloaded {
            failure: f(failure),
            retry_after,
        },
        // The cause is the transport's own error (never a response body),
        // so it holds no key and is kept as is.
        Network {
            provider,
            message,
            source,
            ..
        } => {
            let e = YatError::network(provider, r(message));
            match source {
                Some(cause) => e.with_source(cause),
                None => e,
            }
        }
        MalformedResponse {
            provider,
            message,
            excerpt,
        } => MalformedResponse {
            provider,
            message: r(message),
            excerpt: r(excerpt),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_the_key_and_its_masked_forms() {
        let key = Secret::new("sk-test-planted-0123456789");
        let text = "bad key sk-test-planted-0123456789; shown as sk-test***6789. or sk-tes*** (x)";
        let out = redact_text(text, &key);
        assert!(!out.contains("planted"), "{out}");
        assert!(!out.contains("sk-te"), "{out}");
        assert_eq!(out.matches("[redacted]").count(), 3, "{out}");
    }

    #[test]
    fn redaction_leaves_other_starred_words_alone() {
        let key = Secret::new("sk-test-planted-0123456789");
        let text = "a **bold** word and sk-other***1234 and sk-test***0000";
        assert_eq!(redact_text(text, &key), text);
    }
}
