//! The sync engine's integration tests: scenarios against the emulator and
//! a seeded simulation of both sides.

mod cycles;
mod merge_laws;
mod scenarios;
mod simulation;
mod support;
