//! The HTTP server: routes, the `intuit_tid` header, serving, and a test
//! server on a random local port.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::state::{Emulator, EmulatorConfig};

/// The transaction-id header Intuit puts on every response.
pub const INTUIT_TID: &str = "intuit_tid";

/// All routes: OAuth, the Accounting API, and the `intuit_tid` header on every
/// response.
pub fn router(emulator: Emulator) -> Router {
    let oauth = crate::oauth::routes(emulator.oauth().clone());
    let qbo = Router::new()
        .merge(crate::api::routes())
        .with_state(emulator.clone())
        .merge(oauth);
    crate::control::with_operations(qbo, &emulator)
        .merge(crate::control::routes(emulator))
        .layer(middleware::from_fn(add_intuit_tid))
}

/// Adds `intuit_tid` to a response that has none.
async fn add_intuit_tid(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let name = HeaderName::from_static(INTUIT_TID);
    if !response.headers().contains_key(&name) {
        let tid = format!("1-{}", uuid::Uuid::new_v4().simple());
        if let Ok(value) = HeaderValue::from_str(&tid) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Serves the emulator on `listener` until `shutdown` completes. The OAuth
/// server learns its public base URL from the listener's address.
pub async fn serve(
    listener: TcpListener,
    emulator: Emulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    emulator.oauth().set_base_url(&format!("http://{address}"));
    axum::serve(listener, router(emulator))
        .with_graceful_shutdown(shutdown)
        .await
}

/// An emulator serving on 127.0.0.1 on a free port, for tests. It stops when
/// dropped.
#[derive(Debug)]
pub struct TestServer {
    emulator: Emulator,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server with the real clock.
    pub async fn start(config: EmulatorConfig) -> TestServer {
        TestServer::start_with_clock(config, Clock::real()).await
    }

    /// Starts a server with a given clock (e.g. a fixed one a test advances).
    pub async fn start_with_clock(config: EmulatorConfig, clock: Clock) -> TestServer {
        TestServer::start_with(Emulator::new(config, clock)).await
    }

    /// Starts a server over an existing emulator.
    ///
    /// # Panics
    ///
    /// When no local port can be bound, which only happens on a broken test machine.
    pub async fn start_with(emulator: Emulator) -> TestServer {
        #[allow(clippy::expect_used)]
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a test server needs a free local port");
        #[allow(clippy::expect_used)]
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let served = emulator.clone();
        let task = tokio::spawn(async move {
            serve(listener, served, async move {
                let _ = stopped.await;
            })
            .await
        });
        TestServer {
            emulator,
            address,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The socket address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The emulator behind the server.
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// `{base}/v3/company/{realm_id}`.
    pub fn company_url(&self, realm_id: &str) -> String {
        format!("{}/v3/company/{realm_id}", self.base_url())
    }

    /// Creates a company and an access token for it (as if an app had just
    /// connected); returns (realm id, access token).
    pub fn connect_company(&self, name: &str) -> (String, String) {
        let realm_id = self.emulator.create_company(name);
        let tokens = self.emulator.oauth().mint_tokens("test-client", &realm_id);
        let token = tokens
            .get("access_token")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        (realm_id, token)
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
