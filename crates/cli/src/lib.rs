//! A headless command-line front end over app-core, for scripts, servers and cron.
//!
//! Empty until the sync-engine issue lands: see README.md for the plan of this crate.
