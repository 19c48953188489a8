//! The sync engine's integration tests: scenarios against the emulator and
//! a seeded simulation of both sides.

mod cycles;
mod scenarios;
mod simulation;
mod support;
