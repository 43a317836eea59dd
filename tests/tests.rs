//! outcore's integration tests, one module per topic.

mod numexpr_diff;
