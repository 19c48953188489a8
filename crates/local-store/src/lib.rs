//! The SQLite store: migrations and one database file per company; the only crate with SQL.
//!
//! Empty until its issue lands: see README.md for the plan of this crate.
