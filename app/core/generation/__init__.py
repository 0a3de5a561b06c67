"""The generation pipeline: request → stages → result."""
