//! The idle cycle: a connected company whose books agree with QuickBooks,
//! syncing on its own timer. Each cycle should cost one request (the change
//! feed), and the process should use no CPU between cycles.
//!
//! The app runs as the desktop app does, with its timer on and the demo
//! company (its emulator in the same process, so the emulator's idle cost is
//! counted too), in two parts:
//!
//! - the CPU time of the whole process over a wall-clock minute after a
//!   sync, with real minutes: the timer is armed for the default 15, so
//!   nothing but the app's own idle work (timers, keep-alives, the demo
//!   emulator's housekeeping) can use the CPU;
//! - the requests the emulator receives over one whole idle cycle, with a
//!   minute scaled down so that a cycle of the default 15 minutes comes
//!   every 3 s.
//!
//! Figures are printed, never asserted in tests.
//!
//! Run: `cargo bench -p app-core --bench idle` (or `cargo xtask bench`).

// A benchmark reports on stdout, its ratios are not money, and a failed
// set-up should stop it loudly.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use app_core::{AppCore, AppPaths, CoreOptions, DemoOptions};
use secrets::MemoryVault;
use serde_json::{Value, json};

/// One minute of the company's sync interval in the part that counts a
/// cycle's requests: 15 of them between cycles.
const SCALED_MINUTE: Duration = Duration::from_millis(200);
/// The idle stretch whose CPU time is read: a minute by the wall clock.
const IDLE: Duration = Duration::from_secs(60);
/// CPU allowed over that minute: 10 ms, a six-thousandth of one core. The
/// process CPU clock counts nanoseconds, so every wake-up adds to it.
const CPU_LIMIT_MS: f64 = 10.0;

/// The app with the demo company and its timer on, a minute of its sync
/// interval lasting `minute`, in a data folder under `dir`.
async fn app_with_demo(dir: &std::path::Path, minute: Duration) -> (AppCore, String, String) {
    let mut options = CoreOptions::with_vault(Arc::new(MemoryVault::new()));
    options.demo = DemoOptions { seed: 7, size: 200 };
    options.timers = true;
    options.minute = minute;
    let core = AppCore::open(
        AppPaths {
            data_dir: dir.join("data"),
            log_dir: dir.join("logs"),
        },
        options,
    )
    .await
    .unwrap();
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    (core, demo.id, realm)
}

/// The process's CPU time over a wall-clock minute after a sync, with the
/// timer armed for the next: in ms, and the minute as it passed.
async fn idle_minute_cpu() -> (f64, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let (core, company, _) = app_with_demo(dir.path(), Duration::from_secs(60)).await;
    // The timer's first tick is one interval away: the first sync is asked for.
    core.sync_now(&company, |_| {}).await.unwrap();
    let cpu_before = qbo_emulator::server::process_cpu_time();
    let idle_started = Instant::now();
    tokio::time::sleep(IDLE).await;
    let idle_wall = idle_started.elapsed();
    let cpu = qbo_emulator::server::process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| (after - before).as_secs_f64() * 1000.0);
    drop(core);
    (cpu.unwrap_or(f64::NAN), idle_wall)
}

async fn last_sync(core: &AppCore) -> String {
    format!("{:?}", core.list_companies().await.unwrap()[0].last_sync_at)
}

/// Waits for the next cycle to finish; returns when it was seen.
async fn next_cycle(core: &AppCore, after: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = last_sync(core).await;
        if now != after && !now.contains("None") {
            return now;
        }
        assert!(Instant::now() < deadline, "the timer did not sync");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn requests(http: &reqwest::Client, base: &str, realm: &str) -> u64 {
    let counters: Value = http
        .get(format!("{base}/_emulator/counters?realm_id={realm}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    counters["total"]["requests"].as_u64().unwrap()
}

#[tokio::main]
async fn main() {
    // First, while this process holds nothing else: no other app's timer
    // can wake it during the minute.
    let (cpu_ms, idle_wall) = idle_minute_cpu().await;

    let dir = tempfile::tempdir().unwrap();
    let (core, _, realm) = app_with_demo(dir.path(), SCALED_MINUTE).await;
    let base = core.demo_address().await.unwrap();
    let http = reqwest::Client::new();

    // The first cycle pulls the company; the second is the first idle one.
    let first = next_cycle(&core, "None").await;
    let second = next_cycle(&core, &first).await;

    // One whole idle cycle, by the emulator's counters.
    let before = requests(&http, &base, &realm).await;
    next_cycle(&core, &second).await;
    // The counters read above is a request of its own to the control API,
    // which is not a QBO request and not counted per realm.
    let per_cycle = requests(&http, &base, &realm).await - before;

    println!(
        "idle: {per_cycle} request(s) per cycle (target 1); process CPU over a minute after a sync {cpu_ms:.1} ms over {:.1} s (target ≤ {CPU_LIMIT_MS} ms)",
        idle_wall.as_secs_f64()
    );
    println!(
        "BENCH {}",
        json!({"name": "requests in an idle cycle", "value": per_cycle, "unit": "requests",
               "compared_to": null, "limit": 1, "ratio": per_cycle as f64})
    );
    println!(
        "BENCH {}",
        json!({"name": "process CPU over an idle minute after a sync, the timer armed",
               "value": cpu_ms, "unit": "ms", "compared_to": null, "limit": CPU_LIMIT_MS,
               "ratio": cpu_ms / CPU_LIMIT_MS,
               "detail": {"idle_wall_s": idle_wall.as_secs_f64(), "sync_interval_min": app_core::DEFAULT_SYNC_INTERVAL_MINUTES}})
    );
}
