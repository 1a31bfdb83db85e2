//! Limits in process memory.
