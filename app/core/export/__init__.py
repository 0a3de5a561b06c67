"""One-click export into game-engine projects and Export As: one module per engine's
conventions, sharing project checks, naming, options and staging."""
