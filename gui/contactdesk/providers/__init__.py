"""Provider clients: pure Python + requests, no Qt. Imports ``core`` only."""
