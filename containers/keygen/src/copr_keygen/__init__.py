"""The mock Copr keygen: GnuPG keys per project, and the signing service the backend calls.

Import `copr_keygen.app` for the Flask application; the other modules need only the standard
library, so they can be tested (and reused) without Flask.
"""
