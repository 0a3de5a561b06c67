"""Generation engines, one module each, behind the small protocol in `base`."""
