"""The ground every layer stands on: settings, privacy (masking and sealing),
the taxonomy contract, unit ids and the event contract. Imports nothing of the
project above it (the import contract in pyproject.toml keeps it so)."""
