//! `usage_details`: a provider claiming usage details reports one.

use super::session::{verdict, Run};

pub(super) async fn usage_details(r: &mut Run<'_>) {
    const NAME: &str = "usage_details";
    let outcome = match r.gate(NAME, r.caps.usage_details, "usage_details") {
        Some(skipped) => skipped,
        None => verdict(details(r).await),
    };
    r.record(NAME, outcome);
}

async fn details(r: &Run<'_>) -> Result<(), String> {
    let model =
        r.o.usage_details_model
            .clone()
            .unwrap_or_else(|| r.model.clone());
    let t = r
        .complete(&format!("the request ({model})"), &r.request(&model))
        .await?;
    let Some(u) = t.usage() else {
        return Err("no usage event".into());
    };
    if u.cache_read_tokens.is_none()
        && u.cache_write_tokens.is_none()
        && u.reasoning_tokens.is_none()
    {
        return Err(format!("no cache or reasoning count in {u:?}"));
    }
    // Reasoning is part of the output, never on top of it.
    if u.reasoning_tokens.is_some_and(|n| n > u.output_tokens) {
        return Err(format!("more reasoning tokens than output tokens: {u:?}"));
    }
    Ok(())
}
