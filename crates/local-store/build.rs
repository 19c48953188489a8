//! The migrations are embedded by `sqlx::migrate!`, which on stable Rust
//! cannot tell Cargo to watch their folder: without this, a new migration
//! file would not be in the next build.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
