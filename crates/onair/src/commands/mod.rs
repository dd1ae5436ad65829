//! One module per subcommand.

pub mod admin;
pub mod print_config;
pub mod serve;
