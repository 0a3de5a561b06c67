"""The model store: which weights Sweedle knows, which are installed, importing and downloading them."""
