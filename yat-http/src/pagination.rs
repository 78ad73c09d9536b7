//! Cursor-paginated lists: ask for a page, read the cursor of the next one
//! from it, repeat. Model lists are paged this way (Anthropic's `after_id`,
//! Gemini's and Cohere's page tokens). What differs between APIs, the
//! request for a page given a cursor and the reading of a page, stays with
//! the adapter as two pure translators; the fetching and the loop live here
//! ([`collect_models`]).
//!
//! The loop guards against a misbehaving server twice over: it asks for at
//! most a bounded number of pages, and stops when a page hands back the
//! cursor it was fetched with.

use std::future::Future;

use serde::de::DeserializeOwned;
use yat_core::{ModelInfo, YatError};

use crate::request::HttpRequest;
use crate::transport::Transport;

/// The bound on pages [`collect_models`] asks for: a real model list fits
/// in one or two pages of the largest size the APIs allow, and a server
/// that never stops handing out cursors cannot loop us forever.
pub const MAX_PAGES: usize = 50;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T> {
    /// What the page lists.
    pub items: Vec<T>,
    /// The cursor that asks for the next page; `None` or empty on the last.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page listing `items`, followed by the page `next` asks for.
    pub fn new(items: Vec<T>, next: Option<String>) -> Self {
        Page { items, next }
    }
}

/// Fetches the pages of a list in order and returns their items.
///
/// `fetch` is called with `None` for the first page and with the previous
/// page's cursor after that. The loop ends after a page without a cursor
/// (or with an empty one), after a page whose cursor is the one it was
/// fetched with, or after `max_pages` pages; the first error ends it too.
///
/// ```
/// use yat_http::pagination::{collect_pages, Page};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let numbers = collect_pages(10, |cursor| async move {
///     let n: u32 = cursor.map_or(0, |c| c.parse().unwrap());
///     Ok(Page::new(vec![n], (n < 2).then(|| (n + 1).to_string())))
/// })
/// .await;
/// assert_eq!(numbers.unwrap(), [0, 1, 2]);
/// # });
/// ```
pub async fn collect_pages<T, F, Fut>(max_pages: usize, mut fetch: F) -> Result<Vec<T>, YatError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, YatError>>,
{
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..max_pages {
        let page = fetch(cursor.clone()).await?;
        items.extend(page.items);
        match page.next.filter(|c| !c.is_empty()) {
            // A cursor handed out twice would loop: stop there.
            Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
            _ => break,
        }
    }
    Ok(items)
}

/// A whole model list, sorted by id: at most [`MAX_PAGES`] pages, each the
/// JSON body `L` of `transport`'s answer to `request(cursor)` (`None` for
/// the first), turned into models and the next cursor by `read`.
///
/// A model listed twice (pages can overlap when the list changes while it
/// is read) is kept once, as first seen.
pub async fn collect_models<L, Req, Read>(
    transport: &Transport,
    mut request: Req,
    read: Read,
) -> Result<Vec<ModelInfo>, YatError>
where
    L: DeserializeOwned,
    Req: FnMut(Option<&str>) -> Result<HttpRequest, YatError>,
    Read: Fn(L) -> Page<ModelInfo>,
{
    let read = &read;
    let models = collect_pages(MAX_PAGES, move |cursor| {
        let req = request(cursor.as_deref());
        async move { Ok(read(transport.json(&req?).await?)) }
    })
    .await?;
    Ok(sorted_by_id(models))
}

/// `models` sorted by id, each id once (the first of its repeats).
fn sorted_by_id(mut models: Vec<ModelInfo>) -> Vec<ModelInfo> {
    models.sort_by(|a, b| a.id.cmp(&b.id));
    models.dedup_by(|a, b| a.id == b.id);
    models
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// Serves `pages` in order, recording the cursor of each request.
    fn run<T: Clone>(
        max_pages: usize,
        pages: &[Result<Page<T>, YatError>],
    ) -> (Result<Vec<T>, YatError>, Vec<Option<String>>) {
        let asked = RefCell::new(Vec::new());
        let result = block_on(collect_pages(max_pages, |cursor| {
            let mut asked = asked.borrow_mut();
            let page = pages[asked.len()].clone();
            asked.push(cursor);
            async move { page }
        }));
        (result, asked.into_inner())
    }

    fn page(items: &[u32], next: Option<&str>) -> Result<Page<u32>, YatError> {
        Ok(Page {
            items: items.to_vec(),
            next: next.map(str::to_owned),
        })
    }

    #[test]
    fn follows_the_cursor_to_the_last_page() {
        let (r, asked) = run(
            10,
            &[
                page(&[1, 2], Some("a")),
                page(&[3], Some("b")),
                page(&[], None),
            ],
        );
        assert_eq!(r.unwrap(), [1, 2, 3]);
        assert_eq!(asked, [None, Some("a".into()), Some("b".into())]);
    }

    #[test]
    fn an_empty_cursor_ends_the_list() {
        let (r, asked) = run(10, &[page(&[1], Some("")), page(&[2], None)]);
        assert_eq!(r.unwrap(), [1]);
        assert_eq!(asked.len(), 1);
    }

    #[test]
    fn a_cursor_handed_out_twice_stops_the_loop() {
        let (r, asked) = run(
            10,
            &[
                page(&[1], Some("same")),
                page(&[1], Some("same")),
                page(&[9], None),
            ],
        );
        assert_eq!(r.unwrap(), [1, 1]);
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn the_page_count_is_bounded() {
        let pages: Vec<_> = (0..5).map(|i| page(&[i], Some(&i.to_string()))).collect();
        let (r, asked) = run(3, &pages);
        assert_eq!(r.unwrap(), [0, 1, 2]);
        assert_eq!(asked.len(), 3);
    }

    #[test]
    fn an_error_ends_the_list() {
        let err = YatError::Unavailable {
            provider: "p".into(),
            reason: "down".into(),
        };
        let (r, asked) = run(10, &[page(&[1], Some("a")), Err(err), page(&[2], None)]);
        assert!(matches!(r, Err(YatError::Unavailable { .. })));
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn models_come_sorted_and_once_each() {
        let model = |id: &str, name: &str| {
            let mut m = ModelInfo::new("p", id);
            m.display_name = name.into();
            m
        };
        let models = sorted_by_id(vec![
            model("b", "first b"),
            model("a", "a"),
            model("b", "second b"),
            model("c", "c"),
        ]);
        let got: Vec<(&str, &str)> = models
            .iter()
            .map(|m| (m.id.as_str(), m.display_name.as_str()))
            .collect();
        assert_eq!(got, [("a", "a"), ("b", "first b"), ("c", "c")]);
    }
}
