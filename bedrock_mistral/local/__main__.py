"""`python -m bedrock_mistral.local serve ...`"""

from bedrock_mistral.local.cli import main

raise SystemExit(main())
