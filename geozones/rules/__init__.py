"""The rule-set format (pydantic model, JSON Schema) and rule texts shared by the CLI and the app."""
