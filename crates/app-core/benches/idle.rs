//! The idle cycle: a connected company whose books agree with QuickBooks,
//! syncing on its own timer. Each cycle should cost one request (the change
//! feed), and the process should use no CPU between cycles.
//!
//! The app runs as the desktop app does, with its timer on and the demo
//! company (its emulator in the same process, so the emulator's idle cost is
//! counted too), with a minute scaled down so that a cycle of the default 15
//! minutes comes every 3 s. The CPU time of the whole process is read over
//! 2.5 s between two cycles, and the requests the emulator received over one
//! whole cycle. Figures are printed, never asserted in tests.
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

/// One minute of the company's sync interval: 15 of them between cycles.
const MINUTE: Duration = Duration::from_millis(200);
/// The idle stretch measured between two cycles.
const IDLE: Duration = Duration::from_millis(2_500);
/// CPU allowed over that stretch: under the 10 ms the kernel's CPU clock
/// counts in, i.e. none it can see.
const CPU_LIMIT_MS: f64 = 10.0;

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
    let dir = tempfile::tempdir().unwrap();
    let mut options = CoreOptions::with_vault(Arc::new(MemoryVault::new()));
    options.demo = DemoOptions { seed: 7, size: 200 };
    options.timers = true;
    options.minute = MINUTE;
    let core = AppCore::open(
        AppPaths {
            data_dir: dir.path().join("data"),
            log_dir: dir.path().join("logs"),
        },
        options,
    )
    .await
    .unwrap();
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    let base = core.demo_address().await.unwrap();
    let http = reqwest::Client::new();

    // The first cycle pulls the company; the second is the first idle one.
    let first = next_cycle(&core, "None").await;
    let second = next_cycle(&core, &first).await;

    // Between two cycles: nothing but the armed timer.
    let cpu_before = qbo_emulator::server::process_cpu_time();
    let idle_started = Instant::now();
    tokio::time::sleep(IDLE).await;
    let idle_wall = idle_started.elapsed();
    let cpu = qbo_emulator::server::process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| (after - before).as_secs_f64() * 1000.0);

    // One whole idle cycle, by the emulator's counters.
    let third = next_cycle(&core, &second).await;
    let before = requests(&http, &base, &realm).await;
    next_cycle(&core, &third).await;
    // The counters read above is a request of its own to the control API,
    // which is not a QBO request and not counted per realm.
    let per_cycle = requests(&http, &base, &realm).await - before;

    let cpu_ms = cpu.unwrap_or(f64::NAN);
    println!(
        "idle: {per_cycle} request(s) per cycle (target 1); process CPU between cycles {cpu_ms:.1} ms over {:.1} s (target ≤ {CPU_LIMIT_MS} ms)",
        idle_wall.as_secs_f64()
    );
    println!(
        "BENCH {}",
        json!({"name": "requests in an idle cycle", "value": per_cycle, "unit": "requests",
               "compared_to": null, "limit": 1, "ratio": per_cycle as f64})
    );
    println!(
        "BENCH {}",
        json!({"name": "process CPU between idle cycles (2.5 s with the timer armed)",
               "value": cpu_ms, "unit": "ms", "compared_to": null, "limit": CPU_LIMIT_MS,
               "ratio": cpu_ms / CPU_LIMIT_MS,
               "detail": {"idle_wall_s": idle_wall.as_secs_f64(), "cycle_s": (MINUTE * 15).as_secs_f64()}})
    );
}
