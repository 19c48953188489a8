//! The Ledgerlink desktop app.

// Without this, a Windows release build also opens a console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// The app lives in the tray for days and syncs every few minutes. glibc's
// malloc kept most of what a first sync freed (33 of 70 MB measured after a
// 100k-transaction company), so the app stayed at its peak. jemalloc, set up
// in .cargo/config.toml, hands idle memory back after a second from a
// background thread. It does not build for MSVC, and Windows keeps its own
// allocator.
#[cfg(not(windows))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    ledgerlink_desktop::run();
}
