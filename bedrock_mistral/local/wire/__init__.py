"""Wire formats, one module per body format: request parsing into a neutral conversation, answers out."""
