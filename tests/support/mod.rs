pub mod agents;
pub mod anthropic;
pub mod drill;
pub mod http;
pub mod openai;
pub mod repo;
pub mod sim;
pub mod tmux;
