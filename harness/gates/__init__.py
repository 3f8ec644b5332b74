"""Test suites run against a live stack (suites) and the pytest plugins: fixtures (pytest_plugin),
dying with the harness (pytest_lifeline), recording builds (build_recorder), Copr waits."""
