"""Reports of a run: HTML pages (pages), SVG charts (charts), JUnit XML to HTML (junit_html), build
times (build_times) and the statistics they use (stats)."""
