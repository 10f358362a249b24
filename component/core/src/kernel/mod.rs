//! kernel (being written)
