"""What the harness is asked to do: scenarios (package sets, window order), component definitions
(`containers/<c>/component.yaml`), RPM versions and headers. Parsed here, validated with pydantic."""
