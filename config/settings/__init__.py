"""Settings modules: base (shared), local (development, the default), production, test."""
