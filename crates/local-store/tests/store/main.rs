//! The store on real SQLite files in a temporary folder.

mod changeset;
mod queries;
mod versions;
