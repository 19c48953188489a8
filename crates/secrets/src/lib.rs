//! The token vault over the OS keyring, an in-memory backend for tests, and Sensitive<T>.
//!
//! Empty until its issue lands: see README.md for the plan of this crate.
