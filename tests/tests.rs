//! outcore's integration tests, one module per topic.

mod api;
mod cli;
mod crash;
mod numexpr_diff;
mod numexpr_fixtures;
mod ooc;
mod query;
mod tutorial;
