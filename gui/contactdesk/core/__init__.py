"""Pure domain types: no Qt, no HTTP, no storage. Imports nothing of ours."""
