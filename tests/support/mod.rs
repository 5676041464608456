pub mod agents;
pub mod anthropic;
pub mod http;
pub mod openai;
pub mod repo;
