//! Which response a request gets.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::request::RecordedRequest;
use crate::response::Response;

type Handler = Arc<dyn Fn(&RecordedRequest) -> Response + Send + Sync>;

#[derive(Clone)]
enum Responder {
    Fixed(Response),
    Handler(Handler),
}

/// A method and path with the responses to give, in order; once they run
/// out the last one is repeated.
pub struct Route {
    method: String,
    path: String,
    prefix: bool,
    responders: Vec<Responder>,
    served: AtomicUsize,
}

impl Route {
    /// Matches `method` and exactly `path` (the query string is ignored).
    pub fn new(method: &str, path: &str) -> Self {
        Route {
            method: method.to_owned(),
            path: path.to_owned(),
            prefix: false,
            responders: Vec::new(),
            served: AtomicUsize::new(0),
        }
    }

    /// Matches `method` and any path starting with `prefix`.
    pub fn prefix(method: &str, prefix: &str) -> Self {
        Route {
            prefix: true,
            ..Route::new(method, prefix)
        }
    }

    /// Queues a fixed response.
    pub fn respond(mut self, response: Response) -> Self {
        self.responders.push(Responder::Fixed(response));
        self
    }

    /// Queues a function that computes the response from the request.
    pub fn handle(
        mut self,
        handler: impl Fn(&RecordedRequest) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.responders.push(Responder::Handler(Arc::new(handler)));
        self
    }

    pub(crate) fn matches(&self, req: &RecordedRequest) -> bool {
        let path = req.path_only();
        self.method.eq_ignore_ascii_case(&req.method)
            && if self.prefix {
                path.starts_with(&self.path)
            } else {
                path == self.path
            }
    }

    /// The next response of this route.
    pub(crate) fn next(&self, req: &RecordedRequest) -> Response {
        let n = self.served.fetch_add(1, Ordering::Relaxed);
        match self.responders.get(n).or(self.responders.last()) {
            Some(Responder::Fixed(r)) => r.clone(),
            Some(Responder::Handler(h)) => h(req),
            None => Response::new(200),
        }
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Route({} {}{})",
            self.method,
            self.path,
            if self.prefix { "*" } else { "" }
        )
    }
}

/// The answer when no route matches: a 404 in the common JSON error shape.
pub(crate) fn not_found(req: &RecordedRequest) -> Response {
    let message = format!(
        "fake server: no route for {} {}",
        req.method,
        req.path_only()
    );
    Response::json(
        404,
        &serde_json::json!({"error": {"message": message, "type": "not_found_error"}}).to_string(),
    )
}
