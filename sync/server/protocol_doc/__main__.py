"""`python -m sync.server.protocol_doc [--check]`: see the package docstring."""
from sync.server.protocol_doc import main

if __name__ == "__main__":  # imported (a test imports every server module), it does nothing
    raise SystemExit(main())
