//! loader (being written)
