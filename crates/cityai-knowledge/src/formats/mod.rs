//! Parsers that turn files into structured [`crate::Block`]s.
