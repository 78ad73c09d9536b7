//! `cancel_on_drop`: dropping a stream mid-reply cancels its request (the
//! upstream is seen to go away) and leaves the provider serving.

use futures::StreamExt;

use super::fixtures::CANCEL_PROMPT;
use super::session::{verdict, Run};
use super::{CancelProbe, Outcome};
use crate::types::{ChatEvent, ChatRequest, Message};

const NAME: &str = "cancel_on_drop";

pub(super) async fn cancel_on_drop(r: &mut Run<'_>) {
    let outcome = match (r.left_out(NAME), &r.o.cancel_probe) {
        (Some(skipped), _) => skipped,
        (None, None) => Outcome::Skipped(
            "not checked: no Options::cancel_probe to see the dropped request's upstream go away"
                .into(),
        ),
        (None, Some(probe)) => verdict(drop_mid_reply(r, probe).await),
    };
    r.record(NAME, outcome);
}

async fn drop_mid_reply(r: &Run<'_>, probe: &CancelProbe) -> Result<(), String> {
    let model = r.o.cancel_model.clone().unwrap_or_else(|| r.model.clone());
    let req = ChatRequest::new(&model, vec![Message::user(CANCEL_PROMPT)]);
    let timeout = r.o.timeout;
    let gone = probe.arm();
    let started = tokio::time::timeout(timeout, async {
        let mut stream = r.p.stream_chat(&req).await?;
        let first = stream.next().await;
        Ok::<_, crate::YatError>((stream, first))
    })
    .await;
    let stream = match started {
        Err(_) => return Err(format!("the cancel request ({model}): no first event within {timeout:?}")),
        Ok(Err(e)) => return Err(format!("the cancel request ({model}): {} error: {e}", e.kind())),
        Ok(Ok((_, None))) => return Err(format!("the reply to the cancel request ({model}) ended before its first event")),
        Ok(Ok((_, Some(Err(e))))) => return Err(format!("the reply to the cancel request ({model}) failed: {e}")),
        Ok(Ok((_, Some(Ok(ChatEvent::Finish(f)))))) => {
            return Err(format!(
                "the reply to the cancel request ({model}) finished at once ({:?}): it must still be streaming when dropped",
                f.reason
            ))
        }
        Ok(Ok((stream, Some(Ok(_))))) => stream,
    };
    drop(stream);
    tokio::time::timeout(timeout, gone).await.map_err(|_| {
        format!(
            "the stream was dropped mid-reply but its upstream was still there {timeout:?} later: the request was not cancelled"
        )
    })?;
    r.complete("a chat after the dropped stream", &r.request(&r.model))
        .await
        .map(drop)
}
