//! The `qbo-emulator` binary: serves the emulator until stopped.
fn main() {}
