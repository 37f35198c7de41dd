"""What every page shares: error handling, i18n, OpenAPI helpers, public documents, health, metrics, logs, serving."""
