//! The use-cases end to end: a real data folder, the embedded demo emulator,
//! real SQLite files, an in-memory vault.

mod activity;
mod amounts;
mod companies;
mod demo;
mod export;
mod overview;
mod problems;
mod relay;
mod review;
mod secrecy;
mod statements;
mod support;
mod timer;
mod webhooks;
