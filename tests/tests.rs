//! outcore's integration tests, one module per topic.
