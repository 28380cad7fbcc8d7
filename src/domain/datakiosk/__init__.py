"""Data Kiosk: GraphQL queries as a second source beside reports (datasets, definitions, model)."""
