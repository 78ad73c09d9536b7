//! Tools from Model Context Protocol servers, for yat's tool loop.
