//! vfs (being written)
