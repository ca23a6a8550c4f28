//! std adapters for framing-core (work in progress).
