//! `shockwave`: the operator's command line. Each action is written once, in `shockwave-ops` (shared with the
//! admin API) or here where it needs the broker; the data-changing ones are jobs that the service owning the
//! data carries out, followed here until they finish.

#![allow(clippy::print_stdout, reason = "a command-line tool answers on stdout")]

pub mod commands;
mod dead_letters;
mod wait;

pub use commands::{Cli, run};
