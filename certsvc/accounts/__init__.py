"""Staff accounts: users and sign-in, API tokens, organisations, and the access rules every page applies."""
