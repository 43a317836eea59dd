//! outcore's integration tests, one module per topic.

mod api;
mod cli;
mod crash;
mod fuzz_replay;
mod hostile;
mod limits;
mod numexpr_diff;
mod numexpr_fixtures;
mod ooc;
mod query;
mod read_cmd;
mod reads;
mod tutorial;
