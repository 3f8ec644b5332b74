"""A stand-in for resalloc's client library (not on PyPI nor in Debian), talking to the glue's
builder allocator (copr_backend_glue.allocator)."""
