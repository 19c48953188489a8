//! Intuit's wire format: OAuth, tokens, pacing, retries, entities, query, CDC, batch and webhooks.
//!
//! Empty until its issue lands: see README.md for the plan of this crate.
