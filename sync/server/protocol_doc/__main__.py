"""`python -m sync.server.protocol_doc [--check]`: see the package docstring."""
from sync.server.protocol_doc import main

raise SystemExit(main())
