//! A local stand-in for Intuit OAuth 2.0 and the QuickBooks Online Accounting
//! API v3, faithful enough that public QBO client libraries run against it
//! unmodified. It backs the tests, the benchmarks and the app's demo mode.
//!
//! Entities are stored as JSON documents and QBO's behaviour is implemented
//! from the reference, never from the client's types: a misunderstanding on
//! one side is then caught by the other.

pub mod api;
pub mod batch;
pub mod cdc;
pub mod clock;
pub mod control;
pub mod counters;
pub mod entities;
pub mod fault;
pub mod faults;
pub mod index;
pub mod limits;
pub mod oauth;
pub mod persist;
pub mod query;
pub mod seed;
pub mod server;
pub mod state;
pub mod web;
pub mod webhooks;

pub use fault::Fault;
pub use server::{TestServer, router, serve};
pub use state::{Company, Emulator, EmulatorConfig};
