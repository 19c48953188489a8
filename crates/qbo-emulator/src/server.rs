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
    /// The emulator's own runtime thread, for [`TestServer::start_isolated`].
    runtime: Option<std::thread::JoinHandle<()>>,
}

/// The name of the threads of an isolated server's runtime; the kernel
/// keeps the first 15 bytes of a thread name, and this fits.
const ISOLATED_THREAD_NAME: &str = "qbo-emulator";

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
            runtime: None,
        }
    }

    /// Starts a server with the real clock on a runtime of its own (two
    /// worker threads), so that its CPU time can be told apart from the
    /// client's in the same process: see [`TestServer::cpu_time`]. For
    /// benchmarks that report how much of a run the emulator cost.
    ///
    /// # Panics
    ///
    /// When no local port can be bound or no thread can be started, which
    /// only happens on a broken test machine.
    pub fn start_isolated(config: EmulatorConfig) -> TestServer {
        let emulator = Emulator::new(config, Clock::real());
        #[allow(clippy::expect_used)]
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a test server needs a free local port");
        #[allow(clippy::expect_used)]
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        #[allow(clippy::expect_used)]
        listener
            .set_nonblocking(true)
            .expect("a listener can be made non-blocking");
        let (stop, stopped) = oneshot::channel::<()>();
        let served = emulator.clone();
        #[allow(clippy::expect_used)]
        let runtime = std::thread::Builder::new()
            .name(ISOLATED_THREAD_NAME.to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name(ISOLATED_THREAD_NAME)
                    .enable_all()
                    .build()
                    .expect("the emulator's runtime starts");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener)
                        .expect("a bound listener joins the runtime");
                    let _ = serve(listener, served, async move {
                        let _ = stopped.await;
                    })
                    .await;
                });
            })
            .expect("the emulator's thread starts");
        TestServer {
            emulator,
            address,
            stop: Some(stop),
            task: None,
            runtime: Some(runtime),
        }
    }

    /// The CPU time (user and system) the threads of a server started with
    /// [`TestServer::start_isolated`] have used so far; `None` for a server
    /// sharing the caller's runtime, or where the operating system does not
    /// say (it is read from Linux's `/proc`).
    pub fn cpu_time(&self) -> Option<std::time::Duration> {
        self.runtime.as_ref()?;
        threads_cpu_time(ISOLATED_THREAD_NAME)
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
        if let Some(runtime) = self.runtime.take() {
            let _ = tokio::task::spawn_blocking(move || runtime.join()).await;
        }
    }
}

/// The CPU time (user and system) this whole process has used so far,
/// threads that have ended included, from the OS's process CPU clock
/// (nanoseconds, where `/proc/self/stat` counts in ticks of 10 ms, too
/// coarse to tell an idle minute from one that woke a few times); `None`
/// where there is no such clock. Benchmarks use it to show what a phase or
/// an idle period cost.
pub fn process_cpu_time() -> Option<std::time::Duration> {
    #[cfg(unix)]
    {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        let seconds = u64::try_from(now.tv_sec).ok()?;
        let nanos = u32::try_from(now.tv_nsec).ok()?;
        Some(std::time::Duration::new(seconds, nanos))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The CPU time of this process's threads named `name`, from Linux's
/// `/proc/self/task/*/schedstat` (nanoseconds on the CPU).
fn threads_cpu_time(name: &str) -> Option<std::time::Duration> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let path = task.path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim_end() != name {
            continue;
        }
        let Ok(schedstat) = std::fs::read_to_string(path.join("schedstat")) else {
            continue;
        };
        total += schedstat
            .split_whitespace()
            .next()
            .and_then(|nanos| nanos.parse::<u64>().ok())
            .unwrap_or_default();
    }
    Some(std::time::Duration::from_nanos(total))
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
