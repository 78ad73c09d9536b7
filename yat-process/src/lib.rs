//! yat providers that run as separate programs.
