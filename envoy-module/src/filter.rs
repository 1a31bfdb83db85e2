//! A configuration and its streams.

use crate::abi::LogLevel;
use crate::envoy::{log, Config, Stream};

pub struct FilterConfig {}

impl FilterConfig {
    pub fn new(_config: Config, json: &[u8]) -> Option<Self> {
        match weir_filter::config::parse(json) {
            Ok(c) => {
                log(LogLevel::Info, &format!("weir: configured {} rule(s)", c.rules.len()));
                Some(Self {})
            }
            Err(problem) => {
                log(LogLevel::Error, &format!("weir: configuration refused: {problem}"));
                None
            }
        }
    }

    pub fn stream(&self) -> FilterStream {
        FilterStream {}
    }
}

pub struct FilterStream {}

impl FilterStream {
    pub fn request_headers(&mut self, _s: Stream) -> u32 {
        crate::abi::HEADERS_CONTINUE
    }
    pub fn response_headers(&mut self, _s: Stream) {}
    pub fn complete(&mut self, _s: Stream) {}
}
