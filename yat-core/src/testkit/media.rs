//! `image_input`: a message with an image is taken and answered.

use super::fixtures::{IMAGE_PROMPT, TINY_PNG};
use super::session::{verdict, Feature, Run};
use crate::types::{ChatRequest, Media, Message, Part};

pub(super) async fn image_input(r: &mut Run<'_>) {
    const NAME: &str = "image_input";
    let outcome = match r.gate(NAME, r.caps.images, "images") {
        Some(skipped) => skipped,
        None => verdict(describe(r).await),
    };
    r.record(NAME, outcome);
}

async fn describe(r: &Run<'_>) -> Result<(), String> {
    let model = r.model_for(r.o.image_model.as_ref(), Feature::Images);
    let message = Message::user(IMAGE_PROMPT).with_part(Part::Image(
        Media::bytes("image/png", TINY_PNG).with_name("orange.png"),
    ));
    let req = ChatRequest::new(&model, vec![message]);
    let t = r.complete(&format!("a PNG to {model}"), &req).await?;
    if t.text().trim().is_empty() {
        return Err("no text about the image".into());
    }
    Ok(())
}
