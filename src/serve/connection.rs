//! What serves one connection, kept cheap because every quote goes through it (see "The quote
//! service" in docs/performance.md for the profiles):
//! - [`Service`] answers `POST /v1/quote` itself, with the same handler the router has, and
//!   hands every other request to the router. The router's way costs a quote more than its
//!   routing: a copy of the headers, a boxed body and a boxed answer.
//! - [`Timer`] is hyper's timer for the connection. hyper asks it for a sleep each time it
//!   starts reading a request's head (the header timeout, which also ends an idle keep-alive
//!   connection) and drops the sleep once the head is in; made afresh, each would be an
//!   allocation, a registration in the runtime's timer wheel and a removal from it. This one
//!   keeps the connection's last sleep and moves its deadline later, which tokio does without
//!   touching the wheel.

use super::routes::{self, Shared};
use axum::response::Response;
use hyper::Request;
use hyper::body::Incoming;
use hyper::http::Method;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// hyper's service for one connection.
pub(super) struct Service {
    app: Shared,
    routed: TowerToHyperService<axum::Router>,
}

impl Service {
    pub(super) fn new(app: Shared, router: &axum::Router) -> Service {
        Service {
            app,
            routed: TowerToHyperService::new(router.clone()),
        }
    }
}

impl hyper::service::Service<Request<Incoming>> for Service {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, request: Request<Incoming>) -> Answer {
        // The router matches the path alone (no query, no trailing slash): so does this.
        if request.method() == Method::POST && request.uri().path() == "/v1/quote" {
            let app = Arc::clone(&self.app);
            return Box::pin(async move {
                let (parts, body) = request.into_parts();
                Ok(routes::answer_quote(&app, &parts.headers, body).await)
            });
        }
        Box::pin(self.routed.call(request))
    }
}

type SpareSleep = Arc<Mutex<Option<Pin<Box<tokio::time::Sleep>>>>>;

/// hyper's timer for one connection, which reuses its sleep.
#[derive(Clone, Default)]
pub(super) struct Timer {
    spare: SpareSleep,
}

impl hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let deadline = tokio::time::Instant::from_std(deadline);
        let spare = self.spare.lock().ok().and_then(|mut s| s.take());
        let sleep = match spare {
            Some(mut sleep) => {
                sleep.as_mut().reset(deadline);
                sleep
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        Box::pin(Reused {
            sleep: Some(sleep),
            spare: Arc::clone(&self.spare),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<Reused>() {
            Some(reused) => reused.get_mut().reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A sleep that goes back to its connection's [`Timer`] when hyper drops it.
struct Reused {
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    spare: SpareSleep,
}

impl Reused {
    fn reset(&mut self, deadline: Instant) {
        let deadline = tokio::time::Instant::from_std(deadline);
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().reset(deadline),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
    }
}

impl Future for Reused {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.get_mut().sleep {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl hyper::rt::Sleep for Reused {}

impl Drop for Reused {
    fn drop(&mut self) {
        // Still in the timer wheel: when its old deadline comes, tokio finds it moved (or
        // wakes the connection once, which looks and finds nothing to do).
        if let (Some(sleep), Ok(mut spare)) = (self.sleep.take(), self.spare.lock()) {
            *spare = Some(sleep);
        }
    }
}
