//! One provider under test: how it is built and pointed at a fake server,
//! and the exchanges every test of it goes through (a request sent and its
//! reply read, a request refused, a reply decoded however it is cut).

use std::collections::BTreeMap;

use futures::StreamExt;
use yat_core::settings::implicit_env_var;
use yat_core::{
    ChatEvent, ChatRequest, ChatResponse, LlmProvider, ModelRef, ProviderManager, YatError,
};
use yat_fakeserver::{FakeServer, RecordedRequest, Response, Split};

use super::{events, pointed_at, reply, reply_error, serve_post, serve_post_in_turn};

/// A provider under test: its id and key, and where its chats go.
pub struct Vendor<P> {
    id: &'static str,
    key: &'static str,
    chat_path: &'static str,
    base_path: &'static str,
    make: Box<dyn Fn() -> P>,
}

impl<P: LlmProvider> Vendor<P> {
    /// The provider `make` builds, registered as `id` and given `key`; it
    /// posts its chats to `chat_path` when its base URL is the server's URL
    /// followed by `base_path`.
    pub fn new(
        id: &'static str,
        key: &'static str,
        chat_path: &'static str,
        base_path: &'static str,
        make: impl Fn() -> P + 'static,
    ) -> Self {
        Vendor {
            id,
            key,
            chat_path,
            base_path,
            make: Box::new(make),
        }
    }

    /// The id its errors and models carry.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The key it is given.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// Where its chat requests arrive.
    pub fn chat_path(&self) -> &'static str {
        self.chat_path
    }

    /// Its base URL on `server`.
    pub fn base_url(&self, server: &FakeServer) -> String {
        format!("{}{}", server.url(), self.base_path)
    }

    /// A new provider pointed at `server`, with the `extra` settings.
    pub async fn at(&self, server: &FakeServer, extra: &[(&str, &str)]) -> P {
        self.at_url(&self.base_url(server), extra).await
    }

    /// The events of `req` taken the way a program takes them: through a
    /// `ProviderManager` (its retries before the first output included)
    /// holding this provider, pointed at `server` with the `extra` settings.
    pub async fn through_manager(
        &self,
        server: &FakeServer,
        extra: &[(&str, &str)],
        req: &ChatRequest,
    ) -> Result<Vec<ChatEvent>, YatError> {
        let registration = yat_core::registry::discover()
            .find(self.id)
            .unwrap_or_else(|| panic!("{} is not linked", self.id));
        let mut env = BTreeMap::from([
            (implicit_env_var(self.id, "api_key"), self.key.to_owned()),
            (implicit_env_var(self.id, "base_url"), self.base_url(server)),
        ]);
        for (key, value) in extra {
            env.insert(implicit_env_var(self.id, key), (*value).to_owned());
        }
        let manager = ProviderManager::builder()
            .registrations(vec![registration])
            .env(env)
            .build()
            .await?;
        let target = ModelRef::new(self.id, req.model.as_str());
        let mut stream = manager.chat(&target, req.clone()).await?;
        let mut out = Vec::new();
        while let Some(event) = stream.next().await {
            out.push(event?);
        }
        Ok(out)
    }

    /// A new provider whose base URL is `url`, with the `extra` settings.
    pub async fn at_url(&self, url: &str, extra: &[(&str, &str)]) -> P {
        pointed_at((self.make)(), self.id, self.key, url, extra).await
    }

    /// A server answering its chats with `resp`.
    pub async fn serve(&self, resp: Response) -> FakeServer {
        serve_post(self.chat_path, resp).await
    }

    /// A server answering its chats with `responses`, one after another.
    pub async fn serve_in_turn(&self, responses: impl IntoIterator<Item = Response>) -> FakeServer {
        serve_post_in_turn(self.chat_path, responses).await
    }

    /// A server answering its chats with `resp`, and a provider with the
    /// `extra` settings pointed at it.
    pub async fn answering(&self, resp: Response, extra: &[(&str, &str)]) -> (FakeServer, P) {
        let server = self.serve(resp).await;
        let p = self.at(&server, extra).await;
        (server, p)
    }

    /// A server answering its chats with the event streams `streams`, one
    /// after another (a conversation over several requests), and a provider
    /// with the `extra` settings pointed at it.
    pub async fn conversing(&self, streams: &[&str], extra: &[(&str, &str)]) -> (FakeServer, P) {
        let server = self
            .serve_in_turn(streams.iter().map(|s| Response::sse(s)))
            .await;
        let p = self.at(&server, extra).await;
        (server, p)
    }

    /// The one request sent for `req`, answered with the event stream
    /// `stream` and read to its end, and the reply.
    pub async fn exchange(
        &self,
        stream: &str,
        req: &ChatRequest,
        extra: &[(&str, &str)],
    ) -> (RecordedRequest, ChatResponse) {
        let (server, p) = self.answering(Response::sse(stream), extra).await;
        let response = reply(&p, req).await;
        let mut reqs = server.requests();
        assert_eq!(reqs.len(), 1, "requests sent for {req:?}");
        (reqs.remove(0), response)
    }

    /// The error `req` is refused with; nothing may reach the server.
    pub async fn refused(&self, req: &ChatRequest, extra: &[(&str, &str)]) -> YatError {
        let (server, p) = self.answering(Response::sse(""), extra).await;
        let e = reply_error(&p, req).await;
        assert!(server.requests().is_empty(), "{e}: a request was sent");
        e
    }

    /// The events of the reply `body` to `req`, served in one piece and one
    /// byte at a time: a decoder must not care where the network cuts, so
    /// both must agree (errors by kind).
    pub async fn events_however_cut(
        &self,
        body: &str,
        req: &ChatRequest,
    ) -> Result<Vec<ChatEvent>, YatError> {
        let mut results = Vec::new();
        for split in [Split::Whole, Split::EveryByte] {
            let resp = Response::sse(body).split(split);
            let (_server, p) = self.answering(resp, &[("max_retries", "0")]).await;
            results.push(events(&p, req).await);
        }
        let bytewise = results.pop().unwrap();
        let whole = results.pop().unwrap();
        match (&whole, &bytewise) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "the events depend on how the bytes were cut"),
            (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
            _ => panic!("whole: {whole:?}\nbyte by byte: {bytewise:?}"),
        }
        whole
    }
}
