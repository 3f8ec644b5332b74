"""What copr-backend 2.11 from PyPI lacks to run in a harness container: its launchers, a
copr-repo, a builder allocator for its resalloc client, its configuration and a results server."""
