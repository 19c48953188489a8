//! The sync engine's integration tests: scenarios against the emulator and
//! a seeded simulation of both sides.

mod cycles;
mod first_pull;
mod integrity;
mod merge;
mod merge_laws;
mod names;
mod plan;
mod products;
mod samples;
mod scenarios;
mod simulation;
mod support;
mod totals;
mod validate;
