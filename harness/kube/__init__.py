"""Kubernetes: a stack as manifests (manifests), played with `podman kube play` (play)."""
