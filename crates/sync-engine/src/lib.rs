//! Two-way sync: a pure three-way merge, a pure plan of operations, and the run that executes a plan.
//!
//! Empty until its issue lands: see README.md for the plan of this crate.
