"""`python -m bedrock_mistral ...`: the `bedrock-mistral` command line."""

from bedrock_mistral.cli import main

raise SystemExit(main())
